#!/usr/bin/env bash
# The binary itself refuses bad input and a hostile environment with one line
# on stderr and the documented exit code (2 bad input, 1 environment).
. "$(dirname "$0")/lib.sh"

expect() {
	local want=$1 desc=$2
	shift 2
	"$@" >"$WORK/o" 2>"$WORK/e"
	local rc=$? lines
	lines=$(wc -l <"$WORK/e")
	if [ "$rc" -ne "$want" ]; then
		fail "$desc: exit $rc, want $want ($(head -c 200 "$WORK/e"))"
	elif [ "$lines" -ne 1 ]; then
		fail "$desc: $lines lines on stderr"
	elif [ -s "$WORK/o" ]; then
		fail "$desc: printed on stdout"
	else
		say "ok: $desc -> $rc: $(head -n 1 "$WORK/e")"
	fi
}

gone=$(sh -c 'echo $$') # a process that has exited
expect 2 "non-numeric pid" "$TRACER" -p abc
expect 2 "pid that does not exist" "$TRACER" -p "$gone"
expect 2 "port 0" "$TRACER" -P 0
expect 2 "port 65536" "$TRACER" -P 65536
expect 2 "negative duration" "$TRACER" -d -5
expect 2 "bad output format" "$TRACER" -o xml
expect 2 "unknown option" "$TRACER" --bogus
expect 2 "interval 0" "$TRACER" 0
expect 2 "-4 with -6" "$TRACER" -4 -6
expect 1 "missing BTF" "$TRACER" --btf /nonexistent/vmlinux -d 1
expect 1 "not root" setpriv --reuid=65534 --regid=65534 --clear-groups "$TRACER" -d 1
finish
