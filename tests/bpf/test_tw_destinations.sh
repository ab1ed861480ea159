#!/usr/bin/env bash
# Where clients' ports go: a client process closes first N1 connections to
# one server from two local addresses in turn, then another client N2 to
# another server, in a namespace whose ephemeral range is RANGE ports
# (timewait sockets never reused). connect() draws a port per local and
# remote address, so the report names each (owner, local address,
# destination) with its count of timewait sockets, as ss counts them, and
# their share of the namespace's range (the tracer runs in another).
. "$(dirname "$0")/lib.sh"
PORT1=18081 PORT2=18082 N1=60 N2=20 RANGE=100
netns_new NS
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="40000 $((40000 + RANGE - 1))" \
	net.ipv4.tcp_tw_reuse=0
tracer_start -P $PORT1 -P $PORT2
wl_bg "$NS" srv1 server --port $PORT1 --count $N1
wl_bg "$NS" srv2 server --port $PORT2 --count $N2
wl_bg "$NS" client client --port $PORT1 --count $N1 --sources 2
wl_wait client
wl_bg "$NS" client2 client --port $PORT2 --count $N2
wl_wait client2
wl_wait srv1
wl_wait srv2
# Read at each report: with 2, tcp_tw_reuse applies to loopback destinations.
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_tw_reuse=2
sleep 0.3
tracer_stop

# dest FROM PORT: the report's destination FROM -> 127.0.0.1:PORT, as compact JSON.
dest() {
	jq -c --arg l "$1" --argjson p "$2" '[.tw_destinations[] | select(.local_addr == $l and
		.remote.addr == "127.0.0.1" and .remote.port == $p)] | first // empty' "$OUT"
}
# ss_count FROM PORT: timewait sockets from FROM to 127.0.0.1:PORT in the namespace.
ss_count() {
	ip netns exec "$NS" ss -Htn state time-wait src "$1" dst "127.0.0.1:$2" | grep -c .
}

d1a=$(dest 127.0.1.1 $PORT1)
d1b=$(dest 127.0.1.2 $PORT1)
d2=$(dest 127.0.0.1 $PORT2)
check_group "destination :$PORT1 from 127.0.1.1" "$d1a"
check_group "destination :$PORT1 from 127.0.1.2" "$d1b"
check_group "destination :$PORT2" "$d2"
check_eq "destinations" "$(jq '.tw_destinations | length' "$OUT")" 3
check_eq "most first" "$(jq '[.tw_destinations[].sockets] | . == (sort | reverse)' "$OUT")" true
# killed PORT: the client's timewait sockets to PORT that the kernel killed.
# Rarely some: a segment that reaches the server after its socket is gone
# meets the listener, which answers with a reset (not a tracer's doing).
killed() { field "$(group TIME_WAIT "$1" client)" killed; }
check_eq ":$PORT1 sockets from 127.0.1.1, as ss counts them" "$(field "$d1a" sockets)" \
	"$(ss_count 127.0.1.1 $PORT1)"
check_eq ":$PORT1 sockets from 127.0.1.2, as ss counts them" "$(field "$d1b" sockets)" \
	"$(ss_count 127.0.1.2 $PORT1)"
check_eq ":$PORT1 from both, with those killed" \
	$(($(field "$d1a" sockets) + $(field "$d1b" sockets) + $(killed $PORT1))) $N1
check_eq ":$PORT2 sockets, as ss counts them" "$(field "$d2" sockets)" "$(ss_count 127.0.0.1 $PORT2)"
check_eq ":$PORT2 sockets, with those killed" $(($(field "$d2" sockets) + $(killed $PORT2))) $N2
check_eq "owner" "$(field "$d1a" pid)" "$client_PID"
check_eq "the same owner from its other address" "$(field "$d1b" pid)" "$client_PID"
check_eq "the other client" "$(field "$d2" pid)" "$client2_PID"
check_eq "the namespace's range, not the tracer's" "$(field "$d1a" ephemeral_ports)" $RANGE
check_eq "share" "$(field "$d1a" port_share)" \
	"$(awk -v n="$(field "$d1a" sockets)" -v r=$RANGE 'BEGIN { print n / r }')"
check_eq "the namespace's tcp_tw_reuse" "$(field "$d1a" tcp_tw_reuse)" 2
check_eq "which applies to a loopback destination" "$(field "$d1a" tw_reusable)" true
check_eq "lost_events" "$(jq .lost_events "$OUT")" 0
finish
