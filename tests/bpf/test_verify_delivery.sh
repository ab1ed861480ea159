#!/usr/bin/env bash
# --verify-delivery: perf counts the hits of sock:inet_sock_set_state and the
# report sets them against what reached the state program. A known workload
# makes a known number of transitions (10 per connection, 2 for the
# listener), with tp_btf and with classic tracepoints; without the flag the
# figures are null, not 0.
. "$(dirname "$0")/lib.sh"
PORT=18031 N=300
netns_new NS
tracer_start -P $PORT --verify-delivery
wl_bg "$NS" server server --port $PORT --count $N
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
sleep 0.3
tracer_stop

hits=$(jq .state_hits "$OUT")
undelivered=$(jq .undelivered_events "$OUT")
# Per connection: the client's CLOSE->SYN_SENT->ESTABLISHED->FIN_WAIT1->
# FIN_WAIT2->CLOSE, the server's SYN_RECV->ESTABLISHED->CLOSE_WAIT->LAST_ACK->
# CLOSE; the listener's CLOSE->LISTEN->CLOSE. Anything else on the host
# during the test can only add.
want=$((10 * N + 2))
check_ge "state tracepoint hits" "$hits" $want
check_le "state tracepoint hits (little else on the host)" "$hits" $((want + want / 5))
check_le "hits no program saw" "$undelivered" $((hits / 100))
check_eq "lost_events adds them up" "$(jq '.lost_events == .ringbuf_full + .recursion_misses + .undelivered_events' "$OUT")" true
t=$(group TIME_WAIT $PORT client)
# Open, or killed early by the client's own port reuse (tcp_tw_reuse).
check_eq "TIME_WAIT sockets all accounted for" "$(($(field "$t" open) + $(field "$t" killed)))" $N

# Classic tracepoints: their programs must let perf see the hits (a classic
# program's return value hides a hit from perf events on the tracepoint).
tracer_start -P $PORT --verify-delivery --classic-tracepoints
wl_bg "$NS" server server --port $PORT --count 100
wl_bg "$NS" client client --port $PORT --count 100
wl_wait client
wl_wait server
sleep 0.3
tracer_stop
check_ge "state tracepoint hits, classic tracepoints" "$(jq .state_hits "$OUT")" 1002
check_le "hits no program saw, classic tracepoints" "$(jq .undelivered_events "$OUT")" 10

# Without the flag: not measured, so null.
tracer_start -P $PORT -d 1
tracer_wait
check_eq "state_hits without the flag" "$(jq .state_hits "$OUT")" null
check_eq "undelivered_events without the flag" "$(jq .undelivered_events "$OUT")" null
finish
