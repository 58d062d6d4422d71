#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo, from a fresh Debian machine (run as root): installs what it
# needs, builds the hook, boots a two-node NUMA VM (QEMU), starts a runc
# container that fills 256 MiB on node 0, runs the hook as the runtime
# would, and prints where every page was before and after.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NH_DEMO_BUILD:-$src/build-demo}

"$src/scripts/deps.sh" tests/vm
(cd "$src" && autoreconf -fi >/dev/null 2>&1)
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$src/configure" >/dev/null
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
make --no-print-directory demo
