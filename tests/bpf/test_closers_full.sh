#!/usr/bin/env bash
# A full closers table drops what it has no room for, and says so: with room
# for 4 (--max-closers 4), 8 client sockets close first and wait in FIN_WAIT2
# together (the server holds each connection 4 s after the client's FIN, so
# no timewait socket is born before the last close). The first 4 closers are
# kept and their timewait sockets have their owner; the other 4 are dropped,
# counted (closers_dropped, untracked_sockets), and their timewait sockets
# are still tracked, without an owner.
. "$(dirname "$0")/lib.sh"
PORT=18044 N=8 ROOM=4 HOLD=4000
netns_new NS
tracer_start -P $PORT --max-closers $ROOM
wl_bg "$NS" server server --port $PORT --count $N --hold $HOLD
wl_bg "$NS" client client --port $PORT --count $N --mode close-first
wl_wait client
wl_wait server
sleep 0.3
tracer_stop
owned=$(jq --argjson p $PORT '[.groups[] | select(.state == "TIME_WAIT" and .port == $p and .pid != null) | .open] | add // 0' "$OUT")
ownerless=$(jq --argjson p $PORT '[.groups[] | select(.state == "TIME_WAIT" and .port == $p and .pid == null) | .open] | add // 0' "$OUT")
t=$(jq -c --argjson p $PORT '.groups[] | select(.state == "TIME_WAIT" and .port == $p and .pid != null)' "$OUT")
check_eq "owner of the kept ones" "$(field "$t" pid)" "$client_PID"
check_eq "TIME_WAIT open with their owner" "$owned" $ROOM
check_eq "TIME_WAIT open without an owner" "$ownerless" $((N - ROOM))
check_eq "closers dropped" "$(jq .closers_dropped "$OUT")" $((N - ROOM))
check_eq "untracked (the dropped closers)" "$(jq .untracked_sockets "$OUT")" $((N - ROOM))
check_eq "closers pending at the end" "$(jq .closers_pending "$OUT")" 0
[ "$FAILED" -eq 0 ] || say "groups: $(jq -c '[.groups[] | select(.state == "TIME_WAIT")]' "$OUT")"
finish
