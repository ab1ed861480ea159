#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the unit tests and
# the BPF tests, and ends with one line "N passed, N failed".
#   sudo tests/run.sh            everything
#   sudo tests/run.sh cw_hold    only BPF tests whose name contains cw_hold
# On CI (CI=true) a BPF test that cannot run fails; elsewhere, without root,
# the BPF tests are skipped and said to be.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
filter=${1:-}
passed=0 failed=0 skipped=0
failures=()

record() {
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$1")
	fi
}

if ! tools/install-deps.sh; then
	echo "0 passed, 1 failed"
	exit 1
fi
if ! make -s all .output/unit-tests; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

echo "== unit tests"
unit_out=$(.output/unit-tests)
unit_rc=$?
echo "$unit_out"
up=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$unit_out")
uf=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$unit_out")
if [ -z "$up" ]; then
	record "unit tests (no summary)" 1
else
	passed=$((passed + up))
	failed=$((failed + uf))
	[ "$uf" -eq 0 ] && [ "$unit_rc" -eq 0 ] || failures+=("unit tests")
fi

# check NAME COMMAND...: one more test that passes when COMMAND does.
check() {
	local name=$1 out
	shift
	echo "== $name"
	if out=$("$@" 2>&1); then
		record "$name" 0
		[ -n "$out" ] && echo "$out" | tail -n 3
	else
		echo "$out" | tail -n 40
		record "$name" 1
	fi
}

if [ -z "$filter" ]; then
	check "unit tests under ASan+UBSan" bash -c 'make -s .output/unit-tests-san && .output/unit-tests-san | tail -n 1'
	check "unit tests under valgrind" valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite --log-file=/dev/stderr .output/unit-tests
	check "cppcheck src/" cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 --suppress=missingIncludeSystem --suppress=unknownMacro -Isrc -Ibpf src/
	check "fuzzing (${FUZZ_SECS:-20} s per harness)" make -s fuzz FUZZ_SECS="${FUZZ_SECS:-20}"
fi

can_bpf=1
why=
if [ "$(id -u)" -ne 0 ]; then
	can_bpf=0 why="not root"
elif [ ! -r /sys/kernel/btf/vmlinux ]; then
	can_bpf=0 why="no /sys/kernel/btf/vmlinux"
fi

for t in tests/bpf/test_*.sh; do
	name=$(basename "$t" .sh)
	[ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
	if [ "$can_bpf" -eq 0 ]; then
		if [ "${CI:-}" = true ]; then
			echo "== $name: FAIL: cannot run BPF tests on CI: $why"
			record "$name" 1
		else
			echo "== $name: SKIPPED: $why (BPF tests need root; run with sudo)"
			skipped=$((skipped + 1))
		fi
		continue
	fi
	echo "== $name"
	start=$(date +%s)
	timeout -k 5 150 "$t"
	rc=$?
	echo "   ($(($(date +%s) - start)) s, exit $rc)"
	record "$name" "$rc"
done

if [ "$skipped" -gt 0 ]; then
	echo "WARNING: $skipped BPF tests SKIPPED ($why): nothing about the tracer itself was tested"
fi
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
