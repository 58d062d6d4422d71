#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of oci-numa-hook under real container engines on this host:
# podman (hooks.d matching), runc and crun (hooks listed in a bundle's config.json).
#
#   run-e2e.sh --hook BINARY --template HOOKS_JSON_IN
#
# The hooks.d directory is generated from the shipped template (binary path and stage
# substituted, "--config <test config>" appended to the args); runc and crun bundles list
# the very same hook objects, so the shipped content is what is tested. The test config
# sets log-file, and that log is the proof that the hook ran.
#
# Environment: E2E_ENGINES (default "podman runc crun") limits the engines.
# E2E_LOAD (default 50) is the number of containers podman-load starts at once;
# E2E_LOAD=0 skips that test.
# Needs root. Everything lives in one temporary directory removed on exit; the host's
# podman configuration, storage and runtime state directories are never used.
# Prints one "PASS: e2e/<name>", "FAIL: e2e/<name> — <why>" or "SKIP: e2e/<name> — <why>"
# line per test, diagnostics on lines starting with "#", and a closing
# "e2e: N passed, N failed, N skipped"; exits 1 if any test failed.
set -euo pipefail

HOOK=
TEMPLATE=
ENGINES=${E2E_ENGINES:-podman runc crun}

usage() { echo "usage: $0 --hook BINARY --template HOOKS_JSON_IN" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--hook) HOOK=${2:-}; shift 2 || usage ;;
	--template) TEMPLATE=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
if [ -z "$HOOK" ] || [ -z "$TEMPLATE" ]; then usage; fi

# Tests per engine, in the order they run (also used to print SKIP lines).
PODMAN_TESTS="podman-annotated podman-nodes-all podman-mems-keep podman-unannotated podman-unanchored-keys
	podman-bad-node podman-bad-nodes-syntax podman-on-error-warn podman-load"
RUNC_TESTS="runc-annotated runc-nodes-auto runc-unannotated runc-bad-node runc-bad-nodes-syntax"
CRUN_TESTS="crun-annotated crun-unannotated crun-bad-node crun-bad-nodes-syntax"

NPASS=0 NFAIL=0 NSKIP=0
T0=$(date +%s%N)

pass() { echo "PASS: e2e/$1"; NPASS=$((NPASS + 1)); }
fail() { echo "FAIL: e2e/$1 — $2"; NFAIL=$((NFAIL + 1)); }
skip() { echo "SKIP: e2e/$1 — $2"; NSKIP=$((NSKIP + 1)); }
skip_all() { # reason tests...
	local reason=$1 t
	shift
	for t in "$@"; do skip "$t" "$reason"; done
}
finish() {
	local ms=$((($(date +%s%N) - T0) / 1000000))
	echo "# e2e: total $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
	echo "e2e: $NPASS passed, $NFAIL failed, $NSKIP skipped"
	[ "$NFAIL" -eq 0 ]
}

# Without root nothing here can run: report every test as skipped.
if [ "$(id -u)" -ne 0 ]; then
	# shellcheck disable=SC2086
	skip_all "needs root (container engines, cgroups, mount namespaces)" \
		hooksd-template $PODMAN_TESTS $RUNC_TESTS $CRUN_TESTS
	finish
	exit $?
fi

HOOK=$(realpath -e "$HOOK")
TEMPLATE=$(realpath -e "$TEMPLATE")

T=$(mktemp -d /tmp/oci-numa-hook-e2e.XXXXXX)
LOG=$T/hook.log
CONF=$T/oci-numa-hook.conf
HOOKS_DIR=$T/hooks.d
ROOTFS=$T/rootfs
CG_PARENT=oci-numa-hook-e2e-$$ # cgroup parent of the runc and crun containers
NODE=0                         # target node: every host has node 0
BAD_NODE=7
[ -e /sys/devices/system/node/node$BAD_NODE ] && BAD_NODE=1023
# shellcheck source-path=SCRIPTDIR source=../lib/podman.sh
. "$(dirname "$0")/../lib/podman.sh"
podman_sandbox "$T" # podman's config and storage under $T/podman

# A shell in the container that holds 16 MiB, says "started", and waits for /ctl/stop
# (bounded: it ends by itself after 60 s).
# shellcheck disable=SC2016 # expanded inside the container
WORKLOAD='a=$(head -c 16777216 /dev/zero | tr "\000" x); echo started; i=0
while [ ! -e /ctl/stop ] && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done; echo "done ${#a}"'

cleanup() {
	set +e
	# Anything a failed test left behind.
	if command -v podman >/dev/null && [ -e "$CONTAINERS_CONF" ]; then
		podman --runtime-flag "root=$T/podman/runc" rm -a -f -t 0 >/dev/null 2>&1
	fi
	local id
	if [ -d "$T/runc" ]; then
		for id in $(runc --root "$T/runc" list -q 2>/dev/null); do
			runc --root "$T/runc" delete -f "$id" >/dev/null 2>&1
		done
	fi
	if [ -d "$T/crun" ]; then
		for id in $(rc_crun list -q 2>/dev/null); do
			rc_crun delete -f "$id" >/dev/null 2>&1
		done
	fi
	# Cgroups this run created: the runc/crun parent, and podman's parent if it is new.
	local d
	for d in /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/"$CG_PARENT"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	if [ "$PODMAN_PARENT_EXISTED" = no ]; then
		for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	# Mounts left under the temp dir (podman's shm), then the dir itself.
	local m
	awk -v t="$T" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note() { echo "#   $*"; }
show() { # file [lines]: the tail of a file as diagnostic lines
	[ -e "$1" ] || return 0
	tail -n "${2:-15}" "$1" | sed 's/^/#     /'
}
rand12() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }

# ---- running one test -------------------------------------------------------------
# A test is a function run in a subshell with errexit: an unexpected failure ends it
# (the ERR trap records the command), fail_test ends it with a reason, skip_test (exit
# 77) skips it. defer registers clean-up commands run when the test ends, however it ends.

fail_test() {
	printf '%s\n' "$*" >"$REASON"
	exit 1
}
skip_test() {
	printf '%s\n' "$*" >"$REASON"
	exit 77
}
err_at() { [ -s "$REASON" ] || printf 'unexpected failure at line %s: %s\n' "$1" "$2" >"$REASON"; }
defer() { DEFERRED+=("$*"); }
run_deferred() {
	local i
	set +e
	for ((i = ${#DEFERRED[@]} - 1; i >= 0; i--)); do eval "${DEFERRED[i]}" >/dev/null 2>&1; done
}

run_test() { # name function [args...]
	local name=$1 rc t1 ms
	shift
	REASON=$T/reason.$name
	TEST=$name
	: >"$REASON"
	t1=$(date +%s%N)
	set +e
	(
		set -eE
		DEFERRED=()
		trap 'err_at "$LINENO" "$BASH_COMMAND"' ERR
		trap run_deferred EXIT
		"$@"
	)
	rc=$?
	set -e
	ms=$((($(date +%s%N) - t1) / 1000000))
	case $rc in
	0) pass "$name" ;;
	77) skip "$name" "$(head -n 1 "$REASON")" ;;
	*) fail "$name" "$(head -n 1 "$REASON" || true)" ;;
	esac
	echo "#   e2e/$name took $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
}

# ---- set-up -------------------------------------------------------------------------

# hooks.d files from the shipped template, one per stage, plus --config for the tests.
gen_hooks_dir() {
	local stage hp
	mkdir -p "$HOOKS_DIR"
	hp=$(printf '%s' "$HOOK" | sed 's/[\\|&]/\\&/g')
	for stage in createRuntime poststart; do
		sed -e "s|@HOOK_PATH@|$hp|g" -e "s|@STAGE@|$stage|g" "$TEMPLATE" |
			jq --arg conf "$CONF" '.hook.args += ["--config", $conf]' \
				>"$HOOKS_DIR/oci-numa-hook-$stage.json"
	done
}

write_config() {
	cat >"$CONF" <<-EOF
		# oci-numa-hook configuration for the end-to-end tests
		allowed-nodes = all
		allow-annotation-override = all
		log-level = debug
		log-file = $LOG
	EOF
	: >"$LOG"
}

# A root file system made of busybox-static (no image, no network), with
# /ctl for the bind mount that tells the workload to stop.
make_rootfs() {
	busybox_rootfs "$ROOTFS" && mkdir -p "$ROOTFS/ctl"
}

# The host mixes cgroup v1 controllers with a v2 hierarchy at /sys/fs/cgroup/unified.
is_hybrid() {
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] &&
		[ -d /sys/fs/cgroup/unified ] &&
		[ "$(stat -fc %T /sys/fs/cgroup/unified)" = cgroup2fs ]
}

pm() { podman --runtime-flag "root=$T/podman/runc" "$@"; }
rc_runc() { runc --root "$T/runc" "$@"; }
# crun refuses hybrid hosts; in a private mount namespace an empty file over
# unified/cgroup.controllers makes it see a v1 host (the hook runs in there too).
# CRUN is the command line to run crun with (usable with timeout).
crun_setup() { crun_hybrid_cmd "$T" --root "$T/crun"; }
rc_crun() { "${CRUN[@]}" "$@"; }

# ---- helpers for the tests ----------------------------------------------------------

wait_for_line() { # file regex timeout_s pid: wait until the file has the line (pid alive)
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || break
		sleep 0.1
	done
	grep -Eq -- "$2" "$1" 2>/dev/null
}

wait_bg() { # pid timeout_s: wait for a background engine; sets BG_RC
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && kill "$1"
	BG_RC=0
	wait "$1" || BG_RC=$?
}

# The cpuset cgroup directory of a pid: the v1 cpuset line of /proc/PID/cgroup under
# the cpuset mount, or the v2 "0::" line under the cgroup2 mount.
cpuset_dir_of() {
	local pid=$1 path mnt
	path=$(awk -F: '$2 ~ /(^|,)cpuset(,|$)/ { print $3 }' "/proc/$pid/cgroup")
	if [ -n "$path" ]; then
		mnt=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup" && $(i + 3) ~ /(^|,)cpuset(,|$)/) { print $5; exit } }' /proc/self/mountinfo)
	else
		path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
		mnt=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)
	fi
	[ -n "$mnt" ] && [ -n "$path" ] && [ -d "$mnt$path" ] || return 1
	echo "$mnt${path%/}"
}

mems_allowed() { awk '$1 == "Mems_allowed_list:" { print $2 }' "/proc/$1/status"; }

# While the container runs: its cgroup's cpuset.mems, and Mems_allowed_list of each of
# its processes, are the nodes asked for; on cgroup v1 cpuset.memory_migrate tells
# whether the hook wrote the cgroup (it is 0 unless someone set it).
check_placement() { # pid nodes mems(set|keep|none)
	local pid=$1 nodes=$2 mems=$3 cg got p n=0 mm
	cg=$(cpuset_dir_of "$pid") || fail_test "no cpuset cgroup found for container pid $pid"
	note "container pid $pid, cgroup $cg"
	got=$(cat "$cg/cpuset.mems")
	[ "$got" = "$nodes" ] || fail_test "cpuset.mems of $cg is '$got', expected '$nodes'"
	got=$(mems_allowed "$pid")
	[ "$got" = "$nodes" ] || fail_test "Mems_allowed_list of container pid $pid is '$got', expected '$nodes'"
	while read -r p; do
		got=$(mems_allowed "$p" 2>/dev/null) || continue # exited meanwhile
		[ "$got" = "$nodes" ] || fail_test "Mems_allowed_list of pid $p in $cg is '$got', expected '$nodes'"
		n=$((n + 1))
	done <"$cg/cgroup.procs"
	[ "$n" -ge 1 ] || fail_test "no live process found in $cg/cgroup.procs"
	if [ -e "$cg/cpuset.memory_migrate" ]; then
		mm=$(cat "$cg/cpuset.memory_migrate")
		case $mems in
		set) [ "$mm" = 1 ] || fail_test "cpuset.memory_migrate of $cg is $mm: the hook did not set the cgroup (mems=set)" ;;
		*) [ "$mm" = 0 ] || fail_test "cpuset.memory_migrate of $cg is $mm: the cgroup was written although mems=$mems" ;;
		esac
	fi
	note "cpuset.mems=$nodes, Mems_allowed_list=$nodes for $n process(es), memory_migrate=${mm:-n/a}"
}

log_of() { grep -F "oci-numa-hook[${1:0:12}]:" "$LOG" || true; }

# The hook ran at both stages for this container: one summary line per stage.
check_fired() { # id nodes mems
	local id=$1 nodes=$2 mems=$3 stage line n procs
	for stage in createRuntime poststart; do
		line=$(log_of "$id" | grep -F "]: info: summary stage=$stage " || true)
		n=$(printf '%s' "$line" | grep -c . || true)
		if [ "$n" -ne 1 ]; then
			log_of "$id" | sed 's/^/#     log: /'
			fail_test "$n summary lines with stage=$stage for ${id:0:12} in the hook log, expected 1"
		fi
		# No page may be left behind (on a one-node host none needs to move).
		for f in "nodes=$nodes" "mems=$mems" "cpuset.mems=$nodes" "not_moved=0"; do
			[[ " $line " == *" $f "* ]] || fail_test "summary for stage=$stage lacks '$f': $line"
		done
		procs=$(sed -n 's/.* processes=\([0-9]*\) .*/\1/p' <<<"$line")
		[ "${procs:-0}" -ge 1 ] || fail_test "summary for stage=$stage counts no process: $line"
		note "log: $line"
	done
}

check_not_fired() { # id
	local lines
	lines=$(log_of "$1")
	[ -z "$lines" ] || fail_test "the hook logged for ${1:0:12} without the annotation: $(head -n 1 <<<"$lines")"
}

# The OCI config the engine used lists the hook (with the test config) exactly at
# createRuntime and poststart, or nowhere.
check_config_hooks() { # config.json yes|no
	local want=$2 stages
	stages=$(jq -r --arg p "$HOOK" --arg c "$CONF" \
		'(.hooks // {}) | to_entries[] | select(any(.value[]; .path == $p and (.args | index($c)))) | .key' \
		"$1" | sort | tr '\n' ' ')
	if [ "$want" = yes ]; then
		[ "$stages" = "createRuntime poststart " ] ||
			fail_test "OCI config lists the hook at stages '${stages% }', expected 'createRuntime poststart'"
	else
		[ -z "$stages" ] || fail_test "OCI config lists the hook at '${stages% }' although not annotated"
	fi
}

# A bundle for runc/crun: the engine's own default spec, busybox rootfs, the workload,
# /ctl bind-mounted, a cgroup under $CG_PARENT, and the hooks from the hooks.d files.
make_bundle() { # engine id annotations-json cmd -> bundle dir on stdout
	local eng=$1 id=$2 ann=$3 cmd=$4 b=$T/bundles/$2
	mkdir -p "$b"
	case $eng in
	runc) runc spec --bundle "$b" ;;
	crun) crun spec --bundle "$b" ;;
	esac
	jq --arg root "$ROOTFS" --arg ctl "$T/ctl/$id" --arg cg "/$CG_PARENT/$id" \
		--argjson ann "$ann" --arg cmd "$cmd" \
		--slurpfile cr "$HOOKS_DIR/oci-numa-hook-createRuntime.json" \
		--slurpfile ps "$HOOKS_DIR/oci-numa-hook-poststart.json" '
		.process.terminal = false | .process.args = ["sh", "-c", $cmd] |
		.root = {path: $root, readonly: true} |
		.mounts += [{destination: "/ctl", type: "bind", source: $ctl, options: ["rbind", "rw"]}] |
		.linux.cgroupsPath = $cg | .annotations = $ann |
		.hooks = {createRuntime: [$cr[0].hook], poststart: [$ps[0].hook]}' \
		"$b/config.json" >"$b/config.json.new"
	mv "$b/config.json.new" "$b/config.json"
	echo "$b"
}

# Start a container running WORKLOAD in the background and wait for "started".
# Sets CID, CPID (its init pid), BGPID, OUT, CTL, OCI_CONFIG.
start_container() { # engine annotations-json
	local eng=$1 ann=$2 a b
	local -a annargs=()
	W=$T/cases/$TEST
	mkdir -p "$W"
	OUT=$W/out
	case $eng in
	podman)
		CTL=$W/ctl
		mkdir -p "$CTL"
		while IFS= read -r a; do annargs+=(--annotation "$a"); done \
			< <(jq -r 'to_entries[] | "\(.key)=\(.value)"' <<<"$ann")
		timeout 120 podman --runtime-flag "root=$T/podman/runc" run --rm --cidfile "$W/cid" \
			--hooks-dir "$HOOKS_DIR" "${annargs[@]}" --network=none -v "$CTL:/ctl" \
			--rootfs "$ROOTFS" sh -c "$WORKLOAD" >>"$OUT" 2>&1 &
		BGPID=$!
		defer "touch '$CTL/stop'; sleep 0.5; kill $BGPID; pm rm -f -t 0 \$(cat '$W/cid')"
		;;
	runc | crun)
		CID=$(rand12)-$TEST
		CTL=$T/ctl/$CID
		mkdir -p "$CTL"
		b=$(make_bundle "$eng" "$CID" "$ann" "$WORKLOAD")
		OCI_CONFIG=$b/config.json
		if [ "$eng" = runc ]; then
			timeout 120 runc --root "$T/runc" run --bundle "$b" "$CID" >>"$OUT" 2>&1 &
		else
			timeout 120 "${CRUN[@]}" run --bundle "$b" "$CID" >>"$OUT" 2>&1 &
		fi
		BGPID=$!
		defer "touch '$CTL/stop'; sleep 0.5; kill $BGPID; rc_$eng delete -f '$CID'"
		;;
	esac
	if ! wait_for_line "$OUT" '^started$' 60 "$BGPID"; then
		show "$OUT"
		fail_test "$eng: the container did not start: $(grep -v '^#' "$OUT" | tail -n 1)"
	fi
	case $eng in
	podman)
		CID=$(cat "$W/cid")
		CPID=$(pm inspect --format '{{.State.Pid}}' "$CID")
		OCI_CONFIG=$(pm inspect --format '{{.OCIConfigPath}}' "$CID")
		;;
	runc | crun) CPID=$("rc_$eng" state "$CID" | jq -r .pid) ;;
	esac
	note "$eng container ${CID:0:12} running, init pid $CPID"
}

# Tell the workload to end and check that the engine exits 0 after it said "done".
stop_container() { # engine
	touch "$CTL/stop"
	wait_bg "$BGPID" 30
	if [ "$BG_RC" -ne 0 ] || ! grep -q '^done 16777216$' "$OUT"; then
		show "$OUT"
		fail_test "$1 exited with status $BG_RC after the workload was told to stop"
	fi
}

# ---- the tests ----------------------------------------------------------------------

# The generated hooks.d files: what the template gives, with our binary and stage.
t_hooksd_template() {
	local stage f
	for stage in createRuntime poststart; do
		f=$HOOKS_DIR/oci-numa-hook-$stage.json
		jq -e --arg p "$HOOK" --arg s "$stage" '
			.version == "1.0.0" and .hook.path == $p and
			(.hook.args[0:3] == ["oci-numa-hook", "hook", $s]) and .stages == [$s] and
			(.when.annotations | keys == ["^oci-numa-hook/nodes$"])' "$f" >/dev/null ||
			fail_test "$f is not the expected hooks.d 1.0.0 entry for stage $stage: $(jq -c . "$f")"
	done
	! grep -q '@[A-Z_]*@' "$HOOKS_DIR"/*.json || fail_test "unsubstituted @VAR@ left in the template"
}

# Annotated: the hook fires at createRuntime and poststart and the container's cgroup
# and processes are on the asked node while it runs; the container then exits 0.
# Extra annotations may replace nodes=NODE (all and auto resolve to NODE on this host).
t_annotated() { # engine [extra annotations json]
	local eng=$1 extra=${2:-'{}'} mems ann
	ann=$(jq -c --arg n "$NODE" --argjson x "$extra" '{"oci-numa-hook/nodes": $n} + $x' <<<'{}')
	mems=$(jq -r '.["oci-numa-hook/mems"] // "set"' <<<"$ann")
	start_container "$eng" "$ann"
	check_config_hooks "$OCI_CONFIG" yes
	check_placement "$CPID" "$NODE" "$mems"
	check_fired "$CID" "$NODE" "$mems"
	stop_container "$eng"
}

# Not annotated: podman does not put the hook in the OCI config; runc and crun, whose
# config lists it (like a containerd base spec), run it and it does nothing.
t_unannotated() { # engine [annotations json]
	local eng=$1 ann=${2:-'{}'}
	start_container "$eng" "$ann"
	if [ "$eng" = podman ]; then
		check_config_hooks "$OCI_CONFIG" no
	else
		check_config_hooks "$OCI_CONFIG" yes
	fi
	check_placement "$CPID" "$NODE" none
	stop_container "$eng"
	check_not_fired "$CID"
}

norm() { tr -d '\\"'; } # runc quotes and escapes the hook's stderr in its own error line

# A bad annotation: the engine fails to start the container, says so with a non-zero
# exit, and the user sees the hook's error line on the engine's output.
t_bad_annotation() { # engine value [extra annotations json]
	local eng=$1 val=$2 extra=${3:-'{}'} ann err rc=0 b
	W=$T/cases/$TEST
	mkdir -p "$W"
	OUT=$W/out
	ann=$(jq -c --arg v "$val" --argjson x "$extra" '{"oci-numa-hook/nodes": $v} + $x' <<<'{}')
	case $eng in
	podman)
		timeout 120 podman --runtime-flag "root=$T/podman/runc" run --rm --cidfile "$W/cid" \
			--hooks-dir "$HOOKS_DIR" --annotation "oci-numa-hook/nodes=$val" --network=none \
			--rootfs "$ROOTFS" true >>"$OUT" 2>&1 || rc=$?
		CID=$(cat "$W/cid" 2>/dev/null || true)
		[ -n "$CID" ] || { show "$OUT"; fail_test "podman wrote no container id (exit $rc)"; }
		;;
	runc | crun)
		CID=$(rand12)-$TEST
		mkdir -p "$T/ctl/$CID"
		b=$(make_bundle "$eng" "$CID" "$ann" true)
		if [ "$eng" = runc ]; then
			timeout 120 runc --root "$T/runc" run --bundle "$b" "$CID" >>"$OUT" 2>&1 || rc=$?
		else
			timeout 120 "${CRUN[@]}" run --bundle "$b" "$CID" >>"$OUT" 2>&1 || rc=$?
		fi
		defer "rc_$eng delete -f '$CID'"
		;;
	esac
	note "$eng exit status $rc; its output:"
	show "$OUT" 6
	[ "$rc" -ne 0 ] || fail_test "$eng started the container with oci-numa-hook/nodes=$val (exit 0)"
	[ "$rc" -ne 124 ] || fail_test "$eng timed out"
	err=$(log_of "$CID" | grep -F ']: error: ' | head -n 1 || true)
	[ -n "$err" ] || fail_test "no error line for ${CID:0:12} in the hook log: $(log_of "$CID" | tail -n 1)"
	note "log: $err"
	[[ "$err" == *"$val"* ]] || fail_test "the hook's error line does not name the value '$val': $err"
	if [ "$eng" = crun ] && [ "$(jq -r '.["run.oci.hooks.stderr"] // ""' <<<"$ann")" = "" ]; then
		# crun sends hook output to /dev/null unless run.oci.hooks.stderr names a file;
		# it reports only the hook's path and exit code.
		grep -qF "error executing hook \`$HOOK\` (exit code: 1)" "$OUT" ||
			fail_test "crun's output does not name the failed hook: $(tail -n 1 "$OUT")"
	else
		norm <"$OUT" | grep -qF -- "$(norm <<<"$err")" ||
			fail_test "the hook's error line is not on $eng's output: $(tail -n 1 "$OUT")"
	fi
	# Nothing left running or registered.
	case $eng in
	podman) [ -z "$(pm ps -a -q)" ] || fail_test "podman kept a container after the failed --rm run" ;;
	*) ! "rc_$eng" state "$CID" >/dev/null 2>&1 || [ "$("rc_$eng" state "$CID" | jq -r .status)" = stopped ] ||
		fail_test "$eng left container $CID behind: $("rc_$eng" state "$CID" | jq -c '{status, pid}')" ;;
	esac
}

# on-error=warn: the bad node is logged, the container starts anyway.
t_on_error_warn() { # engine
	local eng=$1 lines
	start_container "$eng" "$(jq -c --arg v "$BAD_NODE" '{"oci-numa-hook/nodes": $v, "oci-numa-hook/on-error": "warn"}' <<<'{}')"
	stop_container "$eng"
	lines=$(log_of "$CID")
	grep -Eq "\]: (warn|error): .*$BAD_NODE" <<<"$lines" ||
		fail_test "no warn/error line naming node $BAD_NODE for ${CID:0:12} in the hook log: $(tail -n 1 <<<"$lines")"
	note "log: $(grep -E '\]: (warn|error): ' <<<"$lines" | head -n 1)"
}

# Under load: E2E_LOAD (50) annotated containers started at once (podman run -d in
# parallel, nodes=NODE). Every podman run must exit 0, and every container must have
# fired the hook at both stages (one summary per stage, nothing left behind) and run
# with cpuset.mems NODE, as must each of its processes.
t_load() { # engine
	local eng=$1 n=${E2E_LOAD:-50} k t0 ms bad=0 first="" cid cpid
	local -a cids=()
	[ "$n" -gt 0 ] || skip_test "E2E_LOAD=0"
	W=$T/cases/$TEST
	mkdir -p "$W"
	t0=$(date +%s%N)
	for ((k = 1; k <= n; k++)); do
		mkdir -p "$W/ctl$k"
		(
			rc=0
			timeout 300 podman --runtime-flag "root=$T/podman/runc" run -d --cidfile "$W/cid$k" \
				--hooks-dir "$HOOKS_DIR" --annotation "oci-numa-hook/nodes=$NODE" --network=none \
				-v "$W/ctl$k:/ctl" --rootfs "$ROOTFS" sh -c "$WORKLOAD" >"$W/out$k" 2>&1 || rc=$?
			echo "$rc" >"$W/rc$k"
		) &
	done
	defer "for k in \$(seq 1 $n); do touch '$W'/ctl\$k/stop; done; pm rm -f -t 0 \$(cat '$W'/cid* 2>/dev/null)"
	wait
	ms=$((($(date +%s%N) - t0) / 1000000))
	note "$n x $eng run -d at once: all returned after $ms ms"
	# One inspect for all of them: "ID PID" lines (a podman process each is slow).
	for ((k = 1; k <= n; k++)); do
		[ "$(cat "$W/rc$k")" != 0 ] || cids+=("$(cat "$W/cid$k")")
	done
	[ ${#cids[@]} -eq 0 ] || pm inspect --format '{{.Id}} {{.State.Pid}}' "${cids[@]}" >"$W/pids" 2>&1 || true
	for ((k = 1; k <= n; k++)); do
		if [ "$(cat "$W/rc$k")" != 0 ]; then
			bad=$((bad + 1))
			[ -n "$first" ] || first="container $k: podman run exit $(cat "$W/rc$k"): $(tail -n 1 "$W/out$k")"
			continue
		fi
		cid=$(cat "$W/cid$k")
		cpid=$(awk -v id="$cid" '$1 == id { print $2 }' "$W/pids")
		if [ -z "$cpid" ] || [ "$cpid" = 0 ]; then
			bad=$((bad + 1))
			[ -n "$first" ] || first="container $k (${cid:0:12}): not running ($(grep -m1 -v '^[0-9a-f]\{64\} ' "$W/pids"))"
		elif ! (check_placement "$cpid" "$NODE" set && check_fired "$cid" "$NODE" set) >"$W/check$k" 2>&1; then
			bad=$((bad + 1))
			[ -n "$first" ] || first="container $k (${cid:0:12}): $(head -n 1 "$REASON")"
		fi
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	note "$((n - bad)) of $n containers fired the hook at both stages and ran on node $NODE (checked after $ms ms)"
	[ "$bad" -eq 0 ] || fail_test "$bad of $n containers failed; first: $first"
}

# ---- per engine ---------------------------------------------------------------------

# A plain container (no hook) must run, or every test of the engine is skipped with
# the engine's own words.
probe() { # engine -> prints the reason on failure
	local eng=$1 out=$T/probe-$1 id b rc=0
	case $eng in
	podman) timeout 60 podman --runtime-flag "root=$T/podman/runc" run --rm --network=none \
		--rootfs "$ROOTFS" true >>"$out" 2>&1 || rc=$? ;;
	runc | crun)
		id=$(rand12)-probe
		mkdir -p "$T/ctl/$id"
		b=$(make_bundle "$eng" "$id" '{}' true)
		jq 'del(.hooks)' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
		if [ "$eng" = runc ]; then
			timeout 60 runc --root "$T/runc" run --bundle "$b" "$id" >>"$out" 2>&1 || rc=$?
		else
			timeout 60 "${CRUN[@]}" run --bundle "$b" "$id" >>"$out" 2>&1 || rc=$?
		fi
		;;
	esac
	[ "$rc" -eq 0 ] && return 0
	echo "$eng cannot run a plain container here (exit $rc): $(tail -n 1 "$out")"
	return 1
}

run_engine() { # engine
	local eng=$1 tests reason
	case $eng in
	podman) tests=$PODMAN_TESTS ;;
	runc) tests=$RUNC_TESTS ;;
	crun) tests=$CRUN_TESTS ;;
	esac
	if ! command -v "$eng" >/dev/null; then
		# shellcheck disable=SC2086
		skip_all "$eng is not installed (Debian package $eng)" $tests
		return
	fi
	if [ "$eng" = podman ] && ! command -v runc >/dev/null; then
		# shellcheck disable=SC2086
		skip_all "podman is set up with runtime=runc, and runc is not installed" $tests
		return
	fi
	if ! reason=$(probe "$eng"); then
		# shellcheck disable=SC2086
		skip_all "$reason" $tests
		return
	fi
	case $eng in
	podman)
		run_test podman-annotated t_annotated podman
		run_test podman-nodes-all t_annotated podman '{"oci-numa-hook/nodes": "all"}'
		run_test podman-mems-keep t_annotated podman '{"oci-numa-hook/mems": "keep"}'
		run_test podman-unannotated t_unannotated podman
		run_test podman-unanchored-keys t_unannotated podman \
			'{"xoci-numa-hook/nodes": "0", "oci-numa-hook/nodes-x": "0"}'
		run_test podman-bad-node t_bad_annotation podman "$BAD_NODE"
		run_test podman-bad-nodes-syntax t_bad_annotation podman abc
		run_test podman-on-error-warn t_on_error_warn podman
		run_test podman-load t_load podman
		;;
	runc | crun)
		run_test "$eng-annotated" t_annotated "$eng"
		[ "$eng" = crun ] || run_test "$eng-nodes-auto" t_annotated "$eng" '{"oci-numa-hook/nodes": "auto"}'
		run_test "$eng-unannotated" t_unannotated "$eng"
		run_test "$eng-bad-node" t_bad_annotation "$eng" "$BAD_NODE"
		if [ "$eng" = crun ]; then
			# crun shows the hook's stderr only when asked to by this annotation.
			run_test "$eng-bad-nodes-syntax" t_bad_annotation "$eng" abc \
				'{"run.oci.hooks.stderr": "/dev/stderr"}'
		else
			run_test "$eng-bad-nodes-syntax" t_bad_annotation "$eng" abc
		fi
		;;
	esac
}

# ---- main ---------------------------------------------------------------------------

for tool in jq unshare; do
	command -v "$tool" >/dev/null || { echo "$0: $tool is needed (see tests/e2e/packages)" >&2; exit 2; }
done

echo "# e2e: hook $HOOK, template $TEMPLATE, engines: $ENGINES, work dir $T"
is_hybrid && echo "# e2e: hybrid cgroup host (v1 controllers + v2 at /sys/fs/cgroup/unified)"
gen_hooks_dir
write_config
crun_setup
run_test hooksd-template t_hooksd_template

if ! reason=$(make_rootfs); then
	# shellcheck disable=SC2086
	skip_all "$reason" $PODMAN_TESTS $RUNC_TESTS $CRUN_TESTS
else
	for eng in podman runc crun; do
		case " $ENGINES " in
		*" $eng "*) run_engine "$eng" ;;
		*)
			case $eng in
			podman) tests=$PODMAN_TESTS ;;
			runc) tests=$RUNC_TESTS ;;
			crun) tests=$CRUN_TESTS ;;
			esac
			# shellcheck disable=SC2086
			skip_all "not selected (E2E_ENGINES=$ENGINES)" $tests
			;;
		esac
	done
fi

finish
