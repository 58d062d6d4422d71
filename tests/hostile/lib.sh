# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034 # variables are used by the scripts sourcing this
# Fixtures shared by matrix.sh and valgrind.sh (sourced; bash).
#
# hostile_args SCRIPT ARGS...: the scripts' command line, --hook PATH
# [--keep]; sets $HOOK (absolute) and $KEEP, or exits 2 with the usage.
#
# hostile_setup NAME: a work directory ($TMP with in/, cfg/, bundle/), a
# container-like cpuset cgroup named after the container id $ID holding a
# sleeping process ($SLEEPER, also $CPID), a process left in the root cgroup
# of the same hierarchy ($ROOTSLEEPER) and a pid that no longer exists
# ($DEADPID). Without root or a cpuset controller, $CG_SKIP says why and
# $CPID is this shell. An EXIT trap removes everything ($KEEP=yes keeps the
# work directory).

KEEP=${KEEP:-no}
HOOK=
TMP=
IN=
CFG=
BUNDLE=
ID=nh-hostile-$$
CGDIR=
SLEEPER=
ROOTSLEEPER=
CG_SKIP=
CPID=$$
DEADPID=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local p
	for p in "$SLEEPER" "$ROOTSLEEPER"; do
		if [ -n "$p" ]; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	if [ -n "$CGDIR" ] && [ -d "$CGDIR" ]; then
		rmdir "$CGDIR" 2>/dev/null || true
	fi
	if [ "$KEEP" = yes ]; then
		echo "kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}

# A container-like cgroup holding one sleeping process, and one process left
# in the root cgroup of the same hierarchy. Sets CG_SKIP when impossible.
setup_cgroup() {
	local parent mems cpus
	if [ "$(id -u)" -ne 0 ]; then
		CG_SKIP="needs root to create a cpuset cgroup"
		return
	fi
	if [ -f /sys/fs/cgroup/cpuset/cpuset.mems ]; then
		parent=/sys/fs/cgroup/cpuset
		mems=$(cat "$parent/cpuset.effective_mems" 2>/dev/null || cat "$parent/cpuset.mems")
		cpus=$(cat "$parent/cpuset.effective_cpus" 2>/dev/null || cat "$parent/cpuset.cpus")
		if ! mkdir "$parent/$ID"; then
			CG_SKIP="cannot create $parent/$ID"
			return
		fi
		CGDIR=$parent/$ID
		if ! echo "$mems" >"$CGDIR/cpuset.mems" || ! echo "$cpus" >"$CGDIR/cpuset.cpus"; then
			CG_SKIP="cannot set cpuset.mems/cpus of $CGDIR"
			return
		fi
	elif [ -f /sys/fs/cgroup/cgroup.controllers ] &&
		grep -qw cpuset /sys/fs/cgroup/cgroup.controllers; then
		parent=/sys/fs/cgroup
		echo +cpuset >"$parent/cgroup.subtree_control" 2>/dev/null || true
		if ! mkdir "$parent/$ID"; then
			CG_SKIP="cannot create $parent/$ID"
			return
		fi
		CGDIR=$parent/$ID
	else
		CG_SKIP="no cpuset controller (neither cgroup v1 cpuset nor v2 with cpuset)"
		return
	fi
	sleep 1000 &
	SLEEPER=$!
	sleep 1000 &
	ROOTSLEEPER=$!
	if ! echo "$SLEEPER" >"$CGDIR/cgroup.procs" ||
		! echo "$ROOTSLEEPER" >"$parent/cgroup.procs"; then
		CG_SKIP="cannot move test processes into $CGDIR and $parent"
		return
	fi
}

hostile_setup() {
	TMP=$(mktemp -d "/tmp/nh-$1.XXXXXX")
	IN=$TMP/in
	CFG=$TMP/cfg
	BUNDLE=$TMP/bundle
	mkdir -p "$IN" "$CFG" "$BUNDLE"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	setup_cgroup
	# The pid of the test container, or of this shell where none exists
	# (for cases that fail before the pid is looked at).
	CPID=${SLEEPER:-$$}
	# A pid that no longer exists.
	sh -c 'exit 0' &
	DEADPID=$!
	wait "$DEADPID" || true
}

# state PID ANNOTATIONS_JSON_MEMBERS [ID]
state() {
	printf '{"ociVersion":"1.0.2","id":"%s","status":"created","pid":%s,"bundle":"%s","annotations":{%s}}' \
		"${3:-$ID}" "$1" "$BUNDLE" "$2"
}
# nodes VALUE [MORE_MEMBERS [ID]]: a state asking for VALUE, plus more
# annotations.
nodes() {
	state "$CPID" "\"oci-numa-hook/nodes\":\"$1\"${2:+,$2}" "${3:-}"
}
repeat() { # repeat STRING N
	local s=$1 n=$2 out=
	while [ "$n" -gt 0 ]; do
		if [ $((n & 1)) -eq 1 ]; then out=$out$s; fi
		s=$s$s
		n=$((n >> 1))
	done
	printf '%s' "$out"
}

hostile_args() {
	local me=$1
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--hook) HOOK=${2:-}; shift 2 || shift ;;
		--keep) KEEP=yes; shift ;;
		*) HOOK= && break ;;
		esac
	done
	if [ -z "$HOOK" ]; then
		echo "usage: $me --hook PATH [--keep]" >&2
		exit 2
	fi
	[ -x "$HOOK" ] || { echo "$me: $HOOK is not executable" >&2; exit 2; }
	HOOK=$(cd "$(dirname "$HOOK")" && pwd)/$(basename "$HOOK")
}
