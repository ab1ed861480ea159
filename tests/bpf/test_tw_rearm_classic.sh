#!/usr/bin/env bash
# The timewait re-arm with the classic tracepoint programs (the fallback).
TRACER_ARGS=--classic-tracepoints PORT=18073 exec "$(dirname "$0")/test_tw_rearm.sh"
