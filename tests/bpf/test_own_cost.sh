#!/usr/bin/env bash
# The report's own cost of tracing: the tracer's CPU, checked against what
# /proc counts for its process; its BPF programs' runs and time, null while
# kernel.bpf_stats_enabled is off, and with it on at least the runs the
# workload's transitions made, and what the kernel counts for its programs.
. "$(dirname "$0")/lib.sh"
PORT=${PORT:-18061}
N=200
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_was"; cleanup' EXIT
netns_new NS
hz=$(getconf CLK_TCK)
# cpu_s PID: user and system CPU of a process so far, in seconds.
cpu_s() { awk -v hz="$hz" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

say "bpf_stats off: churn for 4 s"
sysctl -qw kernel.bpf_stats_enabled=0
tracer_start
c_start=$(cpu_s "$TRACER_PID")
conns=$(churn 4)
c_stop=$(cpu_s "$TRACER_PID")
tracer_stop
cpu=$(jq .tracer_cpu_s "$OUT")
say "tracer CPU: /proc $c_start s when tracing, $c_stop s at the end; reported $cpu s"
check_ge "connections" "$conns" 1000
# Since tracing began: at least what /proc counted while it traced (10 ms
# ticks), and no more than that, the listing of the sockets already there
# (before the banner) and the final report: not the programs' loading,
# which came before and took more than that here.
check_eq "tracer_cpu_s at least its CPU while tracing" \
	"$(awk -v r="$cpu" -v a="$c_start" -v b="$c_stop" 'BEGIN { print (r >= b - a - 0.02) }')" 1
check_eq "tracer_cpu_s not its CPU before tracing" \
	"$(awk -v r="$cpu" -v a="$c_start" -v b="$c_stop" 'BEGIN { print (r <= b - a + 0.1) }')" 1
check_eq "bpf_stats_enabled" "$(jq .bpf_stats_enabled "$OUT")" false
check_eq "bpf_runs not counted: null" "$(jq .bpf_runs "$OUT")" null
check_eq "bpf_run_time_ns not counted: null" "$(jq .bpf_run_time_ns "$OUT")" null

say "bpf_stats on: $N connections"
sysctl -qw kernel.bpf_stats_enabled=1
tracer_start -P "$PORT"
wl_bg "$NS" server server --port "$PORT" --count $N
wl_bg "$NS" client client --port "$PORT" --count $N
wl_wait client
wl_wait server
sleep 0.3
# What the kernel counts for the tracer's programs, just before its report.
kernel=$(for id in $(bpf_ids "$TRACER_PID" prog_id); do bpftool prog show id "$id" -j; done |
	jq -s '{ runs: (map(.run_cnt // 0) | add), ns: (map(.run_time_ns // 0) | add) }')
tracer_stop
runs=$(jq .bpf_runs "$OUT")
ns=$(jq .bpf_run_time_ns "$OUT")
say "reported $runs runs, $ns ns; the kernel counted $(jq -c . <<<"$kernel") just before"
check_eq "bpf_stats_enabled" "$(jq .bpf_stats_enabled "$OUT")" true
# Ten state transitions a connection (five a side), each running the state
# program and its backup.
check_ge "bpf_runs: the state programs' for $N connections at least" "$runs" $((20 * N))
check_ge "bpf_runs: what the kernel counted for the tracer's programs" "$runs" "$(jq .runs <<<"$kernel")"
check_le "bpf_runs: not more than a second's timers after it" "$runs" $(($(jq .runs <<<"$kernel") + 20000))
check_ge "bpf_run_time_ns: what the kernel counted" "$ns" "$(jq .ns <<<"$kernel")"
check_eq "ns a run between 5 and 100000" \
	"$(awk -v n="$ns" -v r="$runs" 'BEGIN { print (r > 0 && n / r >= 5 && n / r <= 100000) }')" 1
finish
