#!/usr/bin/env bash
# Long run of tcpwaittrace under churn (make soak): INTERVAL reports while
# separate client and server processes churn loopback connections, then a
# verdict on what must stay flat: the tracer's RSS and its table of sockets
# closed first, and that nothing stays "open" after the churn stops.
# With perf, also how many sock:inet_sock_set_state hits the kernel counted
# during the churn that never reached the state program (run nor skipped):
# transitions no program of any kind could have seen, and how many hits were
# made while a thread of PID 1 was current, where this machine's kernel runs
# no BPF program.
#
#   sudo tools/soak.sh [SECS]    default 3600; INTERVAL=10, TRACER_ARGS="..."
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-3600}
interval=${INTERVAL:-10}
wl="$top/.output/tcpwl"
work=$(mktemp -d /tmp/tcpwt-soak.XXXXXX)
ns="tcpwtsoak$$"
port=21000
pids=()
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	sysctl -qw kernel.bpf_stats_enabled="$stats_was"
	rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "soak: needs root" >&2; exit 1; }
make -s -C "$top" tcpwaittrace .output/tcpwl >&2
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"

# Reports until well after the churn, so that lost ends get reconciled.
# At least two intervals, and whole ones: the tracer must outlive perf's
# window (the churn and 2 s), or the delivery count has no end.
settle=$((2 * interval > 25 ? 2 * interval : 25))
count=$(((secs + settle + interval - 1) / interval))
# shellcheck disable=SC2086
"$top/tcpwaittrace" -o json -P $port ${TRACER_ARGS:-} "$interval" "$count" >"$work/reports" 2>"$work/err" &
tracer=$!
pids+=("$tracer")
for _ in $(seq 100); do grep -q '^Tracing' "$work/err" && break; sleep 0.1; done
ip netns exec "$ns" "$wl" churn-server --port $port --duration $((secs + 2)) >/dev/null 2>&1 &
pids+=($!)
sleep 0.3
# The state program (runs + skipped runs) against perf's count of the same
# tracepoint over the same window: the difference is hits never delivered.
state_id=
for id in $(cat /proc/"$tracer"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -un); do
	case "$(bpftool prog show id "$id" -j | jq -r .name)" in
	set_state_btf | set_state_tp) state_id=$id ;;
	esac
done
state_calls() { bpftool prog show id "$state_id" -j | jq '(.run_cnt // 0) + (.recursion_misses // 0)'; }
perf_ok=
if command -v perf >/dev/null && [ -n "$state_id" ] &&
	perf stat -a -x, -e sock:inet_sock_set_state -o /dev/null true 2>/dev/null; then
	perf_ok=1
	sysctl -qw kernel.bpf_stats_enabled=1
fi
if [ -n "$perf_ok" ]; then
	# perf's window holds the whole churn with quiet margins either side.
	state_calls >"$work/calls0"
	# Over a window holding perf's, the hits made while a thread of PID 1
	# was current: this machine's kernel runs no BPF program there (README).
	# Not inherited: processes PID 1 starts meanwhile get programs run.
	perf stat --no-inherit -p 1 -x, -e sock:inet_sock_set_state -o "$work/perf1" -- sleep $((secs + 3)) &
	perf1_pid=$!
	pids+=("$perf1_pid")
	sleep 0.2
	perf stat -a -x, -e sock:inet_sock_set_state -o "$work/perf" -- sleep $((secs + 2)) &
	perf_pid=$!
	sleep 0.5
	ip netns exec "$ns" "$wl" churn-client --port $port --duration "$secs" --workers 2 >"$work/churn" &
	pids+=($!)
	(
		wait "$perf_pid" 2>/dev/null || while kill -0 "$perf_pid" 2>/dev/null; do sleep 0.1; done
		state_calls >"$work/calls1"
	) &
	pids+=("$perf_pid" $!)
else
	ip netns exec "$ns" "$wl" churn-client --port $port --duration "$secs" --workers 2 >"$work/churn" &
	pids+=($!)
fi
# (closers: sockets closed first whose timewait socket is not born yet.)
: >"$work/rss"
while kill -0 "$tracer" 2>/dev/null; do
	awk '/VmRSS/ { print $2 }' "/proc/$tracer/status" >>"$work/rss" 2>/dev/null || true
	sleep "$interval"
done
wait "$tracer" || true

echo "== soak: ${secs} s of churn, a report every ${interval} s ($(cat "$work/churn"))"
header="report  tracked  reconciled  missed_ends  lost  rec_miss  untracked  open_cw  closers  rss_kB"
echo "$header"
n=0
while read -r line; do
	n=$((n + 1))
	rss=$(sed -n "${n}p" "$work/rss")
	jq -r --arg rss "${rss:-?}" --argjson p $port '[input_line_number, .tracked_sockets, .reconciled_sockets, .missed_ends, .lost_events,
		.recursion_misses, .untracked_sockets, ([.groups[] | select(.state == "CLOSE_WAIT" and .port == $p) | .open] | add // 0),
		.closers_pending, $rss] | @tsv' <<<"$line"
done <"$work/reports" | awk '{ $1 = NR; print }' OFS='\t' | tee "$work/table"
half=$(($(wc -l <"$work/rss") / 2))
verdict=ok
if [ "$half" -ge 1 ]; then
	first=$(head -n "$half" "$work/rss" | sort -n | tail -1)
	last=$(tail -n "$half" "$work/rss" | sort -n | tail -1)
	echo "peak RSS first half ${first} kB, second half ${last} kB"
	[ "$last" -le $((first + first / 5 + 2048)) ] || { echo "RSS grew"; verdict=fail; }
fi
closers_max=$(awk -F'\t' -v h="$header" '{ n = split(h, H, / +/); for (i = 1; i <= n; i++) if (H[i] == "closers" && $i > m) m = $i } END { print m + 0 }' "$work/table")
echo "closers pending at most: ${closers_max}"
[ "$closers_max" -le 4096 ] || { echo "closers kept growing"; verdict=fail; }
if [ -s "$work/calls1" ]; then
	hits=$(awk -F, '/inet_sock_set_state/ { print $1 }' "$work/perf")
	calls=$(($(cat "$work/calls1") - $(cat "$work/calls0")))
	echo "sock:inet_sock_set_state during the churn: ${hits} hits (perf), ${calls} reached the state program" \
		"(runs + recursion misses): $((hits - calls)) never delivered to BPF" \
		"($(awk -v a=$((hits - calls)) -v b="$hits" 'BEGIN { printf "%.4f", b ? 100 * a / b : 0 }')%)"
	wait "$perf1_pid" 2>/dev/null || true
	echo "  hits made while a thread of PID 1 was current, over a window holding perf's (perf stat -p 1):" \
		"$(awk -F, '/inet_sock_set_state/ { print $1 }' "$work/perf1" 2>/dev/null || echo "n/a")"
else
	echo "sock:inet_sock_set_state hits not counted (needs perf with tracepoint events)"
fi
# last NAME: the last report's value in the column headed NAME.
last() {
	tail -n 1 "$work/table" | awk -F'\t' -v h="$header" -v name="$1" \
		'{ n = split(h, H, / +/); for (i = 1; i <= n; i++) if (H[i] == name) print $i }'
}
open_end=$(last open_cw)
tracked_end=$(last tracked)
echo "after the churn: ${open_end} CLOSE_WAIT open, ${tracked_end} sockets tracked (TIME_WAIT still counting down)"
[ "$open_end" = 0 ] || { echo "sockets left open"; verdict=fail; }
echo "soak: $verdict"
[ "$verdict" = ok ]
