#!/usr/bin/env bash
# The client closes first: TIME_WAIT is charged to the client, role client,
# grouped by the server's (remote) port. Deleting the namespace kills them
# early: all show as killed, with the time they had spent in TIME_WAIT.
. "$(dirname "$0")/lib.sh"
PORT=18004 N=8 WAIT=2
netns_new NS
# No reset kills one earlier (a FIN sent again draws one: test_tw_expire).
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_rfc1337=1
tracer_start
wl_bg "$NS" server server --port $PORT --count $N
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
closed_at=$(date +%s%N)
sleep $WAIT
ip netns del "$NS"
killed_after=$(($(date +%s%N) - closed_at))
sleep 0.5
tracer_stop

t=$(group TIME_WAIT $PORT client)
check_group "TIME_WAIT client group" "$t"
check_eq "pid" "$(field "$t" pid)" "$client_PID"
check_eq "comm" "$(field "$t" comm)" "tcpwl"
check_eq "killed" "$(field "$t" killed)" $N
check_eq "none taken over by a connect()" "$(field "$t" taken_over)" 0
check_eq "expired" "$(field "$t" expired)" 0
check_eq "completed" "$(field "$t" completed)" $N
check_eq "open" "$(field "$t" open)" 0
check_ge "min_ns" "$(field "$t" min_ns)" $((WAIT * 1000000000))
check_le "max_ns" "$(field "$t" max_ns)" $((killed_after + 100000000))
check_eq "no TIME_WAIT on the server side" \
	"$(jq --argjson p $PORT '[.groups[] | select(.state == "TIME_WAIT" and .role == "server" and .port == $p)] | length' "$OUT")" 0
finish
