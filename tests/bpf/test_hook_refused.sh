#!/usr/bin/env bash
# A kernel that refuses the hooks (here: root without capabilities, so
# bpf() fails) and BTF that is not BTF: one line on stderr, exit 1, nothing
# on stdout, no export file left behind.
. "$(dirname "$0")/lib.sh"

setpriv --bounding-set=-all --inh-caps=-all "$TRACER" -d 1 --export "$WORK/r.json" \
	>"$WORK/o" 2>"$WORK/e"
rc=$?
check_eq "refused hooks: exit code" $rc 1
check_eq "refused hooks: one line" "$(wc -l <"$WORK/e")" 1
check_eq "refused hooks: names the failure" "$(grep -c 'failed to load BPF programs' "$WORK/e")" 1
check_eq "refused hooks: nothing on stdout" "$(wc -c <"$WORK/o")" 0
check_eq "refused hooks: no export file" "$(ls "$WORK" | grep -c '^r\.json')" 0

head -c 4096 /dev/urandom >"$WORK/bogus.btf"
"$TRACER" -d 1 --btf "$WORK/bogus.btf" >"$WORK/o" 2>"$WORK/e"
rc=$?
check_eq "bogus BTF: exit code" $rc 1
check_eq "bogus BTF: one line" "$(wc -l <"$WORK/e")" 1
say "stderr: $(cat "$WORK/e")"
finish
