#!/usr/bin/env bash
# Installs what is missing, builds, and runs tcpwaittrace with the given options.
# Usage: sudo tools/run.sh [OPTION...] [INTERVAL [COUNT]]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/install-deps.sh"
make -s -C "$top" tcpwaittrace >&2
exec "$top/tcpwaittrace" "$@"
