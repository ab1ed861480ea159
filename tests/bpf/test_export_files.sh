#!/usr/bin/env bash
# --export in each format: the JSON document carries the documented schema,
# the CSV loads with a real CSV parser and its buckets add up to the groups'
# counts, and promtool accepts the Prometheus text.
. "$(dirname "$0")/lib.sh"
PORT=18030 N=6 HOLD=300
netns_new NS
for fmt in json csv prom; do
	"$TRACER" -d 4 -P $PORT --export "$WORK/report.$fmt" >/dev/null 2>"$WORK/$fmt.err" &
	BG_PIDS+=($!)
done
sleep 1.5
wl_bg "$NS" server server --port $PORT --count $N --hold $HOLD --linger 2
wl_bg "$NS" client client --port $PORT --count $N
wl_wait client
wl_wait server
wait "${BG_PIDS[@]}"

j="$WORK/report.json"
check_eq "json schema" "$(jq .schema "$j")" 1
valid=$(/usr/bin/python3 - "$TOP/tools/report.schema.json" "$j" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
print("valid" if not errors else "; ".join(e.message for e in errors[:3]))
PY
)
check_eq "json validates against tools/report.schema.json" "$valid" valid
check_eq "with a TIME_WAIT socket listed, and its destination" \
	"$(jq '[([.oldest_open[] | select(.state == "TIME_WAIT")] | length), (.tw_destinations | length)]' -c "$j")" "[$N,1]"
check_eq "json has host, kernel, times, counters" \
	"$(jq '[has("host"), has("kernel"), has("start_time"), has("end_time"), has("lost_events"), has("untracked_sockets")] | all' "$j")" true
g=$(jq -c --argjson p $PORT '.groups[] | select(.state == "CLOSE_WAIT" and .port == $p)' "$j")
check_eq "json group completed" "$(field "$g" completed)" $N
check_eq "json cmdline" "$(jq -r '.cmdline | split(" ") | .[1]' <<<"$g")" server
check_eq "json fine buckets add up" "$(jq '[.fine_histogram[][2]] | add' <<<"$g")" $N
check_eq "json log2 buckets add up" "$(jq '[.histogram[].count] | add' <<<"$g")" $N

csv_out=$(/usr/bin/python3 - "$WORK/report.csv" $PORT <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
port = sys.argv[2]
bad = 0
groups = {}
for r in rows:
    key = (r["state"], r["pid"], r["port"], r["role"])
    g = groups.setdefault(key, {"completed": int(r["completed"]), "log2": 0, "fine": 0})
    if r["bucket_kind"] in ("log2", "fine"):
        g[r["bucket_kind"]] += int(r["count"])
for key, g in groups.items():
    if g["log2"] != g["completed"] or g["fine"] != g["completed"]:
        bad += 1
cw = [g for k, g in groups.items() if k[0] == "CLOSE_WAIT" and k[2] == port]
print(len(rows) > 0, bad, cw[0]["completed"] if cw else -1)
PY
)
check_eq "csv parses, buckets add up, group count" "$csv_out" "True 0 $N"
if promtool check metrics <"$WORK/report.prom" >"$WORK/promtool.out" 2>&1; then
	say "ok: promtool check metrics"
else
	fail "promtool check metrics: $(cat "$WORK/promtool.out")"
fi
check_eq "prom count" "$(sed -n "s/^tcpwaittrace_close_wait_seconds_count{.*port=\"$PORT\",role=\"server\"} //p" "$WORK/report.prom")" $N
finish
