#!/usr/bin/env bash
# The benchmark's smoke mode runs end to end, so that it cannot rot: every
# section prints figures, and the traced run delivered all its events.
. "$(dirname "$0")/lib.sh"
"$TOP/tools/bench.sh" --smoke >"$WORK/bench.out" 2>"$WORK/bench.err"
rc=$?
check_eq "bench exit code" $rc 0
for section in "== churn" "ratio traced/untraced" "ratio empty/untraced" "== busy CPU time per connection" \
	"ratio untraced/traced" "== BPF programs" "without timewait timers" \
	"set_state_btf" "timer_start_btf" "empty_set_state" "BPF ns per connection" "== losses" \
	"== tracer userspace" "== memory per tracked" "longest event" "a namespace deleted" "a report's snapshot" "report of 10000 groups"; do
	if grep -q -- "$section" "$WORK/bench.out"; then say "ok: has '$section'"; else fail "no '$section'"; fi
done
ratio=$(sed -n 's/^ratio traced\/untraced *\([0-9.]*\) .*/\1/p' "$WORK/bench.out")
check_ge "traced ratio is a figure (x1000)" "$(awk -v r="${ratio:-0}" 'BEGIN { printf "%d", r * 1000 }')" 1
# The closed-loop churn never outruns accept(): no client stalled on a dropped SYN.
check_eq "accept queue overflows" "$(sed -n 's/^accept queue overflows.*: \([0-9]*\)$/\1/p' "$WORK/bench.out")" 0
check_eq "ring buffer drops in the traced round" "$(sed -n '/== losses/{n;p}' "$WORK/bench.out" | cut -f1)" 0
# The long traced churn (FULL_SECS, 3 s here) churned, and delivered all.
full=$(sed -n 's/^in one churn of 3 s: \([0-9]*\) connections.*/\1/p' "$WORK/bench.out")
check_ge "connections in the long traced churn" "${full:-0}" 1000
check_eq "ring buffer drops in the long traced churn" \
	"$(sed -n '/^in one churn of/{n;p}' "$WORK/bench.out" | cut -f1)" 0
# The tracer's CPU as /proc counts it and as its own report says: both figures.
own=$(sed -n 's/^== tracer userspace: cpu % of one core (median \([0-9.]*\); by its own reports \([0-9.]*\)).*/\1 \2/p' "$WORK/bench.out")
check_ge "tracer CPU by /proc and by its own report (x100, the smaller)" \
	"$(awk -v a="${own% *}" -v b="${own#* }" 'BEGIN { if (a == "" || b == "") print -1; else printf "%d", (a < b ? a : b) * 100 }')" 1
# Hits in PID 1's context (where this kernel runs no BPF program) are counted
# by perf, installed with the other dependencies: figures, not "n/a".
pid1=$(sed -n '/== the same in the bpf_stats rounds/{n;p}' "$WORK/bench.out")
if [[ "$pid1" =~ ^[0-9]+$'\t'[0-9]+$'\t'[0-9]+$'\t'[0-9]+$'\t'[0-9]+$'\t'[0-9]+$ ]]; then
	say "ok: untracked sockets and PID 1's hits counted: $pid1"
else
	fail "PID 1's hits not counted: '$pid1'"
fi
# The timer programs on one timer re-armed in a loop: each program's cost,
# the loop's own, and a verdict on them.
loop=$(sed -n '/re-armed in a loop/,/^per hook call/p' "$WORK/bench.out")
for line in timer_start_btf timer_cancel_btf empty_timer_start empty_timer_cancel "no program" \
	"empty programs" tcpwaittrace; do
	if grep -qE "^$line +[0-9]+\.[0-9] " <<<"$loop"; then say "ok: loop figure '$line'"; else fail "no loop figure '$line'"; fi
done
if grep -qE '^per hook call, above no program \(medians\): empty -?[0-9.]+ ns, tcpwaittrace -?[0-9.]+ ns' <<<"$loop"; then
	say "ok: loop cost per hook call"
else
	fail "no loop cost per hook call"
fi
if grep -qE '^non-timewait timer calls .* loop: (met|NOT MET)' "$WORK/bench.out"; then
	say "ok: loop verdict"
else
	fail "no loop verdict"
fi
# The whole machine's profile: each bucket a figure for each of the three.
prof=$(sed -n "/^== where the machine's CPU goes/,/^above untraced/p" "$WORK/bench.out")
for line in "timer code with interrupts off" "BPF dispatch and helpers elsewhere" "BPF programs" \
	"the tracer's process"; do
	if grep -qE "^$line +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+$" <<<"$prof"; then
		say "ok: profile figures '$line'"
	else
		fail "no profile figures '$line'"
	fi
done
# The tracer's own process and programs were sampled.
tracer_share=$(sed -n "s/^the tracer's process .* \([0-9]*\)\.\([0-9]*\)$/\1\2/p" <<<"$prof" | sed 's/^0*//')
check_ge "tracer's process in the profile (x100)" "${tracer_share:-0}" 1
if grep -qE '^above untraced, those four: empty programs -?[0-9.]+%, tcpwaittrace -?[0-9.]+% \(samples: [1-9][0-9]*, [1-9][0-9]*, [1-9][0-9]*\)' <<<"$prof"; then
	say "ok: profile total above untraced"
else
	fail "no profile total above untraced"
fi
# The targets, each with a verdict: 8 of them, as the issue lists them.
verdicts=$(sed -n '/^== targets/,$p' "$WORK/bench.out" | grep -cE ' (met|NOT MET.*|not measured at 1M)$')
check_eq "targets with a verdict" "$verdicts" 8
[ "$FAILED" -eq 0 ] || say "bench output: $(cat "$WORK/bench.out" "$WORK/bench.err")"
finish
