#!/usr/bin/env bash
# TIME_WAIT sockets that exist before the tracer starts are all reported,
# under an explicit unknown pre-existing owner, with ages from the kernel's
# timer.
. "$(dirname "$0")/lib.sh"
PORT=18021 N=6 BEFORE=5 TRACE=2
netns_new NS
wl_bg "$NS" server server --port $PORT --count $N
# From another address than the server's: the listed ends cannot be swapped unseen.
wl_bg "$NS" client client --port $PORT --count $N --bind 127.0.0.2
wl_wait client
wl_wait server
closed=$(date +%s%N)
sleep $BEFORE
tracer_start -P $PORT $TRACE 1
tracer_wait
age_max=$(($(date +%s%N) - closed))
# As the kernel has them. Rarely fewer than N: a segment that reaches the
# server after its socket is gone meets the listener, whose reset kills a
# client's timewait socket (before the tracer, so unseen by it).
tw=$(ip netns exec "$NS" ss -Htn state time-wait "( dport = :$PORT )" | grep -c .)
check_ge "timewait sockets left by the workload" "$tw" $((N - 2))

t=$(group TIME_WAIT $PORT client)
check_group "TIME_WAIT group" "$t"
check_eq "pid" "$(field "$t" pid)" null
check_eq "owner" "$(field "$t" comm)" "unknown (pre-existing)"
check_eq "open, as ss counts them" "$(field "$t" open)" "$tw"
check_eq "open_seeded" "$(field "$t" open_seeded)" "$tw"
check_ge "oldest_open_ns" "$(field "$t" oldest_open_ns)" $(((BEFORE + TRACE) * 1000000000 - 100000000))
check_le "oldest_open_ns" "$(field "$t" oldest_open_ns)" $((age_max + 100000000))
check_eq "not labelled lower bound (the timer tells)" "$(field "$t" oldest_open_is_lower_bound)" false
check_eq "each listed with both ends, as ss has them" "$(tw_listed $PORT)" "$(tw_in_ns "$NS" $PORT)"
finish
