#!/usr/bin/env bash
# -p of a process that exits while traced: the report keeps its figures and
# says it exited.
. "$(dirname "$0")/lib.sh"
PORT=18042 N=3 HOLD=200
netns_new NS
wl_bg "$NS" server server --port $PORT --count $N --hold $HOLD
tracer_start -p "$server_PID"
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
sleep 0.3
tracer_stop
g=$(group CLOSE_WAIT $PORT server)
check_group "the exited process's group" "$g"
check_eq "completed kept" "$(field "$g" completed)" $N
check_eq "exited" "$(field "$g" exited)" true
check_ge "min_ns" "$(field "$g" min_ns)" $((HOLD * 1000000))
finish
