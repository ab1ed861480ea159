#!/usr/bin/env bash
# Timewait sockets whose birth the tracer never saw are shown open while they
# live, not only measured at their end: a report lists the host's timewait
# sockets when a close has waited over 1 s for its birth, or when events
# were lost, and adopts those it does not know (README, tw_adopted).
#
# 1. --fault-drop-births 3 leaves every 3rd birth on a CPU unreported (as
#    when its hits reach no program); the client's close is seen. N
#    connections, client closes first; a report 2 s later shows every
#    timewait socket ss lists open, the client's, its age from its timer;
#    then ss -K kills them all and each adopted one is measured, a
#    recovered unseen birth.
# 2. The reader stopped and small ring buffers filled by a churn on FILL:
#    the births and closes of M IPv6 connections on PORT are lost (a churn
#    on PUSH then pushes the CPUs' batches out into the full rings). After
#    the reader runs again, the report shows all of them open (and the
#    churns'), their owner unknown.
. "$(dirname "$0")/lib.sh"
PORT=18077 FILL=18078 PUSH=18079 N=60 M=10
netns_new NS
# No kills by the kernel: the ACK to a FIN sent again draws a reset from a
# peer whose socket is gone, which kills a timewait socket unless RFC 1337.
# Here a kill before the listing would end a dropped birth unadopted, and a
# kill whose event the full ring buffer dropped would leave one shown open.
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_rfc1337=1

# ---- 1: births dropped, closes seen ----
tracer_start -P $PORT --fault-drop-births 3 --verify-delivery 1
wl_bg "$NS" server server --port $PORT --count $N
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
done_ns=$(date +%s%N)
sleep 2.2 # two reports since the closes: the later one lists, 1 s after them
in_ss=$(tw_in_ns "$NS" $PORT | grep -c .)
reports=$(wc -l <"$OUT")
fw2=$(kill_tw "$NS" $PORT fin-wait-2)
killed=$(kill_tw "$NS" $PORT)
kill_ns=$(date +%s%N)
sleep 0.5 # a kill is reported at the next timewait timer event, or read from its slot
drops=$(birth_drops)
tracer_stop
check_ge "births dropped on purpose" "$drops" $((N / 3 - 2))
check_eq "timewait sockets ss killed: those it listed" "$killed" "$in_ss"

# The last report before the kills.
before="$WORK/before.json"
sed -n "${reports}p" "$OUT" >"$before"
g=$(OUT=$before group TIME_WAIT $PORT client "$client_PID")
check_group "the client's TIME_WAIT group, before the kills" "$g"
check_eq "open: every timewait socket ss listed, those whose birth was dropped too" \
	"$(field "$g" open)" "$in_ss"
check_eq "no other TIME_WAIT group of the port" \
	"$(jq --argjson p $PORT '[.groups[] | select(.state == "TIME_WAIT" and .port == $p)] | length' "$before")" 1
undelivered=$(jq .undelivered_events "$before")
check_ge "adopted: each dropped one" "$(jq .tw_adopted "$before")" "$drops"
check_le "adopted: those, and births no program saw ($undelivered)" \
	"$(jq .tw_adopted "$before")" $((drops + undelivered))
check_eq "none from before tracing" "$(field "$g" open_seeded)" 0
check_le "oldest age: at most since the workload ended, and its 2.2 s (ns)" \
	"$(field "$g" oldest_open_ns)" $(($(date +%s%N) - done_ns))
check_ge "oldest age: at least the report's 1 s after the closes (ns)" \
	"$(field "$g" oldest_open_ns)" 1000000000

# The final report: every one killed, the adopted ones measured at their end.
tail -n 1 "$OUT" >"$WORK/final.json"
mv "$WORK/final.json" "$OUT"
g=$(group TIME_WAIT $PORT client "$client_PID")
check_ge "recovered: each adopted one (ended unseen-born, owned)" \
	"$(jq .tw_unseen_recovered "$OUT")" "$(jq .tw_adopted "$OUT")"
check_le "untracked sockets: none but for hits no program saw" \
	"$(jq .untracked_sockets "$OUT")" "$(jq .undelivered_events "$OUT")"
check_eq "TIME_WAIT killed: those ss killed, and the kernel's before ($fw2 FIN_WAIT2)" \
	"$(field "$g" killed)" $((N - fw2))
check_eq "none open" "$(field "$g" open)" 0
check_eq "lives of over 2 s: those ss killed" \
	"$(jq '[.fine_histogram[] | select(.[0] >= 2000000000) | .[2]] | add // 0' <<<"$g")" "$killed"
check_le "longest life: at most until the kills (ns)" "$(field "$g" max_ns)" \
	$((kill_ns - done_ns + 100000000 + 2000000000))

# ---- 2: births and closes lost with a full ring buffer ----
tracer_start --ringbuf-size 65536
fill_ring $FILL
wl_bg "$NS" server6 server --addr ::1 --port $PORT --count $M
wl_bg "$NS" client6 client --addr ::1 --port $PORT --count $M
wl_wait client6
wl_wait server6
push_batches $PUSH
sleep 1.2 # their timers over a second old: no birth can still be on its way
kill -CONT "$TRACER_PID"
sleep 0.3
in_ss=$(tw_in_ns "$NS" $PORT | grep -c .)
fill_ss=$(tw_in_ns "$NS" $FILL | grep -c .)
tracer_stop
check_ge "ring buffer full: events dropped" "$(jq .ringbuf_full "$OUT")" 1
check_eq "IPv6 timewait sockets in the namespace" "$in_ss" $M
check_eq "open: every one on the port, as ss lists them" "$(tw_clients open)" "$in_ss"
check_eq "open: every one of the churn, as ss lists them" "$(PORT=$FILL tw_clients open)" "$fill_ss"
check_ge "adopted: at least those on the port" "$(jq .tw_adopted "$OUT")" $M
check_eq "none from before tracing" "$(tw_clients open_seeded)" 0
check_eq "none of the port ended" "$(tw_clients completed)" 0
finish
