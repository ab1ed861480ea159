#!/usr/bin/env bash
# A full closers table gives up its stalest claims, not live ones: the table
# (4 slots) is filled with claims made an hour ago whose close never came,
# then 4 client sockets close first and wait in FIN_WAIT2 together. Each
# evicts one stale claim, none evicts another live one: all 4 timewait
# sockets keep their owner, and the 4 evictions are counted. The server holds
# each connection 4 s after the client's FIN, so that no close frees a slot
# before the last claim even on a machine that stalls for a second or two.
. "$(dirname "$0")/lib.sh"
PORT=18044 N=4 HOLD=4000
netns_new NS
tracer_start -P $PORT --max-closers $N
closers=$(tracer_map_id closers)
[ -n "$closers" ] || { fail "no closers map"; finish; }
# Kernel jiffies, not USER_HZ: from the timer list.
jiffies=$(awk '/^jiffies:/ { print $2; exit }' /proc/timer_list)
[ -n "$jiffies" ] || { fail "no jiffies in /proc/timer_list"; finish; }
le_bytes() { # VALUE BYTES: little-endian hex bytes
	local v=$1 n=$2 out=
	for _ in $(seq "$n"); do
		out+=$(printf '%02x ' $((v & 255)))
		v=$((v >> 8))
	done
	echo "$out"
}
# An hour ago at any HZ up to 1000.
since=$(((jiffies - 3600 * 1000) & 0xffffffff))
for i in $(seq 0 $((N - 1))); do
	# sk (a made-up address), tgid 1, comm "stale", since
	# shellcheck disable=SC2046
	bpftool map update id "$closers" key hex $(le_bytes "$i" 4) \
		value hex $(le_bytes $((0xffff888000000000 + i * 64)) 8) $(le_bytes 1 4) \
		73 74 61 6c 65 00 00 00 00 00 00 00 00 00 00 00 $(le_bytes "$since" 4) ||
		fail "cannot seed slot $i"
done
wl_bg "$NS" server server --port $PORT --count $N --hold $HOLD
wl_bg "$NS" client client --port $PORT --count $N --mode close-first
wl_wait client
wl_wait server
sleep 0.3
bpftool map dump id "$closers" -j >"$WORK/closers.json"
left=$(jq '[.[] | select(.formatted.value.owner.tgid == 1)] | length' "$WORK/closers.json")
tracer_stop

check_eq "stale claims left in the table" "$left" 0
t=$(group TIME_WAIT $PORT client)
check_group "TIME_WAIT client group" "$t"
check_eq "pid" "$(field "$t" pid)" "$client_PID"
check_eq "TIME_WAIT open with their owner" "$(field "$t" open)" $N
check_eq "TIME_WAIT sockets without an owner" \
	"$(jq --argjson p $PORT '[.groups[] | select(.state == "TIME_WAIT" and .port == $p and .pid == null) | .open] | add // 0' "$OUT")" 0
check_eq "untracked (the evictions)" "$(jq .untracked_sockets "$OUT")" $N
[ "$FAILED" -eq 0 ] || say "closers table after the claims: $(jq -c '[.[].formatted.value]' "$WORK/closers.json")"
finish
