#!/usr/bin/env bash
# Natural TIME_WAIT expiries: the sockets run their full course (60 s, plus
# the timer wheel's slack) and count as expired, births seen or not: with
# --fault-drop-births 2, every 2nd birth on a CPU goes unreported, and those
# sockets are measured at their expiry from their timer, charged to the
# client by its close. The server's port is in the ephemeral range: only
# the listener in the expiring socket's namespace tells that it is a
# client's socket.
#
# A server slow to take its client's last ACK sends its FIN again; the ACK
# to that draws a reset from a server whose socket is gone by then, and the
# reset kills the client's timewait socket (TIME-WAIT assassination, RFC
# 1337): a kill, right after the re-arm the FIN made. tcp_rfc1337=1 in the
# namespace has timewait sockets ignore resets, so each runs its course.
. "$(dirname "$0")/lib.sh"
PORT=60008 N=6
netns_new NS
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_rfc1337=1
tracer_start -P $PORT --fault-drop-births 2 --verify-delivery
wl_bg "$NS" server server --port $PORT --count $N
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
for _ in $(seq 80); do
	[ "$(ip netns exec "$NS" ss -Htan state time-wait | wc -l)" -eq 0 ] && break
	sleep 1
done
sleep 0.5
drops=$(birth_drops)
tracer_stop
# What the kernel did besides, should a check below fail.
say "the namespace's kernel counters: $(ip netns exec "$NS" nstat -asz TcpRetransSegs TcpOutRsts TcpExtTW |
	awk '!/^#/ { printf "%s %s  ", $1, $2 }')"

t=$(group TIME_WAIT $PORT client)
check_group "TIME_WAIT client group" "$t"
check_eq "pid" "$(field "$t" pid)" "$client_PID"
check_eq "expired" "$(field "$t" expired)" $N
check_eq "killed" "$(field "$t" killed)" 0
check_eq "open" "$(field "$t" open)" 0
check_ge "min_ns" "$(field "$t" min_ns)" 59000000000
check_le "max_ns" "$(field "$t" max_ns)" 64000000000
check_ge "births dropped on purpose" "$drops" 1
check_ge "recovered: each" "$(jq .tw_unseen_recovered "$OUT")" "$drops"
check_le "recovered: those, and hits no program saw" "$(jq .tw_unseen_recovered "$OUT")" \
	$((drops + $(jq .undelivered_events "$OUT")))
check_eq "no other TIME_WAIT group of the port" \
	"$(jq --argjson p $PORT '[.groups[] | select(.state == "TIME_WAIT" and .port == $p)] | length' "$OUT")" 1
finish
