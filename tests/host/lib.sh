# SPDX-License-Identifier: Apache-2.0
# TAP helpers and a disposable container-like cgroup for host tests.
# shellcheck shell=bash

NH_BIN="${NH_BUILDDIR:-.}/oci-numa-hook"
# LeakSanitizer cannot run under ptrace: hooks traced by strace in a
# sanitizer build check for everything but leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
tap_n=0
tap_failed=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() {
	tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
tap_end() { echo "1..$tap_n"; exit 0; }
bail() { echo "Bail out! $*"; exit 1; }
# skip_all WHY: the whole script cannot run here (not a failure of the hook).
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# check NAME CONDITION-COMMAND... : one TAP line.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# The cpuset hierarchy that holds containers on this host: v1 cpuset on
# v1 and hybrid hosts, the unified one on pure v2 hosts.
cpuset_root() {
	if [ -f /sys/fs/cgroup/cpuset/cpuset.mems ]; then
		echo /sys/fs/cgroup/cpuset
	elif grep -qw cpuset /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		echo /sys/fs/cgroup
	fi
}

# need_host_cgroups: skip the whole script, naming the reason, where it
# cannot run: not root, no cpuset hierarchy (a build chroot without /sys, as
# in a Debian package build), or a cgroup tree that cannot be written
# (read-only /sys/fs/cgroup in a container).  Sets root to the hierarchy.
need_host_cgroups() {
	local probe
	[ "$(id -u)" = 0 ] || skip_all "needs root to create cgroups"
	[ -r /proc/self/status ] || skip_all "no /proc on this host (a chroot without /proc?)"
	root=$(cpuset_root)
	[ -n "$root" ] || skip_all "no cpuset cgroup hierarchy on this host (no cgroup2 with cpuset, no v1 cpuset; a chroot without /sys/fs/cgroup?)"
	probe="$root/oci-numa-hook-probe-$$"
	mkdir "$probe" 2>/dev/null || skip_all "cannot create a cgroup under $root (read-only or not delegated)"
	rmdir "$probe"
	[ -d /sys/devices/system/node ] || skip_all "no /sys/devices/system/node on this host"
}

# make_cgroup PATH: a cgroup with every CPU and memory node of its parent.
make_cgroup() {
	local dir=$1 parent
	parent=$(dirname "$dir")
	mkdir -p "$dir"
	if [ -f "$parent/cgroup.subtree_control" ]; then
		echo +cpuset > "$parent/cgroup.subtree_control" 2>/dev/null || true
	fi
	if [ -f "$dir/cpuset.mems" ] && [ -z "$(cat "$dir/cpuset.mems")" ]; then
		cat "$parent/cpuset.effective_mems" > "$dir/cpuset.mems" 2>/dev/null ||
			cat "$parent/cpuset.mems" > "$dir/cpuset.mems"
		cat "$parent/cpuset.effective_cpus" > "$dir/cpuset.cpus" 2>/dev/null ||
			cat "$parent/cpuset.cpus" > "$dir/cpuset.cpus"
	fi
}

# remove_cgroup PATH: kill what is left in the tree, then remove it bottom-up.
remove_cgroup() {
	local dir=$1 d p
	[ -d "$dir" ] || return 0
	for d in $(find "$dir" -depth -type d); do
		while read -r p; do kill -9 "$p" 2>/dev/null || true; done < "$d/cgroup.procs"
	done
	sleep 0.2
	find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
}

# state ID PID ANNOTATIONS-JSON: an OCI state as runc writes it.
state() {
	printf '{"ociVersion":"1.0.2","id":"%s","status":"created","pid":%s,"bundle":"/nonexistent","annotations":%s}' \
		"$1" "$2" "$3"
}

# wait_file FILE: wait until a workload wrote its ready file.
wait_file() {
	local i
	for i in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}
