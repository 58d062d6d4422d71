#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tests of the static build of oci-numa-hook: it is static, and it runs with
# no shared library and no /etc around it (copied alone into an empty
# directory and run there with chroot).
#
#   check-static.sh --hook BINARY
#
# Prints one "PASS: static/<name>", "FAIL: static/<name> — <why>" or
# "SKIP: static/<name> — <why>" line per test; exits 1 if any test failed.
# The annotated run needs root (a cgroup and a mount namespace); everything it
# creates is removed on exit.
set -euo pipefail

HOOK=
usage() { echo "usage: $0 --hook BINARY" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--hook) HOOK=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
[ -n "$HOOK" ] || usage
HOOK=$(realpath -e "$HOOK")

NFAIL=0
pass() { echo "PASS: static/$1"; }
fail() { echo "FAIL: static/$1 — $2"; NFAIL=$((NFAIL + 1)); }
skip() { echo "SKIP: static/$1 — $2"; }

T=$(mktemp -d /tmp/oci-numa-hook-static.XXXXXX)
CG=
SLEEPER=
cleanup() {
	set +e
	if [ -n "$SLEEPER" ]; then kill -9 "$SLEEPER" 2>/dev/null; wait "$SLEEPER" 2>/dev/null; fi
	[ -n "$CG" ] && [ -d "$CG" ] && rmdir "$CG"
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT

# An empty root with only the binary in it.
ROOT=$T/root
mkdir -p "$ROOT"
cp "$HOOK" "$ROOT/oci-numa-hook"

# in_root CMD...: run in the empty root (as root: chroot; otherwise in a user
# namespace where we are root).
in_root() {
	if [ "$(id -u)" = 0 ]; then
		chroot "$ROOT" "$@"
	else
		unshare -r chroot "$ROOT" "$@"
	fi
}

# 1. The file is a static executable.
desc=$(LC_ALL=C file -b "$HOOK")
lddout=$(LC_ALL=C ldd "$HOOK" 2>&1 || true)
if [[ $desc != *"statically linked"* && $desc != *"static-pie linked"* ]]; then
	fail file "file(1) says: $desc"
elif [[ $lddout != *"not a dynamic executable"* && $lddout != *"statically linked"* ]]; then
	fail file "ldd lists libraries: $(tr '\n' ' ' <<<"$lddout")"
else
	pass file
fi

# The tests in the empty root need chroot, as root or in a user namespace.
if ! { [ "$(id -u)" = 0 ] || unshare -r true 2>/dev/null; }; then
	for t in version-alone no-annotation-alone bad-state-alone annotated-alone; do
		skip "$t" "neither root nor user namespaces available for chroot"
	done
	exit 0
fi

# 2. --version with nothing else around.
out=$(in_root /oci-numa-hook --version 2>&1) && rc=0 || rc=$?
if [ "$rc" = 0 ] && [[ $out =~ ^oci-numa-hook\ [0-9] ]]; then
	pass version-alone
else
	fail version-alone "exit status $rc, output: $out"
fi

# 3. The no-annotation path: exit 0, no output, nothing read but stdin.
state='{"ociVersion":"1.0.2","id":"static0test","status":"creating","pid":1,"bundle":"/","annotations":{"other/key":"x"}}'
out=$(in_root /oci-numa-hook hook createRuntime <<<"$state" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 0 ] && [ -z "$out" ]; then
	pass no-annotation-alone
else
	fail no-annotation-alone "exit status $rc, output: $out"
fi

# 4. An error path (logging without syslog socket or /etc): exit 1, one line.
out=$(in_root /oci-numa-hook hook createRuntime <<<"not json" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 1 ] && [[ $out == *"error: "* ]]; then
	pass bad-state-alone
else
	fail bad-state-alone "exit status $rc (expected 1), output: $out"
fi

# 5. An annotated run in the empty root with only /proc and /sys mounted: the
# container is a sleeping process in a cgroup of its own. Proves that the
# paths a real run takes (libcgroup's init included) need no NSS module, no
# /etc and no shared library. With strace: and open no NSS file either.
annotated() {
	local root_cg parent log
	if [ "$(id -u)" != 0 ]; then
		skip annotated-alone "needs root (a cgroup and a mount namespace)"
		return
	fi
	if [ -f /sys/fs/cgroup/cpuset/cpuset.mems ]; then
		root_cg=/sys/fs/cgroup/cpuset
	elif grep -qw cpuset /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		root_cg=/sys/fs/cgroup
		echo +cpuset >"$root_cg/cgroup.subtree_control" 2>/dev/null || true
	else
		skip annotated-alone "no cpuset controller on this host"
		return
	fi
	# Runtimes name the cgroup after the container id; the hook checks that.
	local id=oci-numa-hook-static-$$
	CG=$root_cg/$id
	mkdir "$CG"
	parent=$(dirname "$CG")
	if [ -z "$(cat "$CG/cpuset.mems" 2>/dev/null)" ]; then
		cat "$parent/cpuset.effective_mems" >"$CG/cpuset.mems" 2>/dev/null ||
			cat "$parent/cpuset.mems" >"$CG/cpuset.mems"
		cat "$parent/cpuset.effective_cpus" >"$CG/cpuset.cpus" 2>/dev/null ||
			cat "$parent/cpuset.cpus" >"$CG/cpuset.cpus"
	fi
	sleep 60 &
	SLEEPER=$!
	echo "$SLEEPER" >"$CG/cgroup.procs"
	mkdir -p "$ROOT/proc" "$ROOT/sys"
	state=$(printf '{"ociVersion":"1.0.2","id":"%s","status":"created","pid":%d,"bundle":"/","annotations":{"oci-numa-hook/nodes":"0","oci-numa-hook/mems":"keep"}}' "$id" "$SLEEPER")
	local -a tracer=()
	log=$T/strace.log
	if command -v strace >/dev/null; then tracer=(strace -f -qq -e trace=%file -o "$log"); fi
	# shellcheck disable=SC2016 # expanded by the inner shell
	out=$(unshare -m --propagation private /bin/sh -c \
		'mount --rbind /proc "$1/proc" && mount --rbind /sys "$1/sys" && shift && exec "$@"' \
		sh "$ROOT" "${tracer[@]}" chroot "$ROOT" /oci-numa-hook hook createRuntime <<<"$state" 2>&1) &&
		rc=0 || rc=$?
	if [ "$rc" != 0 ] || [[ $out != *"info: summary stage=createRuntime "* ]]; then
		fail annotated-alone "exit status $rc, output: $out"
	elif [ -s "$log" ] && awk '/execve\("\/oci-numa-hook"/ { on = 1 } on' "$log" |
		grep -E 'nsswitch|libnss|/etc/(passwd|group|shadow|hosts)|\.so(\.|")' >"$T/nss"; then
		fail annotated-alone "the run opened NSS or library files: $(head -n 3 "$T/nss" | tr '\n' ' ')"
	else
		pass annotated-alone
		[ -s "$log" ] || echo "#   (strace not installed: file opens not checked)"
	fi
}
annotated

[ "$NFAIL" = 0 ]
