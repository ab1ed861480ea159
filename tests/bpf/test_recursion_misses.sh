#!/usr/bin/env bash
# Runs the kernel skips (recursion misses) are made up for or reported as
# lost, never hidden. Under churn, softirq interrupts tasks inside the state
# program:
# - tp_btf: the state program's backup handles the transitions the main
#   program missed, so every miss is benign (test_backup_faults makes many
#   more of them, at will);
# - classic tracepoints: the kernel skips all classic programs together when
#   any BPF program runs on the CPU, so there is no backup and every miss is
#   lost: recursion_misses equals the programs' misses, none benign.
. "$(dirname "$0")/lib.sh"
PORT=18042
netns_new NS

tracer_start --verify-delivery
conns=$(churn 10)
tracer_stop
check_ge "tp_btf: churn made the kernel skip the state program" "$(jq .recursion_misses_benign "$OUT")" 10
check_eq "tp_btf: the backup made up every miss (none lost)" "$(jq .recursion_misses "$OUT")" 0
check_cw_per_conn "tp_btf: one CLOSE_WAIT per connection on the server's port" $PORT "$conns"

tracer_start --classic-tracepoints
churn 3 >/dev/null
# The churn is over: the programs' counts no longer move.
progs=0 kmisses=0
for id in $(bpf_ids "$TRACER_PID" prog_id); do
	progs=$((progs + 1))
	kmisses=$((kmisses + $(bpftool prog show id "$id" -j | jq '.recursion_misses // 0')))
done
tracer_stop

check_eq "classic: programs loaded (state, three timer hooks and the batch flusher, no backup)" "$progs" 5
check_ge "classic: churn made the kernel skip programs" "$kmisses" 1
check_eq "classic: reported recursion_misses == the programs' misses" "$(jq .recursion_misses "$OUT")" "$kmisses"
check_eq "classic: none benign, nothing makes a classic miss up" "$(jq .recursion_misses_benign "$OUT")" 0
check_eq "lost_events adds them up" "$(jq '.lost_events == .ringbuf_full + .recursion_misses' "$OUT")" true
finish
