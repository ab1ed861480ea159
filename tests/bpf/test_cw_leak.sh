#!/usr/bin/env bash
# A server that never closes: its sockets stay open in CLOSE_WAIT, charged to
# it, and the oldest age covers the time they have been stuck.
. "$(dirname "$0")/lib.sh"
PORT=18003 N=6 STUCK=2
netns_new NS
tracer_start -P $PORT
wl_bg "$NS" server server --port $PORT --count $N --mode leak --linger 30
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
stuck_since=$(date +%s%N)
sleep $STUCK
tracer_stop
stuck_ns=$(($(date +%s%N) - stuck_since))

g=$(group CLOSE_WAIT $PORT server)
check_group "CLOSE_WAIT server group" "$g"
check_eq "pid" "$(field "$g" pid)" "$server_PID"
check_eq "open" "$(field "$g" open)" $N
check_eq "completed" "$(field "$g" completed)" 0
check_ge "oldest_open_ns" "$(field "$g" oldest_open_ns)" $((STUCK * 1000000000))
check_le "oldest_open_ns" "$(field "$g" oldest_open_ns)" $((stuck_ns + 500000000))
check_eq "oldest list entries for the port" \
	"$(jq --argjson p $PORT '[.oldest_open[] | select(.state == "CLOSE_WAIT" and .port == $p)] | length' "$OUT")" $N
finish
