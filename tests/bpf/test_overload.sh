#!/usr/bin/env bash
# Overload is reported, never hidden: with a tiny ring buffer and a tiny
# closers table under churn, the reported lost_events equal the kernel's
# count and untracked_sockets the closers the table had no room for plus the
# timewait sockets that ended without their birth seen and the CLOSE_WAIT
# sockets that left it without their entry seen (births and entries the full
# ring buffer dropped), less those recovered at their end, and what was
# tracked stays right.
. "$(dirname "$0")/lib.sh"
PORT=18040 HPORT=18041 HOLD=300 N=5 DPORT=18042 DHOLD=4000 DN=3
netns_new NS
tracer_start --ringbuf-size 4096 --max-closers 2
"$TRACER" --ringbuf-size 4096 --max-closers 2 >"$WORK/text.out" 2>/dev/null &
text_pid=$!
ip netns exec "$NS" "$WL" churn-server --port $PORT --duration 5 >/dev/null 2>&1 &
BG_PIDS+=($!)
sleep 0.3
wl_bg "$NS" server server --port $HPORT --count $N --hold $HOLD
wl_bg "$NS" dserver server --port $DPORT --count $DN --hold $DHOLD
ip netns exec "$NS" "$WL" churn-client --port $PORT --duration 3 --workers 2 >"$WORK/churn.out" &
churn=$!
# A smooth churn may never outrun even this ring: readers that stall (as a
# loaded host's would) make sure it does. A resume may find churned sockets
# in CLOSE_WAIT whose entry was dropped and whose exit is still to come, but
# they last microseconds; DN sockets on DPORT surely do: they enter
# CLOSE_WAIT in the first stall, with the ring full, and leave it DHOLD ms
# later, after the churn, when the ring has room.
for i in 1 2 3; do
	sleep 0.4
	kill -STOP "$TRACER_PID" $text_pid
	if [ $i -eq 1 ]; then
		sleep 0.1
		wl_bg "$NS" dclient client --port $DPORT --count $DN
		sleep 0.3
	else
		sleep 0.4
	fi
	kill -CONT "$TRACER_PID" $text_pid
done
wait $churn
wl_bg "$NS" client client --port $HPORT --count $N
wl_wait client
wl_wait server
wl_wait dclient
wl_wait dserver
sleep 1
bss=$(bpftool map dump id "$(tracer_map_id tcpwaitt.bss)" -j | jq -c '.[0].formatted.value[".bss"] | add')
tracer_stop
kill -INT $text_pid
wait $text_pid

k_lost=$(jq '.lost_events' <<<"$bss")
dropped=$(jq .closers_dropped "$OUT")
check_ge "kernel counted ring buffer drops" "$k_lost" 1
check_ge "the closers table dropped some" "$dropped" 1
check_eq "reported ringbuf_full == kernel counter" "$(jq .ringbuf_full "$OUT")" "$k_lost"
check_eq "reported untracked == dropped closers + unseen births and entries not recovered" \
	"$(jq .untracked_sockets "$OUT")" \
	"$((dropped + $(jq '.tw_unseen_births - .tw_unseen_recovered + .cw_unseen_entries - .cw_unseen_recovered' "$OUT")))"
# A 4 KiB ring under churn drops entries whose exits find room: DPORT's at
# least, measured at their exit from their peer's FIN's ACK (by the jiffy).
check_ge "CLOSE_WAIT exits without their entry counted" "$(jq .cw_unseen_entries "$OUT")" $DN
check_ge "and measured" "$(jq .cw_unseen_recovered "$OUT")" $DN
d=$(group CLOSE_WAIT $DPORT server)
check_eq "DPORT's CLOSE_WAIT sockets measured" "$(field "$d" completed)" $DN
check_ge "DPORT's: about DHOLD (ns)" "$(field "$d" min_ns)" $(((DHOLD - 500) * 1000000))
check_le "DPORT's: DHOLD at most (ns)" "$(field "$d" max_ns)" $(((DHOLD + 10) * 1000000))
check_ge "lost_events includes the drops" "$(jq .lost_events "$OUT")" "$k_lost"
g=$(group CLOSE_WAIT $HPORT server)
if [ -n "$g" ]; then
	check_ge "tracked CLOSE_WAIT min still >= hold" "$(field "$g" min_ns)" $((HOLD * 1000000))
	check_le "tracked CLOSE_WAIT max still near hold" "$(field "$g" max_ns)" $(((HOLD + 300) * 1000000))
else
	say "ok: every hold event was dropped; nothing to check there"
fi
check_eq "text report warns" "$(grep -c '^WARNING: .* events lost' "$WORK/text.out")" 1
finish
