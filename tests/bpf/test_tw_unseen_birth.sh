#!/usr/bin/env bash
# Timewait sockets whose birth the tracer never saw are counted when their
# end comes (untracked_sockets, tw_unseen_births), not lost silently. Made
# deterministic: the sockets are born in a namespace that only a bind mount
# outside /run/netns keeps, which the start-up listing does not reach; then
# ss -K kills them there while the tracer runs.
. "$(dirname "$0")/lib.sh"
PORT=18053 N=5
hidden="$WORK/hidden-netns"
trap 'umount "$hidden" 2>/dev/null; cleanup' EXIT
netns_new NS
wl_bg "$NS" server server --port $PORT --count $N
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
check_eq "timewait sockets in the namespace" \
	"$(ip netns exec "$NS" ss -Htan state time-wait "( dport = :$PORT )" | wc -l)" $N
touch "$hidden"
mount --bind "/run/netns/$NS" "$hidden" || { fail "cannot bind-mount the namespace"; finish; }
ip netns del "$NS"
tracer_start -P $PORT
check_eq "killed with ss -K" \
	"$(nsenter --net="$hidden" ss -K -Htan state time-wait "( dport = :$PORT )" | wc -l)" $N
check_eq "none left" "$(nsenter --net="$hidden" ss -Htan state time-wait | wc -l)" 0
sleep 0.5 # a kill is reported at the next timewait timer event, or read from its slot
tracer_stop
check_eq "timewait sockets that ended unseen" "$(jq .tw_unseen_births "$OUT")" $N
check_eq "untracked sockets" "$(jq .untracked_sockets "$OUT")" $N
check_eq "none of them tracked" \
	"$(jq --argjson p $PORT '[.groups[] | select(.state == "TIME_WAIT" and .port == $p) | .open + .completed] | add // 0' "$OUT")" 0
umount "$hidden"

# The same in a namespace the tracer can list: seeded, then killed: known.
netns_new NS2
wl_bg "$NS2" server2 server --port $PORT --count $N
wl_bg "$NS2" client2 client --port $PORT --count $N
wl_wait client2
wl_wait server2
tracer_start -P $PORT
ip netns exec "$NS2" ss -K -Htan state time-wait >/dev/null
sleep 0.5
tracer_stop
check_eq "seeded, then killed: not unseen" "$(jq .tw_unseen_births "$OUT")" 0
check_eq "no untracked sockets" "$(jq .untracked_sockets "$OUT")" 0
check_eq "the seeded ones ended" \
	"$(jq --argjson p $PORT '[.groups[] | select(.state == "TIME_WAIT" and .port == $p) | .open] | add // 0' "$OUT")" 0
finish
