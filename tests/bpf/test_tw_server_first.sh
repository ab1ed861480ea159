#!/usr/bin/env bash
# The server closes first: TIME_WAIT lands on the server (role server, its
# listening port); the client, which closes HOLD ms after the server's FIN,
# spends that long in CLOSE_WAIT (role client, the server's port). The
# client connects from another address, so that the report's peers can only
# be right.
. "$(dirname "$0")/lib.sh"
PORT=18005 N=5 HOLD=300
netns_new NS
tracer_start -P $PORT
wl_bg "$NS" server server --port $PORT --count $N --mode close-first
wl_bg "$NS" client client --port $PORT --count $N --mode wait-close --hold $HOLD \
	--bind 127.0.0.2
wl_wait client
wl_wait server
sleep 0.3
tracer_stop

t=$(group TIME_WAIT $PORT server)
check_group "TIME_WAIT server group" "$t"
check_eq "TIME_WAIT pid" "$(field "$t" pid)" "$server_PID"
check_tw_accounted "$t" $PORT $N
listed=$(tw_listed $PORT)
check_eq "TIME_WAIT sockets listed" "$(grep -c . <<<"$listed")" "$(field "$t" open)"
check_eq "each listed with both ends, as ss has them" "$listed" "$(tw_in_ns "$NS" $PORT)"
c=$(group CLOSE_WAIT $PORT client)
check_group "CLOSE_WAIT client group" "$c"
check_eq "CLOSE_WAIT pid" "$(field "$c" pid)" "$client_PID"
check_eq "CLOSE_WAIT completed" "$(field "$c" completed)" $N
check_ge "CLOSE_WAIT min_ns" "$(field "$c" min_ns)" $((HOLD * 1000000))
check_near "CLOSE_WAIT p50_ns" "$(field "$c" p50_ns)" $((HOLD * 1000000)) 5
check_eq "no TIME_WAIT charged to the client" \
	"$(jq --argjson p "$client_PID" '[.groups[] | select(.state == "TIME_WAIT" and .pid == $p)] | length' "$OUT")" 0
finish
