#!/usr/bin/env bash
# Leaked CLOSE_WAIT sockets that exist before the tracer starts show in its
# first report, charged to the leaking server, with an age that is labelled
# as not measured and covers the time they have been stuck.
. "$(dirname "$0")/lib.sh"
PORT=18020 N=12 STUCK=3
netns_new NS
wl_bg "$NS" server server --port $PORT --count $N --mode leak --linger 60
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
sleep $STUCK
tracer_start -P $PORT 1 1
tracer_wait

g=$(group CLOSE_WAIT $PORT server)
check_group "CLOSE_WAIT server group" "$g"
check_eq "pid" "$(field "$g" pid)" "$server_PID"
check_eq "open" "$(field "$g" open)" $N
check_eq "open_seeded" "$(field "$g" open_seeded)" $N
check_eq "completed (none measured)" "$(field "$g" completed)" 0
check_ge "oldest_open_ns" "$(field "$g" oldest_open_ns)" $((STUCK * 1000000000))
check_le "oldest_open_ns" "$(field "$g" oldest_open_ns)" $(((STUCK + 3) * 1000000000))
check_eq "labelled lower bound" "$(field "$g" oldest_open_is_lower_bound)" true
check_eq "oldest list marks them" \
	"$(jq --argjson p $PORT '[.oldest_open[] | select(.port == $p) | .age_is_lower_bound] | unique' -c "$OUT")" '[true]'
finish
