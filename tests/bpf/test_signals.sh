#!/usr/bin/env bash
# Signals and exit: SIGTERM gives the final report and export; a closed
# stdout ends the run quietly; after kill -9 no program or link is left in
# the kernel; once attached, the tracer has dropped CAP_BPF and CAP_PERFMON.
. "$(dirname "$0")/lib.sh"

"$TRACER" -o json --export "$WORK/final.json" >"$WORK/term.out" 2>"$WORK/term.err" &
tp=$!
for _ in $(seq 100); do grep -q '^Tracing' "$WORK/term.err" && break; sleep 0.1; done
caps=$(awk '/^CapEff/ { print $2 }' /proc/$tp/status)
nnp=$(awk '/^NoNewPrivs/ { print $2 }' /proc/$tp/status)
kill -TERM $tp
wait $tp
check_eq "SIGTERM exit code" $? 0
check_eq "SIGTERM final report" "$(jq -c 'has("groups")' "$WORK/term.out")" true
check_eq "SIGTERM export written" "$(jq -c '.schema' "$WORK/final.json")" 1
check_eq "CAP_BPF dropped" $(((0x$caps >> 39) & 1)) 0
check_eq "CAP_PERFMON dropped" $(((0x$caps >> 38) & 1)) 0
check_eq "CAP_SYS_ADMIN kept (setns for sock_diag)" $(((0x$caps >> 21) & 1)) 1
check_eq "no_new_privs" "$nnp" 1

"$TRACER" 1 2>"$WORK/pipe.err" | head -c 1 >/dev/null
check_eq "closed stdout: exit status" "${PIPESTATUS[0]}" 0
check_eq "closed stdout: nothing but the banner on stderr" "$(grep -vc '^Tracing' "$WORK/pipe.err")" 0

"$TRACER" >/dev/null 2>"$WORK/int.err" &
tp=$!
for _ in $(seq 100); do grep -q '^Tracing' "$WORK/int.err" && break; sleep 0.1; done
kill -INT $tp
kill -INT $tp
start=$(date +%s%N)
wait $tp
check_le "two SIGINTs: gone within (ms)" $((($(date +%s%N) - start) / 1000000)) 1000

"$TRACER" >/dev/null 2>"$WORK/kill.err" &
tp=$!
for _ in $(seq 100); do grep -q '^Tracing' "$WORK/kill.err" && break; sleep 0.1; done
progs=$(bpf_ids $tp prog_id)
links=$(bpf_ids $tp link_id)
check_ge "programs while running" "$(wc -w <<<"$progs")" 5
check_ge "links while running" "$(wc -w <<<"$links")" 5
kill -KILL $tp
wait $tp 2>/dev/null
sleep 0.5
left=0
for id in $progs; do bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
check_eq "its programs after kill -9" $left 0
left=0
for id in $links; do bpftool link show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
check_eq "its links after kill -9" $left 0
check_eq "pinned objects" "$(find /sys/fs/bpf -name '*tcpw*' 2>/dev/null | wc -l)" 0
finish
