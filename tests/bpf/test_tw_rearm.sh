#!/usr/bin/env bash
# A segment that reaches a timewait socket re-arms its timer to a full
# TIME_WAIT again (the kernel cancels the timer and starts it, in one
# mod_timer()). The tracer must read that as the same socket going on, not
# as a kill and a new birth: one IPv4 and one IPv6 timewait socket, each
# re-armed by a bare ACK 6 s after its birth (another timer wheel bucket,
# so the kernel's timer tracepoints fire), then killed with ss -K at 9 s:
# two sockets, both killed after ~9 s, no birth unseen. (PORT, TRACER_ARGS
# and SERVER_ARGS let the variants reuse it.)
. "$(dirname "$0")/lib.sh"
PORT=${PORT:-18072} REARM_AT=6 KILL_AT=9
netns_new NS
# Out of its window, the ACK draws the timewait's own ACK, which the peer
# answers with a RST: with RFC 1337 behaviour that RST does not kill it.
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_rfc1337=1
tracer_start -P $PORT ${TRACER_ARGS:-}
for a in 127.0.0.1 ::1; do
	# shellcheck disable=SC2086
	wl_bg "$NS" srv server --port $PORT --addr $a --count 1 ${SERVER_ARGS:-}
	wl_bg "$NS" cli client --port $PORT --addr $a --count 1
	wl_wait cli
	wl_wait srv
done
born=$(date +%s%N)
# sleep_until S: until S seconds after the births.
sleep_until() {
	local left=$(($1 * 1000000000 - ($(date +%s%N) - born)))
	[ "$left" -le 0 ] || sleep "$(awk -v n="$left" 'BEGIN { printf "%.3f", n / 1e9 }')"
}
# The timewait sockets' local ends (the clients'): ADDR PORT per line.
tw_ends() {
	ip netns exec "$NS" ss -Htan state time-wait "( dport = :$PORT )" |
		awk '{ a = $3; sub(/:[0-9]+$/, "", a); gsub(/[][]/, "", a); n = split($3, p, ":")
			print a, p[n] }'
}
check_eq "timewait sockets" "$(tw_ends | wc -l)" 2
sleep_until $REARM_AT
while read -r addr port; do
	ip netns exec "$NS" "$WL" ack --addr "$addr" --port "$port" --bind "$addr" --from-port $PORT ||
		fail "ack to $addr port $port"
done < <(tw_ends)
# The workload did what the test is about: both timers were re-armed (~60 s left, not ~54).
left=$(ip netns exec "$NS" ss -Htano state time-wait "( dport = :$PORT )" |
	sed -n 's/.*timer:(timewait,\([0-9]*\)sec.*/\1/p' | sort -n | head -1)
check_ge "seconds left after the re-arm" "${left:-0}" 58
sleep_until $KILL_AT
check_eq "killed with ss -K" "$(kill_tw "$NS" $PORT)" 2
sleep 0.5 # a kill is reported at the next timewait timer event, or read from its slot
tracer_stop
check_eq "tracked and ended" "$(tw_clients completed 'add // 0')" 2
check_eq "ended as killed" "$(tw_clients killed 'add // 0')" 2
check_eq "none open" "$(tw_clients open 'add // 0')" 0
# From the birth to the kill, not from the re-arm (a kill and a birth then).
check_ge "shortest time in TIME_WAIT (ns)" "$(tw_clients min_ns 'min // 0')" $((KILL_AT * 1000000000 - 500000000))
check_le "longest time in TIME_WAIT (ns)" "$(tw_clients max_ns 'max // 0')" $(((KILL_AT + 1) * 1000000000))
check_eq "no birth unseen" "$(jq .tw_unseen_births "$OUT")" 0
check_eq "no untracked sockets" "$(jq .untracked_sockets "$OUT")" 0
finish
