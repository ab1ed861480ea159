#!/usr/bin/env bash
# A timewait socket born in FIN_WAIT2 whose peer's FIN comes HOLD s later:
# the move to TIME_WAIT re-arms its timer HOLD s further, past the timer
# wheel's bucket (2 s wide at 60 s out with HZ=250), so the kernel's timer
# tracepoints fire: a cancel that reads the substate TIME_WAIT already (the
# kernel sets it first) and a timer last armed at the birth. Its time in
# TIME_WAIT runs from the FIN, not from the birth: IPv4 and IPv6 sockets
# killed with ss -K KILL_AT s after their FIN have spent about KILL_AT s in
# TIME_WAIT, not HOLD + KILL_AT.
. "$(dirname "$0")/lib.sh"
PORT=18076 HOLD=3 KILL_AT=4
netns_new NS
# No reset kills one earlier (see test_tw_expire).
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_rfc1337=1
tracer_start -P $PORT
wl_bg "$NS" srv4 server --port $PORT --addr 127.0.0.1 --count 1 --hold $((HOLD * 1000))
wl_bg "$NS" srv6 server --port $PORT --addr ::1 --count 1 --hold $((HOLD * 1000))
wl_bg "$NS" cli4 client --port $PORT --addr 127.0.0.1 --count 1
wl_bg "$NS" cli6 client --port $PORT --addr ::1 --count 1
wl_wait cli4
wl_wait cli6
sleep 1
# The workload did what the test is about: both born in FIN_WAIT2, the FIN still to come.
check_eq "timewait sockets in FIN_WAIT2 before the FIN" \
	"$(ip netns exec "$NS" ss -Htan state fin-wait-2 "( dport = :$PORT )" | wc -l)" 2
wl_wait srv4
wl_wait srv6
fin=$(date +%s%N)
check_eq "in TIME_WAIT after it" \
	"$(ip netns exec "$NS" ss -Htan state time-wait "( dport = :$PORT )" | wc -l)" 2
sleep $KILL_AT
check_eq "killed with ss -K" "$(kill_tw "$NS" $PORT)" 2
killed=$(($(date +%s%N) - fin))
sleep 0.5 # a kill is reported at the next timewait timer event, or read from its slot
tracer_stop
check_eq "tracked and killed" "$(tw_clients killed 'add // 0')" 2
check_eq "none open" "$(tw_clients open 'add // 0')" 0
# The FIN came before $fin was read, by the servers' exit at most.
check_ge "shortest time in TIME_WAIT (ns)" "$(tw_clients min_ns 'min // 0')" $((KILL_AT * 1000000000 - 100000000))
check_le "longest time in TIME_WAIT (ns): from the FIN, not the birth" \
	"$(tw_clients max_ns 'max // 0')" $((killed + 300000000))
finish
