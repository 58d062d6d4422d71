#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Valgrind memcheck of the hook on its main paths: no annotation, success on a
# test cgroup (both engines, mems=set and keep), and each class of error (bad
# stdin, bad annotation, node not online, admin refusal, bad config, process
# gone, root cgroup, on-error=warn). Any memcheck error, or a definite or
# possible leak, fails the case, as does an unexpected exit status.
#
#   valgrind.sh --hook PATH [--keep]
#
# The hook must be built without sanitizers (AddressSanitizer and valgrind
# cannot share a process): with a sanitized binary every case is a SKIP.
# One line per case on stdout: PASS/FAIL/SKIP: valgrind/<name>.
set -euo pipefail

TIMEOUT=120

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
hostile_args valgrind.sh "$@"

CASES=(no-annotation success success-mems-keep success-move-pages success-no-config
	stdin-not-json stdin-too-large stdin-empty bad-annotation unknown-annotation
	node-not-online node-not-allowed config-bad config-directory pid-exited
	pid-root-cgroup on-error-warn)

skip_all() {
	local c
	for c in "${CASES[@]}"; do
		echo "SKIP: valgrind/$c — $1"
	done
	exit 0
}
command -v valgrind >/dev/null || skip_all "valgrind is not installed"
if grep -qa __asan_init "$HOOK"; then
	skip_all "$HOOK is built with AddressSanitizer; valgrind needs a build without --enable-sanitizers"
fi

hostile_setup valgrind
: >"$CFG/empty.conf"
printf 'allowed-nodes = 1\n' >"$CFG/allowed-1.conf"
printf 'colour = blue\n' >"$CFG/bad.conf"
mkdir "$CFG/directory.conf"

FAILED=0

# vg NAME WANT_STATUS CONFIG INPUT
# Memcheck errors and leak reports are the "==PID==" lines of the log;
# "--PID--" lines are valgrind's own notes (such as a system call it does not
# know), repeated on stderr.
vg() {
	local name=$1 want=$2 config=$3 input=$4 log=$TMP/vg.$1 err=$TMP/err.$1 rc=0 why=
	(cd "$BUNDLE" && exec timeout "$TIMEOUT" env -i "$(command -v valgrind)" \
		--quiet --tool=memcheck --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,possible --errors-for-leak-kinds=definite,possible \
		--track-origins=yes --log-file="$log" \
		"$HOOK" hook poststart --config "$config" <"$input" >/dev/null 2>"$err") || rc=$?
	if [ "$rc" -eq 124 ]; then
		why="no result within ${TIMEOUT}s"
	elif [ "$rc" -eq 99 ] || grep -q '^==[0-9]*==' "$log"; then
		why="memcheck: $(grep -m1 -E '^==[0-9]+== +[A-Z0-9]' "$log" || echo "exit status $rc")"
	elif [ "$rc" -ne "$want" ]; then
		why="exit status $rc, expected $want: $(head -c 300 "$err" | tr '\n' '|')"
	fi
	if grep -q '^--[0-9]*-- WARNING' "$log"; then
		echo "valgrind.sh: $name: $(grep -m1 '^--[0-9]*-- WARNING' "$log" | cut -d' ' -f2-)" >&2
	fi
	if [ -n "$why" ]; then
		echo "FAIL: valgrind/$name — $why (log: $log)"
		FAILED=1
	else
		echo "PASS: valgrind/$name"
	fi
}

needs_cgroup() {
	if [ -n "$CG_SKIP" ]; then
		echo "SKIP: valgrind/$1 — $CG_SKIP"
		return 1
	fi
}

E=$CFG/empty.conf
# in NAME: where the input of case NAME goes.
inp() { echo "$IN/$1"; }

state "$CPID" '"io.container.manager":"libpod"' >"$(inp no-annotation)"
vg no-annotation 0 "$E" "$(inp no-annotation)"
nodes 0 >"$(inp nodes-0)"
if needs_cgroup success; then vg success 0 "$E" "$(inp nodes-0)"; fi
if needs_cgroup success-mems-keep; then
	nodes 0 '"oci-numa-hook/mems":"keep"' >"$(inp keep)"
	vg success-mems-keep 0 "$E" "$(inp keep)"
fi
if needs_cgroup success-move-pages; then
	nodes 0 '"oci-numa-hook/engine":"move_pages"' >"$(inp move-pages)"
	vg success-move-pages 0 "$E" "$(inp move-pages)"
fi
if needs_cgroup success-no-config; then
	vg success-no-config 0 "$CFG/none.conf" "$(inp nodes-0)"
fi
printf 'not json' >"$(inp not-json)"
vg stdin-not-json 1 "$E" "$(inp not-json)"
{ nodes 0; head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' '; } >"$(inp too-large)"
vg stdin-too-large 1 "$E" "$(inp too-large)"
vg stdin-empty 1 "$E" /dev/null
nodes '1,,2' >"$(inp bad-annotation)"
vg bad-annotation 1 "$E" "$(inp bad-annotation)"
nodes 0 '"oci-numa-hook/colour":"blue"' >"$(inp unknown-annotation)"
vg unknown-annotation 1 "$E" "$(inp unknown-annotation)"
nodes 7 >"$(inp nodes-7)"
vg node-not-online 1 "$E" "$(inp nodes-7)"
vg node-not-allowed 1 "$CFG/allowed-1.conf" "$(inp nodes-0)"
vg config-bad 1 "$CFG/bad.conf" "$(inp nodes-0)"
vg config-directory 1 "$CFG/directory.conf" "$(inp nodes-0)"
state "$DEADPID" '"oci-numa-hook/nodes":"0"' >"$(inp pid-exited)"
vg pid-exited 2 "$E" "$(inp pid-exited)"
if needs_cgroup pid-root-cgroup; then
	state "$ROOTSLEEPER" '"oci-numa-hook/nodes":"0"' >"$(inp pid-root-cgroup)"
	vg pid-root-cgroup 1 "$E" "$(inp pid-root-cgroup)"
fi
nodes 7 '"oci-numa-hook/on-error":"warn"' >"$(inp on-error-warn)"
vg on-error-warn 0 "$E" "$(inp on-error-warn)"

exit "$FAILED"
