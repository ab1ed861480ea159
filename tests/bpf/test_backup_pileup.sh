#!/usr/bin/env bash
# The state program's backup finding its transition's entry below entries
# piled up on its stack. Softirq that interrupts a backup while it is being
# dispatched runs the main program, which pushes, and skips the backup,
# which would have popped: a burst of packets once left 22 such entries in a
# row on a task's entry for its close(), and with a 16-entry stack the task's
# backup no longer found it and handled that CLOSE_WAIT exit a second time
# (its socket then counted twice: about once in 1.5M connections under
# churn). --fault-pileup 20 pushes 40 such entries before every 20th
# backup run; every run must still find its own, and each socket count once.
. "$(dirname "$0")/lib.sh"
PORT=18044
netns_new NS
# As in the bench: the same socket addresses and ports come back often.
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_max_tw_buckets=2000000

tracer_start --fault-pileup 20 --verify-delivery
conns=$(churn 5)
tracer_stop

check_ge "connections churned" "$conns" 5000
check_cw_per_conn "one CLOSE_WAIT per connection on the server's port" $PORT "$conns"
check_le "no CLOSE_WAIT exit without its entry (a second one would be), but for hits no program saw" \
	"$(jq .cw_unseen_entries "$OUT")" "$(jq .undelivered_events "$OUT")"
check_eq "lost: none" "$(jq .recursion_misses "$OUT")" 0
finish
