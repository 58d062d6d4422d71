#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Host integration tests: the built hook run as a runtime runs it, against
# real cgroups and processes. The host may have a single NUMA node, so the
# target here is node 0; real page movement is tested in the VM suite.
# Effects are read back from the kernel: cgroup files, /proc/<pid>/status,
# and strace's record of the migrate_pages calls the hook made.
set -uo pipefail
. "${NH_SRCDIR:-$(dirname "$0")/../..}/tests/host/lib.sh"

need_host_cgroups
command -v strace >/dev/null || skip_all "strace is missing (Debian package strace)"
WORKLOAD="$NH_BUILDDIR/tests/host/workload"

tmp=$(mktemp -d)
# Runtimes name a container's cgroup after its id; the hook checks that.
ID=abcdef0123456789
TOP="$root/oci-numa-hook-test-$$"
CG="$TOP/ctr-$ID"
OUT="$TOP/outside"
cleanup() {
	remove_cgroup "$TOP"
	[ -n "${root_pid:-}" ] && kill "$root_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

make_cgroup "$TOP"; make_cgroup "$CG"; make_cgroup "$CG/sub"; make_cgroup "$OUT"
v1=false; [ -f "$CG/cpuset.memory_migrate" ] && v1=true
$v1 && echo 0 > "$CG/cpuset.memory_migrate"
online=$(cat /sys/devices/system/node/has_memory)
absent=$(( $(ls -d /sys/devices/system/node/node* | sed 's/.*node//' | sort -n | tail -1) + 1 ))

# start_in CGROUP MIB THREADS NAME: a workload inside a cgroup; prints its pid.
start_in() {
	local ready="$tmp/$4.ready"
	(echo "$BASHPID" > "$1/cgroup.procs" && exec "$WORKLOAD" "$2" "$3" "$ready") \
		</dev/null >/dev/null 2>&1 &
	wait_file "$ready" || bail "workload $4 did not start"
	cat "$ready"
}
main_pid=$(start_in "$CG" 8 3 main)
sub_pid=$(start_in "$CG/sub" 4 0 sub)
out_pid=$(start_in "$OUT" 4 0 out)
sleep 600 </dev/null >/dev/null 2>&1 &
root_pid=$!
threads=$(ls "/proc/$main_pid/task" | grep -v "^$main_pid$" | tr '\n' ' ')

cfg="$tmp/hook.conf"
log="$tmp/hook.log"
printf 'log-file = %s\nlog-level = info\n' "$log" > "$cfg"
ann() { printf '{"oci-numa-hook/nodes":"%s"%s}' "$1" "${2:-}"; }

# run_hook STAGE STATE [CONFIG]: sets rc, out (stderr+stdout), lines.
run_hook() {
	out=$(printf '%s' "$2" | "$NH_BIN" hook "$1" --config "${3:-$cfg}" 2>&1)
	rc=$?
	lines=$(printf '%s' "$out" | grep -c . || true)
}
expect() { # NAME RC PATTERN: exit status and exactly one line matching PATTERN
	if [ "$rc" = "$2" ] && [ "$lines" = 1 ] && grep -qE -- "$3" <<<"$out"; then
		ok "$1"
	else
		not_ok "$1" "expected exit $2 and one line matching /$3/" "got exit $rc, $lines lines: $out"
	fi
}

# --- the no-annotation path: exit 0, silent, reads nothing from /proc or /sys
# glibc opens files with openat(2); sanitizer runtimes read /proc/self with
# open(2) at start-up, which is theirs, not the hook's.
strace -f -qq -e trace=openat -o "$tmp/noann.trace" "$NH_BIN" hook createRuntime \
	--config "$cfg" <<<"$(state $ID "$main_pid" '{"other":"x"}')" > "$tmp/noann.out" 2>&1
rc=$?
check "no annotation: exit 0" test "$rc" = 0
check "no annotation: prints nothing" test ! -s "$tmp/noann.out"
if grep -E '"/(proc|sys)/' "$tmp/noann.trace" | grep -v ENOENT | grep -q .; then
	not_ok "no annotation: opens nothing under /proc or /sys" "$(grep -E '"/(proc|sys)/' "$tmp/noann.trace" | head -3)"
else
	ok "no annotation: opens nothing under /proc or /sys"
fi
check "no annotation: config file not even read" bash -c "! grep -q '$cfg' '$tmp/noann.trace'"

# --- every process of the tree, one migrate_pages per thread group
run_state=$(state $ID "$main_pid" "$(ann "$online" ",\"oci-numa-hook/from\":\"$online\"")")
strace -f -qq -e trace=migrate_pages -o "$tmp/mig.trace" "$NH_BIN" hook poststart --config "$cfg" \
	<<<"$run_state" > "$tmp/mig.out" 2>&1
rc=$?
check "nodes=$online from=$online: exit 0" test "$rc" = 0
called() { grep -qE "migrate_pages\($1," "$tmp/mig.trace"; }
check "migrate_pages called for the container's main process" called "$main_pid"
check "migrate_pages called for the process in a sub-cgroup" called "$sub_pid"
notcalled_out() { ! called "$out_pid" && ! called "$root_pid"; }
check "migrate_pages never called for processes outside the container" notcalled_out
threads_not_called() { local t; for t in $threads; do called "$t" && return 1; done; return 0; }
check "one call per thread group, none per thread" threads_not_called
calls_main=$(grep -cE "migrate_pages\($main_pid," "$tmp/mig.trace")
# One pass before cpuset.mems is written and one sweep after it.
check "main process migrated in both passes (2 calls, got $calls_main)" test "$calls_main" = 2
check "summary line counts 2 processes" grep -q "processes=2 " "$tmp/mig.out"

# --- the cgroup files
check "cpuset.mems of the container is $online" test "$(cat "$CG/cpuset.mems")" = "$online"
if $v1; then
	check "v1: cpuset.memory_migrate was set to 1" test "$(cat "$CG/cpuset.memory_migrate")" = 1
fi
mems_of() { awk '/^Mems_allowed_list/ {print $2}' "/proc/$1/status"; }
check "Mems_allowed_list of the main process is $online" test "$(mems_of "$main_pid")" = "$online"
check "Mems_allowed_list of the sub-cgroup process is $online" test "$(mems_of "$sub_pid")" = "$online"
check "log file has the summary with the short id and stage" \
	grep -qE '^oci-numa-hook\[abcdef012345\]: info: summary stage=poststart ' "$log"

for stage in prestart createRuntime; do
	run_hook "$stage" "$(state $ID "$main_pid" "$(ann "$online")")"
	expect "stage $stage: exit 0 and one summary line" 0 "summary stage=$stage .*processes=2"
done
run_hook poststart "$(state $ID "$main_pid" "$(ann all)")"
expect "nodes=all: exit 0" 0 "summary .*nodes=$online "
run_hook poststart "$(state $ID "$main_pid" "$(ann auto)")"
expect "nodes=auto: the nodes local to the container's CPUs" 0 "summary .*nodes=$online "

# --- the move_pages engine pins the same processes, and only them
strace -f -qq -e trace=pidfd_open,move_pages,migrate_pages -o "$tmp/mp.trace" "$NH_BIN" hook poststart --config "$cfg" \
	<<<"$(state "$ID" "$main_pid" "$(ann "$online" ",\"oci-numa-hook/from\":\"$online\",\"oci-numa-hook/engine\":\"move_pages\",\"oci-numa-hook/rate\":\"1G\"")")" > "$tmp/mp.out" 2>&1
rc=$?
check "engine=move_pages rate=1G: exit 0" test "$rc" = 0
check "engine=move_pages: summary names the engine" grep -q "engine=move_pages " "$tmp/mp.out"
pinned() { grep -qE "pidfd_open\($1," "$tmp/mp.trace"; }
check "engine=move_pages: pins the main process" pinned "$main_pid"
check "engine=move_pages: pins the sub-cgroup process" pinned "$sub_pid"
mp_outsiders() { ! pinned "$out_pid" && ! pinned "$root_pid"; }
check "engine=move_pages: never touches processes outside" mp_outsiders
check "engine=move_pages: no page on a source node, so no migration call at all" \
	bash -c "! grep -qE '^[0-9]+ +(move_pages|migrate_pages)\\(' '$tmp/mp.trace'"
check "engine=move_pages: nothing counted as moved when pages are already in place" grep -q " moved=0 " "$tmp/mp.out"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$online" ',"oci-numa-hook/engine":"fastest"')")"
expect "unknown engine: exit 1" 1 'annotation oci-numa-hook/engine="fastest": expected migrate_pages or move_pages'
printf 'allowed-engines = migrate_pages\n' > "$tmp/engines.conf"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$online" ',"oci-numa-hook/engine":"move_pages"')")" "$tmp/engines.conf"
expect "engine the admin did not allow: exit 1" 1 "not allowed by the admin configuration \(allowed-engines\)"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$online" ',"oci-numa-hook/rate":"5X"')")"
expect "malformed rate: exit 1" 1 'annotation oci-numa-hook/rate="5X": expected bytes per second'
printf 'max-rate = 100M\n' > "$tmp/rate.conf"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$online" ',"oci-numa-hook/rate":"1G"')")" "$tmp/rate.conf"
expect "rate above the admin's max-rate: exit 1" 1 "more than the admin's max-rate of 104857600 bytes per second"

# --- mems=keep leaves the cgroup alone
if $v1; then
	echo 0 > "$CG/cpuset.memory_migrate"
	run_hook poststart "$(state $ID "$main_pid" "$(ann "$online" ',"oci-numa-hook/mems":"keep"')")"
	expect "mems=keep: exit 0" 0 "summary .*mems=keep"
	check "mems=keep: cpuset.memory_migrate untouched" test "$(cat "$CG/cpuset.memory_migrate")" = 0
fi

# --- refusals change nothing
before_mems=$(cat "$CG/cpuset.mems")
$v1 && echo 0 > "$CG/cpuset.memory_migrate"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$absent")")"
expect "node $absent (not on this host): exit 1 naming it and the nodes with memory" 1 \
	"error: annotation oci-numa-hook/nodes=\"$absent\": node $absent is not online or has no memory \(nodes with memory: $online\)"
check "refused request: cpuset.mems unchanged" test "$(cat "$CG/cpuset.mems")" = "$before_mems"
if $v1; then
	check "refused request: cpuset.memory_migrate unchanged" test "$(cat "$CG/cpuset.memory_migrate")" = 0
fi

run_hook poststart "$(state $ID "$main_pid" "$(ann "$absent" ',"oci-numa-hook/on-error":"warn"')")"
expect "on-error=warn: exit 0 with one warning" 0 "warn: annotation .*node $absent is not online.*on-error=warn"

printf 'allowed-nodes = %s\n' "$absent" > "$tmp/allow.conf"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$online")")" "$tmp/allow.conf"
expect "admin allowed-nodes excludes the node: exit 1" 1 "oci-numa-hook/nodes=\"$online\": node $online is not allowed by the admin configuration"

printf 'allow-annotation-override = none\n' > "$tmp/nooverride.conf"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$online" ',"oci-numa-hook/mems":"keep"')")" "$tmp/nooverride.conf"
expect "admin forbids overrides: mems annotation refused" 1 "annotation oci-numa-hook/mems is not allowed by the admin"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$online" ',"oci-numa-hook/on-error":"warn"')")" "$tmp/nooverride.conf"
expect "admin forbids overrides: on-error=warn cannot soften a refusal" 1 "annotation oci-numa-hook/on-error is not allowed"

printf 'default-on-error = warn\n' > "$tmp/warn.conf"
run_hook poststart "$(state $ID "$main_pid" "$(ann "$absent")")" "$tmp/warn.conf"
expect "admin default-on-error=warn: exit 0 with one warning" 0 "warn: annotation .*node $absent"

# --- processes that are not a container
run_hook poststart "$(state $ID "$root_pid" "$(ann "$online")")"
expect "pid in the root cgroup: exit 1" 1 "process $root_pid is in the root cgroup"
out=$( (echo "$BASHPID" > "$CG/cgroup.procs" && exec "$NH_BIN" hook poststart --config "$cfg" \
	<<<"$(state $ID "$main_pid" "$(ann "$online")")") 2>&1)
rc=$?; lines=$(printf '%s' "$out" | grep -c .)
expect "container pid in the hook's own cgroup: exit 1" 1 "is in the hook's own cgroup"
dead=$(sh -c 'echo $$'); 
run_hook poststart "$(state $ID "$dead" "$(ann "$online")")"
expect "pid of a process that exited: exit 2" 2 "container process $dead does not exist"
run_hook poststart '{"id":"$ID","status":"stopped","annotations":{"oci-numa-hook/nodes":"0"}}'
expect "annotated state without a pid: exit 1" 1 "OCI state has no \"pid\""
run_hook poststop "$(state $ID "$main_pid" "$(ann "$online")")"
expect "unknown stage: exit 1" 1 "unknown stage \"poststop\""

# --- a pid that is not the named container's (e.g. reused): refused, untouched
$v1 && echo 0 > "$OUT/cpuset.memory_migrate"
strace -f -qq -e trace=migrate_pages -o "$tmp/reuse.trace" "$NH_BIN" hook poststart --config "$cfg" \
	<<<"$(state "$ID" "$out_pid" "$(ann "$online")")" > "$tmp/reuse.out" 2>&1
rc=$?; out=$(cat "$tmp/reuse.out"); lines=$(grep -c . <<<"$out")
expect "pid whose cgroup does not name the container: exit 1" 1 "which does not name container $ID: the pid may belong to another process"
check "pid of another container: no migrate_pages call" test ! -s "$tmp/reuse.trace"
if $v1; then
	check "pid of another container: its cgroup untouched" test "$(cat "$OUT/cpuset.memory_migrate")" = 0
fi
printf 'verify-cgroup-id = no\n' > "$tmp/noverify.conf"
run_hook poststart "$(state "$ID" "$out_pid" "$(ann "$online" ',"oci-numa-hook/mems":"keep"')")" "$tmp/noverify.conf"
expect "verify-cgroup-id = no: a runtime with other cgroup names is served" 0 "summary "
run_hook poststart "$(printf '{"pid":%s,"annotations":{"oci-numa-hook/nodes":"0"}}' "$main_pid")"
expect "annotated state without an id: exit 1" 1 'OCI state has no "id"'

# --- a process that cannot be pinned is a failure, never skipped as gone
out=$(strace -f -qq -o /dev/null -e trace=pidfd_open -e inject=pidfd_open:error=EMFILE \
	"$NH_BIN" hook poststart --config "$cfg" <<<"$(state "$ID" "$main_pid" "$(ann "$online")")" 2>&1)
rc=$?; lines=$(grep -c . <<<"$out")
expect "pidfd_open failing with EMFILE: exit 2 naming it" 2 "error: cannot pin process [0-9]+ with pidfd_open"
# ... but without pidfd_open at all (Linux < 5.3, a seccomp filter, valgrind)
# the process's /proc directory pins it, and the hook does its work.
for e in ENOSYS EPERM; do
	out=$(strace -f -qq -o /dev/null -e trace=pidfd_open -e inject=pidfd_open:error=$e \
		"$NH_BIN" hook poststart --config "$cfg" <<<"$(state "$ID" "$main_pid" "$(ann "$online")")" 2>&1)
	rc=$?; lines=$(grep -c . <<<"$out")
	expect "pidfd_open failing with $e: pinned by /proc, exit 0" 0 "summary .* processes=[1-9]"
done

# --- processes that keep forking: bounded rounds, then a clear warning
# New processes as fast as bash forks, each living 2 s: each round of both
# passes (before and after the cpuset.mems write) finds new ones, the first
# round of a pass being the longest (it handles the hundreds of sleeps
# alive). Two rounds, not more: a later round can be shorter than the time
# between two forks on a loaded machine.
(echo "$BASHPID" > "$CG/cgroup.procs" && exec bash -c 'while :; do sleep 2 & done') </dev/null >/dev/null 2>&1 &
forker=$!
sleep 0.3
printf 'max-rounds = 2\nlog-level = warn\n' > "$tmp/rounds.conf"
start=$(date +%s)
run_hook poststart "$(state "$ID" "$main_pid" "$(ann "$online" ",\"oci-numa-hook/from\":\"$online\"")")" "$tmp/rounds.conf"
took=$(( $(date +%s) - start ))
kill "$forker" 2>/dev/null
expect "processes forking without end: exit 0 and one warning" 0 "new processes kept appearing in cgroup .* after 2 rounds"
check "processes forking without end: the hook stops within 30 s (took ${took}s)" test "$took" -le 30

# --- the request on the command line (how a CDI device adds the hook)
run_hook_args() { # STATE ARGS...: like run_hook, with hook options
	local st=$1
	shift
	out=$(printf '%s' "$st" | "$NH_BIN" hook poststart --config "$cfg" "$@" 2>&1)
	rc=$?
	lines=$(printf '%s' "$out" | grep -c . || true)
}
run_hook_args "$(state "$ID" "$main_pid" '{}')" --nodes "$online" --mems keep
expect "--nodes without annotations: the hook runs" 0 "summary .*nodes=$online .*mems=keep"
run_hook_args "$(state "$ID" "$main_pid" "$(ann "$online")")" --nodes "$online"
expect "--nodes and an agreeing annotation: the hook runs" 0 "summary .*nodes=$online "
run_hook_args "$(state "$ID" "$main_pid" "$(ann "$absent")")" --nodes "$online"
expect "--nodes and a disagreeing annotation: exit 1" 1 "annotation oci-numa-hook/nodes=\"$absent\" disagrees with the hook's option --nodes $online"
run_hook_args "$(state "$ID" "$main_pid" '{}')" --nodes "$absent"
expect "--nodes with a node that does not exist: exit 1 naming it" 1 "request oci-numa-hook/nodes=\"$absent\": node $absent is not online"
run_hook_args "$(state "$ID" "$main_pid" '{}')" --nodes 0 --nodes 0
expect "--nodes twice: exit 1" 1 "hook: --nodes given twice"
run_hook_args "$(state "$ID" "$main_pid" '{}')" --mems keep
check "--mems without --nodes (or the annotation): exit 0, silent" test "$rc" = 0 -a "$lines" = 0
run_hook_args "$(state "$ID" "$main_pid" '{}')" --nodes "$online" --engine turbo
expect "--engine with an unknown engine: exit 1" 1 'engine="turbo": expected migrate_pages or move_pages'


tap_end
