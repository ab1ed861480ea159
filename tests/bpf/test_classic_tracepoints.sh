#!/usr/bin/env bash
# The fallback for kernels without tp_btf: the same CLOSE_WAIT/TIME_WAIT
# checks with the classic tracepoint programs.
TRACER_ARGS=--classic-tracepoints PORT=18009 exec "$(dirname "$0")/test_cw_hold.sh"
