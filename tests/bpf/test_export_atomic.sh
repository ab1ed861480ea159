#!/usr/bin/env bash
# With INTERVAL the export file is rewritten at each report: a reader polling
# it never sees a partial document. A bad path or format is refused at
# start-up, before tracing, and leaves no file behind.
. "$(dirname "$0")/lib.sh"
PORT=18031
netns_new NS
wl_bg "$NS" server server --port $PORT --count 20 --mode leak --linger 60
wl_bg "$NS" client client --port $PORT --count 20
wl_wait client
"$TRACER" -P $PORT --top 1000 --export "$WORK/live.json" 1 6 >/dev/null 2>"$WORK/t.err" &
TRACER_PID=$!
reads=$(/usr/bin/python3 - "$WORK/live.json" <<'PY'
import json, sys, time, os
path, ok, partial, end = sys.argv[1], 0, 0, time.time() + 7
while time.time() < end:
    try:
        with open(path) as f:
            data = f.read()
    except FileNotFoundError:
        continue
    try:
        json.loads(data)
        ok += 1
    except ValueError:
        partial += 1
print(ok, partial)
PY
)
wait $TRACER_PID
TRACER_PID=
set -- $reads
check_ge "complete reads" "$1" 100
check_eq "partial reads" "$2" 0
check_eq "final file is the last report" "$(jq --argjson p $PORT '[.groups[] | select(.port == $p) | .open] | add' "$WORK/live.json")" 20

expect_refused() {
	"$TRACER" -d 1 "$@" >/dev/null 2>"$WORK/e"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$WORK/e")" -eq 1 ]; then say "ok: refused $*: $(cat "$WORK/e")"
	else fail "$*: exit $rc, stderr: $(cat "$WORK/e")"; fi
}
expect_refused --export "$WORK/report.xml"
expect_refused --export "$WORK/no/such/dir/report.json"
expect_refused --export "$WORK/r.json" --export-format yaml
expect_refused --listen 127.0.0.1:notaport
expect_refused --textfile /proc/nonexistent
check_eq "no partial files left" "$(ls "$WORK" | grep -c '\.tmp\.')" 0
finish
