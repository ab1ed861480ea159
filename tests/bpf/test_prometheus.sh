#!/usr/bin/env bash
# End to end: a real Prometheus server on loopback scrapes --listen; its
# histogram_quantile(0.5) for the server's port falls in the bucket of the
# hold, and the open-sockets gauge matches the leaked sockets. The endpoint
# survives malformed requests; a port in use is refused.
. "$(dirname "$0")/lib.sh"
PORT=18032 LEAKPORT=18033 N=8 HOLD=400 LEAKED=5
MPORT=$((19000 + RANDOM % 500)) PPORT=$((19500 + RANDOM % 400))
netns_new NS
mkdir -p "$WORK/textfile"
tracer_start -P $PORT -P $LEAKPORT --listen 127.0.0.1:$MPORT --textfile "$WORK/textfile"
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tcpwaittrace
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address=127.0.0.1:$PPORT >"$WORK/prometheus.log" 2>&1 &
BG_PIDS+=($!)

wl_bg "$NS" server server --port $PORT --count $N --hold $HOLD
wl_bg "$NS" leaker server --port $LEAKPORT --count $LEAKED --mode leak --linger 60
wl_bg "$NS" client client --port $PORT --count $N
wl_bg "$NS" client2 client --port $LEAKPORT --count $LEAKED
wl_wait client
wl_wait client2
wl_wait server

# Malformed requests must not stop the endpoint.
printf 'GARBAGE\r\n\r\n' | timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$MPORT" 2>/dev/null
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' | timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$MPORT" 2>/dev/null
head -c 100000 /dev/zero | timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$MPORT" 2>/dev/null

query() {
	curl -s --get "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}
q50= open=
for _ in $(seq 60); do
	q50=$(query "histogram_quantile(0.5, sum by (le) (tcpwaittrace_close_wait_seconds_bucket{port=\"$PORT\",role=\"server\"}))")
	open=$(query "sum(tcpwaittrace_open_sockets{state=\"close_wait\",port=\"$LEAKPORT\"})")
	[ -n "$q50" ] && [ "$q50" != NaN ] && [ "$open" = "$LEAKED" ] && break
	sleep 1
done
if awk -v q="$q50" 'BEGIN { exit !(q >= 0.256 && q <= 0.512) }'; then
	say "ok: histogram_quantile(0.5) = $q50 s, in the bucket of the ${HOLD} ms hold (0.256..0.512]"
else
	fail "histogram_quantile(0.5) = '$q50', want within (0.256, 0.512]; $(tail -3 "$WORK/prometheus.log")"
fi
check_eq "open-sockets gauge" "$open" $LEAKED
if promtool check metrics <"$WORK/textfile/tcpwaittrace.prom" >"$WORK/tf.out" 2>&1; then
	say "ok: textfile collector file passes promtool"
else
	fail "textfile: $(cat "$WORK/tf.out")"
fi
check_eq "textfile open-sockets gauge" \
	"$(awk -v p="port=\"$LEAKPORT\"" '/^tcpwaittrace_open_sockets\{state="close_wait"/ && index($0, p) { s += $NF } END { print s + 0 }' "$WORK/textfile/tcpwaittrace.prom")" $LEAKED
check_eq "endpoint still serves" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics")" 200
check_eq "unknown path" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nope")" 404

"$TRACER" -d 1 --listen 127.0.0.1:$MPORT >/dev/null 2>"$WORK/inuse.err"
rc=$?
check_eq "port in use refused" "$rc:$(wc -l <"$WORK/inuse.err")" "1:1"
tracer_stop
finish
