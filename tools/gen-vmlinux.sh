#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# Usage: tools/gen-vmlinux.sh [BTF_FILE]
set -euo pipefail
btf=${1:-/sys/kernel/btf/vmlinux}
case "$(uname -m)" in
x86_64) arch=x86 ;;
aarch64) arch=arm64 ;;
*) arch=$(uname -m) ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/vmlinux/$arch"
bpftool btf dump file "$btf" format c >"$top/vmlinux/$arch/vmlinux.h.tmp"
mv "$top/vmlinux/$arch/vmlinux.h.tmp" "$top/vmlinux/$arch/vmlinux.h"
echo "wrote vmlinux/$arch/vmlinux.h from $btf"
