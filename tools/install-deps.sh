#!/usr/bin/env bash
# Installs the Debian 12 packages tcpwaittrace needs to build, run and test,
# only those missing. Needs root (apt-get).
set -euo pipefail
pkgs=(make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
      libjansson-dev libmnl-dev libmicrohttpd-dev libcap-dev libxxhash-dev iproute2 jq procps curl
      python3 python3-jsonschema prometheus valgrind cppcheck libclang-rt-14-dev linux-perf)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root (sudo) to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
