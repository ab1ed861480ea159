#!/usr/bin/env bash
# A short soak (make soak runs an hour): RSS stays flat, and with a ring
# buffer small enough to lose ends under churn, the sockets whose end was
# lost are reconciled against the kernel instead of staying open forever.
. "$(dirname "$0")/lib.sh"
INTERVAL=3 TRACER_ARGS="--ringbuf-size 16384" "$TOP/tools/soak.sh" 12 >"$WORK/soak.out" 2>&1
rc=$?
check_eq "soak verdict" "$rc:$(tail -n 1 "$WORK/soak.out")" "0:soak: ok"
# The column is found by its name in the table's header, not by position.
reconciled=$(awk -F'\t' '/^report / { n = split($0, h, / +/); for (i = 1; i <= n; i++) if (h[i] == "reconciled") c = i }
	c && $1 ~ /^[0-9]+$/ { r = $c } END { print r + 0 }' "$WORK/soak.out")
check_ge "lost ends reconciled" "$reconciled" 1
# The delivery count (perf's hits of the state tracepoint against the state
# program's runs and misses) must measure something: the program was found
# and the two counts agree within a hair (it is ~0.01% here).
if grep -q '^sock:inet_sock_set_state during the churn' "$WORK/soak.out"; then
	line=$(grep '^sock:inet_sock_set_state during the churn' "$WORK/soak.out")
	hits=$(sed -n 's/.*churn: \([0-9]*\) hits.*/\1/p' <<<"$line")
	reached=$(sed -n 's/.*(perf), \([0-9]*\) reached.*/\1/p' <<<"$line")
	check_ge "tracepoint hits counted by perf" "$hits" 10000
	check_near "hits that reached the state program" "$reached" "$hits" 1
else
	say "note: $(grep '^sock:inet_sock_set_state' "$WORK/soak.out")"
	[ -z "${CI:-}" ] || fail "perf could not count sock:inet_sock_set_state on CI"
fi
[ "$FAILED" -eq 0 ] || say "$(cat "$WORK/soak.out")"
finish
