#!/usr/bin/env bash
# A port taken over: with tcp_tw_reuse, connect() from the same source port
# to the same server kills the timewait socket the previous connection left
# and, on the same CPU and most often at the same address, a new one of the
# same tuple is born moments later (born in TIME_WAIT: the client shuts down
# first and closes at the server's FIN). That is a kill and a birth, told
# from a re-arm by the new connection's sequence numbers, not by the time
# between them. K connections: K-1 killed, each taken over by a connect()
# (as the kernel counts them), one open, none unseen.
. "$(dirname "$0")/lib.sh"
PORT=18091 SPORT=40500 K=8
netns_new NS
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_tw_reuse_delay=1
tracer_start -P $PORT
taskset -pc 0 $$ >/dev/null || { fail "cannot pin to CPU 0"; finish; }
wl_bg "$NS" srv server --port $PORT --count $K
for i in $(seq $K); do
	wl_bg "$NS" cli$i client --port $PORT --count 1 --from-port $SPORT --mode shutdown-first
	wl_wait cli$i
	sleep 0.05
done
wl_wait srv
# The kernel's own count of timewait sockets connect() took over.
recycled=$(ip netns exec "$NS" nstat -az TcpExtTWRecycled | awk '$1 == "TcpExtTWRecycled" { print $2 }')
check_eq "one timewait socket left, in TIME_WAIT" \
	"$(ip netns exec "$NS" ss -Htan state time-wait "( sport = :$SPORT )" | wc -l)" 1
sleep 0.5 # the last kill is reported at the next timewait timer event, or read from its slot
tracer_stop
# A group per client process: summed.
check_eq "killed: each taken over by the next connection" "$(tw_clients killed 'add // 0')" $((K - 1))
check_eq "taken over: each of them, by a connect()" "$(tw_clients taken_over 'add // 0')" $((K - 1))
check_eq "taken over, as the kernel counts them (TWRecycled)" "$(tw_clients taken_over 'add // 0')" "$recycled"
check_eq "open: the last one" "$(tw_clients open 'add // 0')" 1
check_eq "a group per connection" "$(tw_clients open 'length')" $K
check_ge "shortest life: at least the pause between connections (ns)" "$(tw_clients min_ns 'map(select(. > 0)) | min // 0')" 40000000
check_le "longest life (ns)" "$(tw_clients max_ns 'max // 0')" 2000000000
check_eq "no birth unseen" "$(jq .tw_unseen_births "$OUT")" 0
check_eq "no untracked sockets" "$(jq .untracked_sockets "$OUT")" 0
finish
