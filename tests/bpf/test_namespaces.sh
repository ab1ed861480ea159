#!/usr/bin/env bash
# Sockets in every network namespace are seen: pre-existing ones in a second
# and a third namespace, and new ones there after the start.
. "$(dirname "$0")/lib.sh"
P2=18027 P3=18028 N=2
netns_new NS2
netns_new NS3
wl_bg "$NS2" old2 server --port $P2 --count $N --mode leak --linger 60
wl_bg "$NS3" old3 server --port $P3 --count $N --mode leak --linger 60
wl_bg "$NS2" c2 client --port $P2 --count $N
wl_bg "$NS3" c3 client --port $P3 --count $N
wl_wait c2
wl_wait c3
tracer_start
wl_bg "$NS2" new2 server --port $((P2 + 100)) --count $N --hold 200
wl_bg "$NS3" new3 server --port $((P3 + 100)) --count $N --hold 200
wl_bg "$NS2" d2 client --port $((P2 + 100)) --count $N
wl_bg "$NS3" d3 client --port $((P3 + 100)) --count $N
wl_wait new2
wl_wait new3
tracer_stop

for p in $P2 $P3; do
	g=$(group CLOSE_WAIT $p server)
	check_eq "pre-existing open on $p" "$(field "$g" open)" $N
done
check_eq "owner on $P2" "$(field "$(group CLOSE_WAIT $P2 server)" pid)" "$old2_PID"
check_eq "owner on $P3" "$(field "$(group CLOSE_WAIT $P3 server)" pid)" "$old3_PID"
for p in $((P2 + 100)) $((P3 + 100)); do
	g=$(group CLOSE_WAIT $p server)
	check_eq "new completed on $p" "$(field "$g" completed)" $N
done
finish
