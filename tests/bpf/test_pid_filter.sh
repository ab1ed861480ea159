#!/usr/bin/env bash
# -p follows one process: with two servers in two processes, only the
# followed one's sockets appear, even though every CLOSE_WAIT transition
# happens in softirq.
. "$(dirname "$0")/lib.sh"
PA=18006 PB=18007 N=4 HOLD=200
netns_new NS
wl_bg "$NS" srva server --port $PA --count $N --hold $HOLD
wl_bg "$NS" srvb server --port $PB --count $N --hold $HOLD
tracer_start -p "$srva_PID"
wl_bg "$NS" clia client --port $PA --count $N
wl_bg "$NS" clib client --port $PB --count $N
wl_wait clia
wl_wait clib
wl_wait srva
wl_wait srvb
sleep 0.3
tracer_stop

a=$(group CLOSE_WAIT $PA server)
check_group "followed server's group" "$a"
check_eq "followed pid" "$(field "$a" pid)" "$srva_PID"
check_eq "followed completed" "$(field "$a" completed)" $N
check_near "followed p50_ns" "$(field "$a" p50_ns)" $((HOLD * 1000000)) 5
check_eq "groups of other processes" \
	"$(jq --argjson p "$srva_PID" '[.groups[] | select(.pid != $p)] | length' "$OUT")" 0
finish
