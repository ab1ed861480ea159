#!/usr/bin/env bash
# One natural TIME_WAIT expiry: the sockets run their full course (60 s, plus
# the timer wheel's slack) and count as expired.
. "$(dirname "$0")/lib.sh"
PORT=18008 N=3
netns_new NS
tracer_start -P $PORT
wl_bg "$NS" server server --port $PORT --count $N
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
for _ in $(seq 80); do
	[ "$(ip netns exec "$NS" ss -Htan state time-wait | wc -l)" -eq 0 ] && break
	sleep 1
done
sleep 0.5
tracer_stop

t=$(group TIME_WAIT $PORT client)
check_group "TIME_WAIT client group" "$t"
check_eq "pid" "$(field "$t" pid)" "$client_PID"
check_eq "expired" "$(field "$t" expired)" $N
check_eq "killed" "$(field "$t" killed)" 0
check_eq "open" "$(field "$t" open)" 0
check_ge "min_ns" "$(field "$t" min_ns)" 59000000000
check_le "max_ns" "$(field "$t" max_ns)" 64000000000
finish
