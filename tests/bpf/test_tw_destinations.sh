#!/usr/bin/env bash
# Where clients' ports go: a client process closes first N1 connections to
# one server, then another client N2 to another server, in a namespace whose
# ephemeral range is RANGE ports (timewait sockets never reused). The report names each
# destination with its count of timewait sockets, as ss counts them, and
# their share of the namespace's range (the tracer runs in another).
. "$(dirname "$0")/lib.sh"
PORT1=18081 PORT2=18082 N1=60 N2=20 RANGE=100
netns_new NS
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="40000 $((40000 + RANGE - 1))" \
	net.ipv4.tcp_tw_reuse=0
tracer_start -P $PORT1 -P $PORT2
wl_bg "$NS" srv1 server --port $PORT1 --count $N1
wl_bg "$NS" srv2 server --port $PORT2 --count $N2
wl_bg "$NS" client client --port $PORT1 --count $N1
wl_wait client
wl_bg "$NS" client2 client --port $PORT2 --count $N2
wl_wait client2
wl_wait srv1
wl_wait srv2
# Read at each report: with 2, tcp_tw_reuse applies to loopback destinations.
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_tw_reuse=2
sleep 0.3
tracer_stop

# dest PORT: the report's destination 127.0.0.1:PORT, as compact JSON.
dest() {
	jq -c --argjson p "$1" '[.tw_destinations[] | select(.remote.addr == "127.0.0.1" and
		.remote.port == $p)] | first // empty' "$OUT"
}
# ss_count PORT: timewait sockets to 127.0.0.1:PORT in the namespace.
ss_count() { ip netns exec "$NS" ss -Htn state time-wait dst "127.0.0.1:$1" | grep -c .; }

d1=$(dest $PORT1)
d2=$(dest $PORT2)
check_group "destination :$PORT1" "$d1"
check_group "destination :$PORT2" "$d2"
check_eq "destinations" "$(jq '.tw_destinations | length' "$OUT")" 2
check_eq "most first" "$(jq '.tw_destinations[0].remote.port' "$OUT")" $PORT1
check_eq ":$PORT1 sockets" "$(field "$d1" sockets)" $N1
check_eq ":$PORT1 sockets, as ss counts them" "$(field "$d1" sockets)" "$(ss_count $PORT1)"
check_eq ":$PORT2 sockets" "$(field "$d2" sockets)" $N2
check_eq ":$PORT2 sockets, as ss counts them" "$(field "$d2" sockets)" "$(ss_count $PORT2)"
check_eq "owner" "$(field "$d1" pid)" "$client_PID"
check_eq "the other client" "$(field "$d2" pid)" "$client2_PID"
check_eq "the namespace's range, not the tracer's" "$(field "$d1" ephemeral_ports)" $RANGE
check_eq "share" "$(field "$d1" port_share)" "$(awk -v n=$N1 -v r=$RANGE 'BEGIN { print n / r }')"
check_eq "the namespace's tcp_tw_reuse" "$(field "$d1" tcp_tw_reuse)" 2
check_eq "which applies to a loopback destination" "$(field "$d1" tw_reusable)" true
check_eq "lost_events" "$(jq .lost_events "$OUT")" 0
finish
