#!/usr/bin/env bash
# A leak whose entries into CLOSE_WAIT the tracer missed is shown all the
# same. The tracer's reader is stopped and its small ring buffers filled by a
# churn of connections (4 events each), then a server that never closes gets
# N connections its clients close, and another churn pushes the CPUs'
# batches out: their CLOSE_WAIT entries find the rings full. Once the reader runs again, the report lists the host's CLOSE_WAIT
# sockets and adopts those it does not know: all N are open, charged to the
# server (by the inode its descriptors hold), their age a lower bound (at
# least since their peer's FIN, at most since the leak), and counted in
# cw_adopted.
. "$(dirname "$0")/lib.sh"
PORT=18099 FILL=18100 PUSH=18101 N=5
netns_new NS
tracer_start --ringbuf-size 65536
fill_ring $FILL
leak_start=$(date +%s%N)
wl_bg "$NS" server server --port $PORT --count $N --mode leak --linger 30
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
push_batches $PUSH
sleep 1.5 # their FINs' ACKs over a second old: no entry can still be on its way
kill -CONT "$TRACER_PID"
sleep 0.5
check_eq "CLOSE_WAIT sockets the server holds" \
	"$(ip netns exec "$NS" ss -Htan state close-wait "( sport = :$PORT )" | wc -l)" $N
tracer_stop
leak_ns=$(($(date +%s%N) - leak_start))

g=$(group CLOSE_WAIT $PORT server)
check_group "the server's CLOSE_WAIT group" "$g"
check_ge "ring buffer full: entries dropped" "$(jq .ringbuf_full "$OUT")" 1
check_eq "pid" "$(field "$g" pid)" "$server_PID"
check_eq "open: every leaked socket" "$(field "$g" open)" $N
check_eq "none from before tracing" "$(field "$g" open_seeded)" 0
check_ge "adopted: those whose entry was dropped" "$(jq .cw_adopted "$OUT")" 1
check_le "adopted: at most the leaked ones" "$(jq .cw_adopted "$OUT")" $N
check_eq "oldest age a lower bound" "$(field "$g" oldest_open_is_lower_bound)" true
check_ge "oldest age: at least since the FIN's ACK (ns)" "$(field "$g" oldest_open_ns)" 1000000000
check_le "oldest age: at most since the leak (ns)" "$(field "$g" oldest_open_ns)" "$leak_ns"
check_eq "oldest list entries for the port" \
	"$(jq --argjson p $PORT '[.oldest_open[] | select(.state == "CLOSE_WAIT" and .port == $p)] | length' "$OUT")" $N
finish
