# Shared helpers of the BPF tests: sourced, not run. Each test drives real
# sockets between separate client and server processes inside network
# namespaces it creates, with the real tracer attached, then checks the
# tracer's JSON against what the workload did.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TRACER="$TOP/tcpwaittrace"
WL="$TOP/.output/tcpwl"
WORK=$(mktemp -d /tmp/tcpwt-test.XXXXXX)
OUT="$WORK/tracer.json"
FAILED=0
NAMESPACES=()
BG_PIDS=()
TRACER_PID=

cleanup() {
	local p ns
	[ -n "$TRACER_PID" ] && kill -KILL "$TRACER_PID" 2>/dev/null
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null && { wait "$p"; } 2>/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '  %s\n' "$*"; }
fail() { say "FAIL: $*"; FAILED=1; }

# netns_new VAR: a fresh namespace with loopback up, its name stored in VAR.
netns_new() {
	local name="tcpwt$$-${#NAMESPACES[@]}"
	ip netns add "$name" || { echo "cannot create netns" >&2; exit 1; }
	ip -n "$name" link set lo up
	NAMESPACES+=("$name")
	printf -v "$1" '%s' "$name"
}

# tracer_start ARGS...: the tracer in the background, JSON to $OUT, attached on return.
tracer_start() {
	# The previous tracer's banner must not pass for this one's: the
	# shell may not have truncated the file yet when the loop first reads.
	rm -f "$OUT" "$WORK/tracer.err"
	"$TRACER" -o json "$@" >"$OUT" 2>"$WORK/tracer.err" &
	TRACER_PID=$!
	for _ in $(seq 100); do
		grep -q '^Tracing' "$WORK/tracer.err" && return 0
		kill -0 "$TRACER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "tracer did not start: $(cat "$WORK/tracer.err")" >&2
	exit 1
}

# tracer_stop: SIGINT, which gives the final report.
tracer_stop() {
	kill -INT "$TRACER_PID"
	tracer_wait
}

# tracer_wait: for a tracer that ends by itself (-d, INTERVAL COUNT).
tracer_wait() {
	wait "$TRACER_PID"
	local rc=$?
	TRACER_PID=
	[ "$rc" -eq 0 ] || fail "tracer exited with $rc: $(cat "$WORK/tracer.err")"
	[ -s "$OUT" ] || fail "tracer printed no report"
}

# bpf_ids PID KIND: ids of the BPF objects a process holds (KIND prog_id,
# map_id or link_id), from its fdinfo: bpftool here cannot name owners.
bpf_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n "s/^$2:[[:space:]]*\([0-9]*\)/\1/p" | sort -un
}

# tracer_map_id NAME: id of the map NAME that the running tracer holds.
tracer_map_id() {
	local id
	for id in $(bpf_ids "$TRACER_PID" map_id); do
		[ "$(bpftool map show id "$id" -j | jq -r .name)" = "$1" ] && { echo "$id"; return; }
	done
}

# birth_drops: timewait births the running tracer left unreported on
# purpose (--fault-drop-births), over all CPUs.
birth_drops() {
	bpftool map dump id "$(tracer_map_id tcpwaitt.bss)" -j |
		jq '.[0].formatted.value[".bss"] | add | .fault_birth_drops'
}

# kill_tw NS PORT [STATE]: kills with ss -K the timewait sockets (substate
# STATE, time-wait by default) of namespace NS whose peer port is PORT;
# prints how many.
kill_tw() {
	ip netns exec "$1" ss -K -Htan state "${3:-time-wait}" "( dport = :$2 )" | wc -l
}

# clients_on_every_cpu NS PORT COUNT: COUNT connections to PORT in NS from
# each CPU in turn. A connection's events are mostly its client's CPU's (its
# FIN is taken in by softirq there), and each CPU has its own rings.
clients_on_every_cpu() {
	local cpu
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		ip netns exec "$1" taskset -c "$cpu" "$WL" client --port "$2" --count "$3" >/dev/null ||
			fail "the client on CPU $cpu failed"
	done
}

# fill_ring PORT: stops the tracer's reader and fills its ring buffers (give
# it small ones) with 400 connections to PORT from each CPU, in namespace $NS.
fill_ring() {
	kill -STOP "$TRACER_PID"
	wl_bg "$NS" fills server --port "$1" --count $((400 * $(nproc)))
	clients_on_every_cpu "$NS" "$1" 400
	wl_wait fills
}

# push_batches PORT: after fill_ring, 50 connections to PORT from each CPU:
# every CPU's batch of the events before them goes out into its full ring
# (a CPU writes its batch 16 events at a time; until then they are safe).
push_batches() {
	wl_bg "$NS" pushs server --port "$1" --count $((50 * $(nproc)))
	clients_on_every_cpu "$NS" "$1" 50
	wl_wait pushs
}

# pid1_timer_start, then pid1_timer_stop: sets PID1_HITS to how many hits
# the timer hooks took while a thread of PID 1 was current, in between
# (perf). This machine's kernel runs no BPF program for those (README, "What
# it cannot see"), so a timewait socket's kill among them reaches no
# program; nearly always there are none. Started well before what it must
# cover: perf attaches to PID 1's threads in the background.
pid1_timer_start() {
	rm -f "$WORK/pid1.stat"
	perf stat --no-inherit -x, -o "$WORK/pid1.stat" -p 1 \
		-e timer:timer_start,timer:timer_cancel,timer:timer_expire_entry >/dev/null 2>&1 &
	PID1_PERF=$!
	BG_PIDS+=("$PID1_PERF")
}

pid1_timer_stop() {
	kill -INT "$PID1_PERF" 2>/dev/null
	wait "$PID1_PERF" 2>/dev/null
	PID1_HITS=$(awk -F, '$3 ~ /^timer:/ { if ($1 !~ /^[0-9]+$/) bad = 1; n += $1; k++ }
		END { if (k == 3 && !bad) print n }' "$WORK/pid1.stat" 2>/dev/null)
	if [ -z "$PID1_HITS" ]; then
		echo "perf could not count PID 1's timer hits: $(cat "$WORK/pid1.stat" 2>/dev/null)" >&2
		exit 1
	fi
}

# wl_bg NS NAME ARGS...: tcpwl in the namespace, in the background; sets NAME_PID
# once it reports ready.
wl_bg() {
	local ns=$1 name=$2
	shift 2
	local ready="$WORK/$name.ready"
	rm -f "$ready" # a previous run's under the same name is not this one's
	ip netns exec "$ns" "$WL" "$@" --ready "$ready" >"$WORK/$name.out" 2>&1 &
	BG_PIDS+=($!)
	printf -v "${name}_JOB" '%s' "$!"
	for _ in $(seq 100); do
		if [ -s "$ready" ]; then
			printf -v "${name}_PID" '%s' "$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$ready")"
			return 0
		fi
		sleep 0.05
	done
	echo "$name did not become ready: $(cat "$WORK/$name.out")" >&2
	exit 1
}

# wl_wait NAME: waits for a background workload to finish.
wl_wait() {
	local job="${1}_JOB"
	wait "${!job}" || fail "$1 failed: $(cat "$WORK/$1.out")"
}

# churn SECS: 4 client and 2 server processes churn connections to $PORT in
# namespace $NS until done; prints how many connections the clients made.
churn() {
	ip netns exec "$NS" "$WL" churn-server --port "$PORT" --duration $(($1 + 2)) --workers 2 \
		>/dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	ip netns exec "$NS" "$WL" churn-client --port "$PORT" --duration "$1" --workers 4 \
		>"$WORK/churn.out"
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	sleep 0.5
	sed -n 's/.*connections=\([0-9]*\).*/\1/p' "$WORK/churn.out"
}

# cw_sockets PORT: CLOSE_WAIT sockets of the report on PORT, ended and open.
cw_sockets() {
	jq --argjson p "$1" '[.groups[] | select(.state == "CLOSE_WAIT" and .port == $p) |
		.completed + .open] | add' "$OUT"
}

# check_cw_per_conn NAME PORT CONNS: one CLOSE_WAIT per connection on PORT,
# but for sockets whose transitions reached no program at all (the tracer
# run with --verify-delivery counts those hits: on this machine, hits made
# while a thread of PID 1 is current; README, "What it cannot see").
check_cw_per_conn() {
	local cw undelivered
	cw=$(cw_sockets "$2")
	undelivered=$(jq '.undelivered_events // 0' "$OUT")
	check_le "$1, at most" "$cw" "$3"
	check_ge "$1, but for hits no program saw ($undelivered)" "$cw" $(($3 - undelivered))
}

# tw_clients FIELD [JQ]: FIELD of the client TIME_WAIT groups of $PORT, through
# JQ (default: their sum).
tw_clients() {
	jq --argjson p "$PORT" "[.groups[] | select(.state == \"TIME_WAIT\" and .port == \$p and .role == \"client\") | .$1] | ${2:-add // 0}" "$OUT"
}

# group STATE PORT ROLE [PID]: the report's group, as compact JSON, or empty.
group() {
	jq -c --arg st "$1" --argjson port "$2" --arg role "$3" --argjson pid "${4:-0}" \
		'[.groups[] | select(.state == $st and .port == $port and .role == $role
			and ($pid == 0 or .pid == $pid))] | first // empty' "$OUT"
}

# field JSON NAME: a field of a group.
field() { jq -r ".$2" <<<"$1"; }

# tw_listed PORT: the report's oldest TIME_WAIT sockets of service PORT, one
# "ADDR PORT PEER PEERPORT" line each, sorted.
tw_listed() {
	jq -r --argjson p "$1" '.oldest_open[] | select(.state == "TIME_WAIT" and .port == $p) |
		"\(.local.addr) \(.local.port) \(.remote.addr) \(.remote.port)"' "$OUT" | sort
}

# tw_in_ns NS PORT: the same, as ss lists the namespace's timewait sockets.
tw_in_ns() {
	ip netns exec "$1" ss -Htn state time-wait | awk -v p="$2" '
	function split_ep(ep, a) { a["port"] = ep; sub(/.*:/, "", a["port"])
		sub(/:[0-9]+$/, "", ep); gsub(/[][]/, "", ep); a["addr"] = ep }
	{
		split_ep($3, l); split_ep($4, r)
		if (l["port"] == p || r["port"] == p) print l["addr"], l["port"], r["addr"], r["port"] }' | sort
}

# check_tw_accounted GROUP PORT N: the TIME_WAIT group of a workload that
# left N timewait sockets of service PORT in namespace $NS, none old enough to
# expire. Open: as many as ss counts; killed: the rest. The kernel rarely
# kills one: a segment that reaches a peer's socket after it is gone is
# answered with a reset, which ends a timewait socket (RFC 1337 is off).
check_tw_accounted() {
	local open killed
	open=$(field "$1" open)
	killed=$(field "$1" killed)
	check_eq "TIME_WAIT open, as ss counts them" "$open" "$(tw_in_ns "$NS" "$2" | grep -c .)"
	check_eq "TIME_WAIT open or killed: every one" $((open + killed)) "$3"
	check_eq "TIME_WAIT expired" "$(field "$1" expired)" 0
	check_ge "TIME_WAIT open (the workload's, nearly all)" "$open" $(($3 - 2))
}

check_eq() {
	if [ "$2" == "$3" ]; then say "ok: $1 = $2"; else fail "$1: got '$2', want '$3'"; fi
}

check_ge() {
	if [ -n "$2" ] && [ "$2" != null ] && [ "$2" -ge "$3" ]; then say "ok: $1 = $2 >= $3"
	else fail "$1: got '$2', want >= $3"; fi
}

check_le() {
	if [ -n "$2" ] && [ "$2" != null ] && [ "$2" -le "$3" ]; then say "ok: $1 = $2 <= $3"
	else fail "$1: got '$2', want <= $3"; fi
}

# check_near NAME ACTUAL EXPECTED PERCENT
check_near() {
	if [ -n "$2" ] && [ "$2" != null ] &&
		awk -v a="$2" -v e="$3" -v p="$4" 'BEGIN { d = a - e; if (d < 0) d = -d; exit !(d <= e * p / 100) }'; then
		say "ok: $1 = $2 within $4% of $3"
	else
		fail "$1: got '$2', want within $4% of $3"
	fi
}

# check_group_exists NAME JSON
check_group() {
	if [ -n "$2" ]; then say "ok: $1 present"; else fail "$1 missing; report: $(cat "$OUT")"; fi
}

finish() {
	if [ "$FAILED" -ne 0 ]; then
		say "tracer stderr: $(cat "$WORK/tracer.err" 2>/dev/null)"
		# What the tracer reported, for a failure that does not come again.
		[ -s "$OUT" ] && say "tracer report (first 8 KiB): $(head -c 8192 "$OUT")"
		exit 1
	fi
	exit 0
}
