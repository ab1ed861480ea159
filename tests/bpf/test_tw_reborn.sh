#!/usr/bin/env bash
# A timewait socket killed, then a new one born at the same address on the
# same CPU (the slab hands the freed object straight back) is a kill and a
# birth, not a re-arm of the first. Everything runs on CPU 0, one connection
# at a time: each timewait socket is killed with ss -K before the next one
# is born. Every one is tracked and killed; none ends unseen.
. "$(dirname "$0")/lib.sh"
PORT=18071 K=12
netns_new NS
tracer_start -P $PORT
taskset -pc 0 $$ >/dev/null || { fail "cannot pin to CPU 0"; finish; }
killed=0
for i in $(seq $K); do
	wl_bg "$NS" srv$i server --port $PORT --count 1
	wl_bg "$NS" cli$i client --port $PORT --count 1
	wl_wait cli$i
	wl_wait srv$i
	killed=$((killed + $(kill_tw "$NS" $PORT)))
done
sleep 0.5 # the last kill is reported at the next timewait timer event, or read from its slot
tracer_stop
check_eq "timewait sockets killed with ss -K" $killed $K
# A group per client process: summed.
check_eq "all of them tracked and ended" "$(tw_clients completed)" $K
check_eq "ended as killed" "$(tw_clients killed)" $K
check_eq "none taken over by a connect(): ss -K killed them" "$(tw_clients taken_over)" 0
check_eq "none open" "$(tw_clients open)" 0
check_eq "no birth unseen" "$(jq .tw_unseen_births "$OUT")" 0
check_eq "no untracked sockets" "$(jq .untracked_sockets "$OUT")" 0
finish
