#!/usr/bin/env bash
# A multithreaded server (accept in one thread, leak in another, named
# differently): one group for the process, under the process's name.
. "$(dirname "$0")/lib.sh"
PORT=18024 N=4
netns_new NS
tracer_start -P $PORT
wl_bg "$NS" server server --port $PORT --count $N --mode leak --threads --linger 30
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
sleep 1
tracer_stop

check_eq "groups for the port" \
	"$(jq --argjson p $PORT '[.groups[] | select(.state == "CLOSE_WAIT" and .port == $p)] | length' "$OUT")" 1
g=$(group CLOSE_WAIT $PORT server)
check_eq "pid (the process)" "$(field "$g" pid)" "$server_PID"
check_eq "comm (the process's name)" "$(field "$g" comm)" tcpwl
check_eq "open" "$(field "$g" open)" $N
finish
