#!/usr/bin/env bash
# The server holds each socket HOLD ms after the peer's FIN: CLOSE_WAIT is
# charged to the server's PID and listening port, with the hold as duration.
# The client closed first, so its TIME_WAIT sockets are its own, role client.
. "$(dirname "$0")/lib.sh"
ADDR=${ADDR:-127.0.0.1}
PORT=${PORT:-18001}
# The client's own address, apart from the server's, so that a TIME_WAIT
# socket's peer can only be named right.
CLIENT_ADDR=${CLIENT_ADDR:-127.0.0.2}
N=10 HOLD=400
netns_new NS
tracer_start -P "$PORT" ${TRACER_ARGS:-}
wl_bg "$NS" server server --addr "$ADDR" --port "$PORT" --count $N --hold $HOLD
wl_bg "$NS" client client --addr "$ADDR" --port "$PORT" --count $N --bind "$CLIENT_ADDR"
wl_wait client
wl_wait server
sleep 0.3
tracer_stop

g=$(group CLOSE_WAIT "$PORT" server)
check_group "CLOSE_WAIT server group" "$g"
check_eq "CLOSE_WAIT pid" "$(field "$g" pid)" "$server_PID"
check_eq "CLOSE_WAIT comm" "$(field "$g" comm)" "tcpwl"
check_eq "CLOSE_WAIT completed" "$(field "$g" completed)" $N
check_eq "CLOSE_WAIT open" "$(field "$g" open)" 0
check_ge "CLOSE_WAIT min_ns" "$(field "$g" min_ns)" $((HOLD * 1000000))
check_near "CLOSE_WAIT p50_ns" "$(field "$g" p50_ns)" $((HOLD * 1000000)) 5
check_le "CLOSE_WAIT max_ns" "$(field "$g" max_ns)" $(((HOLD + 200) * 1000000))
check_eq "histogram total" "$(jq '[.histogram[].count] | add' <<<"$g")" $N
check_eq "no CLOSE_WAIT charged to the client" \
	"$(jq --argjson p "$client_PID" '[.groups[] | select(.state == "CLOSE_WAIT" and .pid == $p)] | length' "$OUT")" 0

t=$(group TIME_WAIT "$PORT" client)
check_group "TIME_WAIT client group" "$t"
check_eq "TIME_WAIT pid" "$(field "$t" pid)" "$client_PID"
check_tw_accounted "$t" "$PORT" $N
listed=$(tw_listed "$PORT")
check_eq "TIME_WAIT sockets listed" "$(grep -c . <<<"$listed")" "$(field "$t" open)"
check_eq "each listed with both ends, as ss has them" "$listed" "$(tw_in_ns "$NS" "$PORT")"
check_eq "lost_events" "$(jq .lost_events "$OUT")" 0
check_eq "untracked_sockets" "$(jq .untracked_sockets "$OUT")" 0
if [ -n "${TRACER_ARGS:-}" ]; then
	check_eq "programs used" "$(grep -o "(tracepoint)" "$WORK/tracer.err")" "(tracepoint)"
fi
finish
