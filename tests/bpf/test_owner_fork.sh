#!/usr/bin/env bash
# A server forks a child that inherits the accepted sockets, and exits: the
# leaked CLOSE_WAIT sockets are charged to the child that holds them.
. "$(dirname "$0")/lib.sh"
PORT=18022 N=4
netns_new NS
tracer_start -P $PORT
wl_bg "$NS" server server --port $PORT --count $N --mode leak --fork-child --linger 30
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
for _ in $(seq 50); do grep -q '^child pid=' "$WORK/server.out" && break; sleep 0.1; done
child=$(sed -n 's/^child pid=\([0-9]*\).*/\1/p' "$WORK/server.out")
wl_wait server
sleep 0.5
tracer_stop

check_ge "child pid known" "${child:-0}" 1
g=$(group CLOSE_WAIT $PORT server)
check_group "CLOSE_WAIT server group" "$g"
check_eq "pid (the child)" "$(field "$g" pid)" "$child"
check_eq "open" "$(field "$g" open)" $N
check_eq "groups for the port" \
	"$(jq --argjson p $PORT '[.groups[] | select(.state == "CLOSE_WAIT" and .port == $p)] | length' "$OUT")" 1
finish
