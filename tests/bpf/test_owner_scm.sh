#!/usr/bin/env bash
# A server passes each accepted socket over a UNIX socket (SCM_RIGHTS) to
# another process, which leaks it: the CLOSE_WAIT is charged to the receiver.
. "$(dirname "$0")/lib.sh"
PORT=18023 N=3
netns_new NS
tracer_start -P $PORT
wl_bg "$NS" recv receiver --unix "$WORK/pass.sock" --count $N --linger 30
wl_bg "$NS" server server --port $PORT --count $N --pass-fd "$WORK/pass.sock"
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
sleep 0.5
tracer_stop

g=$(group CLOSE_WAIT $PORT server)
check_group "CLOSE_WAIT server group" "$g"
check_eq "pid (the receiver)" "$(field "$g" pid)" "$recv_PID"
check_eq "open" "$(field "$g" open)" $N
finish
