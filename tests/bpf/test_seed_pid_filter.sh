#!/usr/bin/env bash
# -p with sockets that exist before the start: the followed process's leaked
# sockets are reported, another process's are not.
. "$(dirname "$0")/lib.sh"
PA=18025 PB=18026 N=3
netns_new NS
wl_bg "$NS" srva server --port $PA --count $N --mode leak --linger 60
wl_bg "$NS" srvb server --port $PB --count $N --mode leak --linger 60
wl_bg "$NS" clia client --port $PA --count $N
wl_bg "$NS" clib client --port $PB --count $N
wl_wait clia
wl_wait clib
sleep 1
tracer_start -p "$srva_PID" 1 1
tracer_wait

a=$(group CLOSE_WAIT $PA server)
check_group "followed server's group" "$a"
check_eq "followed pid" "$(field "$a" pid)" "$srva_PID"
check_eq "followed open" "$(field "$a" open)" $N
check_eq "groups of other processes" \
	"$(jq --argjson p "$srva_PID" '[.groups[] | select(.pid != $p)] | length' "$OUT")" 0
finish
