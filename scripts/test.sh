#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, from a fresh Debian machine (run as root): installs
# what it needs, builds with warnings as errors, and runs the unit and host
# tests (also under ASan/UBSan), make distcheck, the hostile-input matrix,
# a short fuzzing pass, the podman/runc/crun end-to-end tests, the Debian
# package and the Kubernetes installer image (static binary), and the
# multi-node NUMA tests in a QEMU VM on Debian 12's kernel (6.1) and on
# Debian 13's (6.12), with 50 containers started at once.
# Ends with one line
# "N passed, N failed, N skipped".
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NH_TEST_BUILD:-$src/build-test}
asan=${NH_TEST_BUILD_ASAN:-$src/build-asan}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
jobs=$(nproc 2>/dev/null || echo 2)

# step NAME COMMAND...: run it, keep its result lines; a step that fails
# without reporting a failed test counts as one failure of its own.
step() {
	local name=$1 out rc t0=$SECONDS
	shift
	echo "== $name"
	out=$(mktemp)
	"$@" > "$out" 2>&1
	rc=$?
	cat "$out"
	echo "== $name: exit $rc, $((SECONDS - t0)) s"
	if [ "$rc" != 0 ] && ! grep -qE '^(FAIL|ERROR): ' "$out"; then
		echo "FAIL: step/$name (exit status $rc)" | tee -a "$out"
	fi
	grep -E '^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL): ' "$out" >> "$log"
	rm -f "$out"
	return "$rc"
}

step deps "$src/scripts/deps.sh" tests/host tests/e2e tests/vm tests/hostile fuzz debian tests/distro
(cd "$src" && step autoreconf autoreconf -fi) || true
mkdir -p "$build" "$asan"
if (cd "$build" && step configure "$src/configure" --enable-werror) &&
	(cd "$build" && step build make -j"$jobs"); then
	(cd "$build" && step check make -j"$jobs" check)
	# The tarball, a VPATH build with warnings as errors, install and
	# uninstall; the tests themselves ran in the step above (TESTS= keeps
	# them from running, and being counted, twice).
	(cd "$build" && step distcheck make distcheck TESTS= \
		DISTCHECK_CONFIGURE_FLAGS=--enable-werror) && echo "PASS: build/distcheck" >> "$log"
	(cd "$build" && step e2e make check-e2e)
	(cd "$build" && step package make check-package)
	(cd "$build" && step kubernetes make check-kubernetes)
	(cd "$build" && step vm make check-vm)
	# The same VM tests on Debian 13's kernel, named vm612/NAME (5 minutes).
	(cd "$build" && step vm612 make check-vm-612)
	# Debian 13 with systemd as PID 1, Podman 5, containerd's CRI and NRI
	# plugin, and the package installed as a user installs it, on two NUMA
	# nodes (builds its image first, about 4 minutes cold; about 25
	# minutes to run its 26 tests).
	(cd "$build" && step distro make check-distro)
	# 50 annotated runc containers started at once in the VM (5 minutes).
	(cd "$build" && step vm-load make check-vm-load)
	if grep -q '^check-hostile:' "$build/Makefile"; then
		(cd "$build" && step hostile make check-hostile)
	fi
fi
if (cd "$asan" && step configure-asan "$src/configure" --enable-werror --enable-sanitizers) &&
	(cd "$asan" && step build-asan make -j"$jobs"); then
	(cd "$asan" && step check-asan make -j"$jobs" check)
	if grep -q '^fuzz:' "$asan/Makefile"; then
		(cd "$asan" && step fuzz make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}")
	fi
fi

passed=$(grep -cE '^(PASS|XFAIL): ' "$log")
failed=$(grep -cE '^(FAIL|ERROR|XPASS): ' "$log")
skipped=$(grep -cE '^SKIP: ' "$log")
if [ "$failed" != 0 ]; then
	echo "Failed:"
	grep -E '^(FAIL|ERROR|XPASS): ' "$log" | sed 's/^/  /'
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
