#!/usr/bin/env bash
# A timewait socket born in FIN_WAIT2 (the client closed first) whose
# server closes HOLD s later: the server's FIN moves it to TIME_WAIT, where
# it lives 60 s from that FIN, HOLD + 60 s after its birth. Reports
# reconcile the tracked timewait sockets every 10 s, dropping those that
# should have ended by then: this one must not be taken for gone 75 s after
# its birth, as it once was (counted reconciled, not shown open, and its
# expiry then counted as that of a socket whose birth was never seen), but
# only 75 s after its entry into TIME_WAIT. With HOLD=30 it expires about
# 90 s after its birth, and a report every 5 s makes sure that at least one
# reconciliation runs in between.
. "$(dirname "$0")/lib.sh"
PORT=18092 HOLD=30
netns_new NS
# No reset kills it earlier (see test_tw_expire).
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_rfc1337=1
tracer_start -P $PORT 5
wl_bg "$NS" server server --port $PORT --count 1 --hold $((HOLD * 1000)) --timeout $((HOLD + 30))
wl_bg "$NS" client client --port $PORT --count 1
wl_wait client
born=$(date +%s)
sleep 1
check_eq "born in FIN_WAIT2" \
	"$(ip netns exec "$NS" ss -Htan state fin-wait-2 "( dport = :$PORT )" | wc -l)" 1
wl_wait server
fin=$(date +%s)
check_eq "in TIME_WAIT after the FIN" \
	"$(ip netns exec "$NS" ss -Htan state time-wait "( dport = :$PORT )" | wc -l)" 1
for _ in $(seq 80); do
	[ "$(ip netns exec "$NS" ss -Htan state time-wait "( dport = :$PORT )" | wc -l)" -eq 0 ] &&
		break
	sleep 1
done
check_ge "it lived past 75 s after its birth (s)" $(($(date +%s) - born)) 76
sleep 0.5
tracer_stop

# The reports made after 75 s from its birth and well before its expiry.
open=$(jq -c --argjson lo $((born + 77)) --argjson hi $((fin + 55)) --argjson p $PORT \
	'select(.end_time >= $lo and .end_time <= $hi) |
	 [.groups[] | select(.state == "TIME_WAIT" and .port == $p and .role == "client") | .open] |
	 add // 0' "$OUT" | sort -u | tr '\n' ' ')
check_eq "shown open in every report between 77 s after its birth and its expiry" "$open" "1 "
tail -n 1 "$OUT" >"$WORK/last.json"
OUT=$WORK/last.json
check_eq "reconciled: none" "$(jq .reconciled_sockets "$OUT")" 0
check_eq "expired" "$(tw_clients expired)" 1
check_eq "killed" "$(tw_clients killed)" 0
check_eq "open at the end" "$(tw_clients open)" 0
check_eq "its end of a socket it knew" "$(jq .tw_unseen_births "$OUT")" 0
check_eq "untracked" "$(jq .untracked_sockets "$OUT")" 0
# 60 s from the FIN, plus the timer wheel's slack; from the birth it would be HOLD more.
check_ge "time in TIME_WAIT (ns): 60 s" "$(tw_clients min_ns 'min // 0')" 59000000000
check_le "time in TIME_WAIT (ns): from the FIN, not the birth" \
	"$(tw_clients max_ns 'max // 0')" 64000000000
finish
