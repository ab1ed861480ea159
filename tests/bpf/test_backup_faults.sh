#!/usr/bin/env bash
# The state program's backup, exercised at will. --fault-skip 3,5 makes the
# main program act as if the kernel skipped it on every 3rd transition that
# softirq makes, and the backup on every 5th that the main program took (as
# the kernel does: a backup is only skipped inside another backup), under
# churn. The backup must make up every skipped main run exactly once, and a
# skipped backup's entry, left on the stack, must never pass for the next
# connection at the same socket address: before entries named the
# connection (sk_txhash), ~3,000 transitions were lost in 10 s here.
#
# A transition is only lost when both its runs are skipped: a real skip of
# the backup (it came inside another backup) of a transition whose main run
# was skipped by the injection. So recursion_misses can only reach the
# kernel's own count of the backup's skips. With --verify-delivery, the
# injected skips must count as hits that reached the program, not as
# undelivered ones.
. "$(dirname "$0")/lib.sh"
PORT=18043
netns_new NS
# As in the bench: every closed connection keeps its timewait socket and
# connect() reuses their ports, so the same ports come back at a reused
# socket address often.
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_max_tw_buckets=2000000

tracer_start --fault-skip 3,5 --verify-delivery
conns=$(churn 10)
bak_misses=
for id in $(bpf_ids "$TRACER_PID" prog_id); do
	[ "$(bpftool prog show id "$id" -j | jq -r .name)" = set_state_bak_btf ] &&
		bak_misses=$(bpftool prog show id "$id" -j | jq '.recursion_misses // 0')
done
tracer_stop

check_ge "connections churned" "$conns" 10000
check_ge "skips injected and made up (benign)" "$(jq .recursion_misses_benign "$OUT")" "$conns"
check_le "lost: at most the kernel's own skips of the backup" "$(jq .recursion_misses "$OUT")" "$bak_misses"
check_le "no CLOSE_WAIT exit without its entry, but for hits no program saw" \
	"$(jq .cw_unseen_entries "$OUT")" "$(jq .undelivered_events "$OUT")"
check_cw_per_conn "one CLOSE_WAIT per connection on the server's port" $PORT "$conns"
check_le "timewait births not seen: at most those lost" "$(jq .tw_unseen_births "$OUT")" \
	$(($(jq .recursion_misses "$OUT") + bak_misses + conns / 1000))
hits=$(jq .state_hits "$OUT")
check_ge "state tracepoint hits (10 per connection)" "$hits" $((10 * conns))
check_le "hits no program saw (injected skips are not)" "$(jq .undelivered_events "$OUT")" $((hits / 10000))
finish
