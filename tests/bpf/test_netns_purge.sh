#!/usr/bin/env bash
# Deleting a namespace kills all its timewait sockets at once, from a kernel
# worker. The tracer gets one event per namespace (per CPU) instead of a kill
# per socket, and ends the namespace's tracked timewait sockets as killed:
# - born while tracing: all end killed, none left open;
# - listed at start-up (seeded), with a ring buffer that has room for ~130
#   events: 3000 purged sockets and not one event lost. tw_netns_purged
#   counts every purged socket.
. "$(dirname "$0")/lib.sh"
PORT=18043 N=1000 SEEDED=3000

# timewaits NS PORT COUNT: COUNT connections in NS whose clients close first;
# TW set to the timewait sockets there now (a few may have been killed early).
timewaits() {
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_tw_reuse=0
	wl_bg "$1" server server --port "$2" --count "$3"
	wl_bg "$1" client client --port "$2" --count "$3"
	wl_wait client
	wl_wait server
	sleep 0.3
	TW=$(ip netns exec "$1" ss -Htan state time-wait | wc -l)
	check_ge "timewait sockets in the namespace before its deletion" "$TW" $(($3 * 8 / 10))
}

# purge NS: deletes NS and waits until the kernel worker has killed its TW
# timewait sockets (it runs later, batched), as the tracer's counter says.
purge() {
	local id purged
	id=$(tracer_map_id tcpwaitt.bss)
	ip netns del "$1"
	NAMESPACES=("${NAMESPACES[@]/$1/}")
	for _ in $(seq 100); do
		purged=$(bpftool map dump id "$id" -j |
			jq '.[0].formatted.value[".bss"] | add | .tw_netns_purged')
		[ "$purged" -ge "$TW" ] && break
		sleep 0.1
	done
	sleep 0.3
}

# killed_open PORT: "killed open" summed over the TIME_WAIT groups of PORT.
killed_open() {
	jq -r --argjson p "$1" '[.groups[] | select(.state == "TIME_WAIT" and .port == $p)] |
		"\(map(.killed) | add) \(map(.open) | add)"' "$OUT"
}

# Born while tracing.
netns_new A
tracer_start --verify-delivery
timewaits "$A" $PORT $N
purge "$A"
tracer_stop
# Those killed early by their own kill, the rest by the namespace's; short
# only of births whose hits no program saw (on this machine, hits made
# while a thread of PID 1 is current).
read -r killed open < <(killed_open $PORT)
check_eq "born while tracing: none open" "$open" 0
check_le "born while tracing: killed, at most" "$killed" "$N"
check_ge "born while tracing: killed, but for hits no program saw" "$killed" \
	$((N - $(jq .undelivered_events "$OUT")))
check_eq "every purged timewait socket counted" "$(jq .tw_netns_purged "$OUT")" "$TW"
check_eq "nothing lost" "$(jq .lost_events "$OUT")" 0

# Listed at start-up, with a tiny ring buffer.
netns_new B
timewaits "$B" $((PORT + 1)) $SEEDED
tracer_start --ringbuf-size 4096
purge "$B"
tracer_stop
check_eq "seeded: killed, open" "$(killed_open $((PORT + 1)))" "$TW 0"
check_eq "every purged timewait socket counted, tiny ring" "$(jq .tw_netns_purged "$OUT")" "$TW"
check_eq "nothing lost to the purge, tiny ring" "$(jq .lost_events "$OUT")" 0
check_eq "not unseen, not unlisted" "$(jq '.tw_unseen_births + .tw_unlisted' "$OUT")" 0
finish
