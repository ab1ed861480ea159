#!/usr/bin/env bash
# INTERVAL COUNT: one JSON document per line, COUNT of them, then the tracer
# ends by itself; the open sockets show in every report after they appear.
. "$(dirname "$0")/lib.sh"
PORT=18010 N=3
netns_new NS
wl_bg "$NS" server server --port $PORT --count $N --mode leak --linger 30
tracer_start -P $PORT 1 3
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wait "$TRACER_PID"
rc=$?
TRACER_PID=
check_eq "exit code" $rc 0
check_eq "reports" "$(wc -l <"$OUT")" 3
check_eq "every line is a JSON document" "$(jq -c 'has("groups")' "$OUT" | sort -u)" true
check_eq "open in the last report" \
	"$(tail -n 1 "$OUT" | jq --argjson p $PORT '[.groups[] | select(.state == "CLOSE_WAIT" and .port == $p) | .open] | add')" $N
check_eq "charged to the server" \
	"$(tail -n 1 "$OUT" | jq --argjson p $PORT '[.groups[] | select(.state == "CLOSE_WAIT" and .port == $p) | .pid] | first')" "$server_PID"
finish
