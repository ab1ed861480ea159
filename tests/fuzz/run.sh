#!/usr/bin/env bash
# Runs each libFuzzer harness for SECS seconds on a scratch copy of its corpus
# (the checked-in inputs, including past crashes, replay first). A crash
# leaves its input in tests/fuzz/crashes/ and fails the run.
set -u
secs=${1:-30}
top=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
mkdir -p "$top/tests/fuzz/crashes"
for h in events cli; do
	work=$(mktemp -d /tmp/tcpwt-fuzz.XXXXXX)
	cp -r "$top/tests/fuzz/corpus-$h/." "$work/"
	if "$top/.output/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$top/tests/fuzz/crashes/$h-" "$work" \
		>"$work.log" 2>&1; then
		echo "fuzz_$h: ok, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | grep -o '[0-9]*$' || echo '?') runs in ${secs} s"
		rm -f "$work.log" # kept only when it failed
	else
		echo "fuzz_$h: FAILED; see $work.log and tests/fuzz/crashes/"
		tail -30 "$work.log"
		rc=1
	fi
	rm -rf "$work"
done
exit $rc
