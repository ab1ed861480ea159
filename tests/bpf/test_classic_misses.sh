#!/usr/bin/env bash
# The classic tracepoint fallback has no backup for the state program (the
# kernel skips all classic programs together when any BPF program runs on
# the CPU), so under churn every run the kernel skipped is reported as lost:
# recursion_misses equals the misses of the tracer's programs, none benign.
. "$(dirname "$0")/lib.sh"
PORT=18042
netns_new NS
tracer_start --classic-tracepoints
ip netns exec "$NS" "$WL" churn-server --port $PORT --duration 5 --workers 2 >/dev/null 2>&1 &
BG_PIDS+=($!)
sleep 0.3
ip netns exec "$NS" "$WL" churn-client --port $PORT --duration 3 --workers 4 >"$WORK/churn.out"
sleep 0.5
# The churn is over: the programs' counts no longer move.
progs=0 kmisses=0
for id in $(bpf_ids "$TRACER_PID" prog_id); do
	progs=$((progs + 1))
	kmisses=$((kmisses + $(bpftool prog show id "$id" -j | jq '.recursion_misses // 0')))
done
tracer_stop

check_eq "programs loaded (state and three timer hooks, no backup)" "$progs" 4
check_ge "churn made the kernel skip programs" "$kmisses" 1
check_eq "reported recursion_misses == the programs' misses" "$(jq .recursion_misses "$OUT")" "$kmisses"
check_eq "none benign: nothing makes a classic miss up" "$(jq .recursion_misses_benign "$OUT")" 0
check_eq "lost_events adds them up" "$(jq '.lost_events == .ringbuf_full + .recursion_misses' "$OUT")" true
finish
