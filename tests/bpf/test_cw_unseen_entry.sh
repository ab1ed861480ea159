#!/usr/bin/env bash
# A socket that leaves CLOSE_WAIT while tracing, whose entry the tracer never
# saw, is counted (cw_unseen_entries), not dropped silently, and measured
# all the same from when its peer's FIN's ACK came, as the kernel keeps it
# (cw_unseen_recovered: not untracked). The entries are lost for real: the
# reader is stopped and a churn on another followed port, on every CPU,
# fills the ring buffers before the held connections' peers close. Each CPU
# batches its events and writes 16 at once, so until the reader flushes
# them the last few stay in their batch: a second churn on a third followed
# port, on every CPU, pushes the held connections' entries out into full
# rings. The servers of both hold their sockets until the tracer has
# stopped: an exit of theirs whose entry was lost would count too. The
# reader resumes while the held connections' server holds them, so their
# exits are delivered.
# With -p, only sockets of the followed process count.
. "$(dirname "$0")/lib.sh"
PORT=18061 FILL=18062 PUSH=18063 N=5 M=1000 HOLD=2500
NCPU=$(nproc)
netns_new NS

# lose_entries: the ring buffers filled, then N CLOSE_WAIT entries dropped;
# the reader resumes while the server (held, started before) holds them.
lose_entries() {
	kill -STOP "$TRACER_PID"
	wl_bg "$NS" fill_srv server --port $FILL --count $((M * NCPU)) --hold 60000
	clients_on_every_cpu "$NS" $FILL $M
	wl_bg "$NS" held_cli client --port $PORT --count $N
	wl_wait held_cli
	check_eq "held connections in CLOSE_WAIT" \
		"$(ip netns exec "$NS" ss -Htan state close-wait "( sport = :$PORT )" | wc -l)" $N
	wl_bg "$NS" push_srv server --port $PUSH --count $((50 * NCPU)) --hold 60000
	clients_on_every_cpu "$NS" $PUSH 50
	kill -CONT "$TRACER_PID"
	wl_wait held
	sleep 0.3
	tracer_stop
	{ kill -KILL "$fill_srv_JOB" "$push_srv_JOB"; wait "$fill_srv_JOB" "$push_srv_JOB"; } 2>/dev/null
	# Rings of 64 KiB a CPU hold ~470 events.
	check_ge "events the ring buffers dropped" "$(jq .ringbuf_full "$OUT")" $M
}

# check_measured N: N held sockets measured at their exit, from their peer's
# FIN's ACK (by the jiffy: 4 ms at HZ=250, 10 ms at HZ=100): a little under
# HOLD (their clients closed just after the server accepted them).
check_measured() {
	local g
	g=$(jq -c --argjson p $PORT '[.groups[] | select(.state == "CLOSE_WAIT" and .port == $p)] |
		{completed: (map(.completed) | add // 0), min: (map(.min_ns) | min // 0),
		 max: (map(.max_ns) | max // 0)}' "$OUT")
	check_eq "held CLOSE_WAIT sockets measured at their exit" "$(field "$g" completed)" "$1"
	check_eq "of the unseen entries, measured" "$(jq .cw_unseen_recovered "$OUT")" "$1"
	if [ "$1" -gt 0 ]; then
		check_ge "shortest: about HOLD (ns)" "$(field "$g" min)" $(((HOLD - 500) * 1000000))
		check_le "longest: HOLD at most (ns)" "$(field "$g" max)" $(((HOLD + 10) * 1000000))
	fi
}

say "ports followed"
wl_bg "$NS" held server --port $PORT --count $N --hold $HOLD
tracer_start -P $PORT -P $FILL -P $PUSH --ringbuf-size 65536
lose_entries
check_eq "exits without their entry" "$(jq .cw_unseen_entries "$OUT")" $N
check_measured $N
# Measured, they are not untracked; filler timewait sockets whose birth was
# dropped and that a new connection reusing the port killed are, unless
# given an owner at their end; -p skips those.
check_eq "untracked sockets are those" "$(jq .untracked_sockets "$OUT")" \
	"$(jq '.tw_unseen_births - .tw_unseen_recovered' "$OUT")"

say "-p the server that holds them"
wl_bg "$NS" held server --port $PORT --count $N --hold $HOLD
tracer_start -p "$held_PID" -P $PORT -P $FILL -P $PUSH --ringbuf-size 65536
lose_entries
check_eq "exits without their entry, closed by the followed process" \
	"$(jq .cw_unseen_entries "$OUT")" $N
check_measured $N
check_eq "none untracked" "$(jq .untracked_sockets "$OUT")" 0

say "-p another process"
sleep 30 &
other=$!
BG_PIDS+=($other)
wl_bg "$NS" held server --port $PORT --count $N --hold $HOLD
tracer_start -p $other -P $PORT -P $FILL -P $PUSH --ringbuf-size 65536
lose_entries
check_eq "not this process's sockets: not counted" "$(jq .cw_unseen_entries "$OUT")" 0
check_measured 0
check_eq "no untracked sockets" "$(jq .untracked_sockets "$OUT")" 0
finish
