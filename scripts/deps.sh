#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install, with apt-get, every Debian package the build and the named test
# suites list (each suite keeps a `packages` file, one name per line).
# Usage: scripts/deps.sh [SUITE-DIR...]   e.g. scripts/deps.sh tests/vm
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

wanted=(autoconf automake libtool pkg-config make gcc libc6-dev
	libyajl-dev libcgroup-dev libnuma-dev libprotobuf-c-dev protobuf-c-compiler
	libcmocka-dev)
for dir in "$@"; do
	[ -f "$src/$dir/packages" ] || continue
	while read -r pkg; do
		pkg=${pkg%%#*}
		pkg=${pkg//[[:space:]]/}
		[ -n "$pkg" ] && wanted+=("$pkg")
	done < "$src/$dir/packages"
done

missing=()
for pkg in "${wanted[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages (run as root to install): ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
