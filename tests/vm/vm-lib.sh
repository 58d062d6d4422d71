# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# Helpers for the tests that run inside the NUMA test VM (busybox sh).
# Sourced by /init and by each test's own shell.

# Every process a test starts lives below NH_CG: in the v2 hierarchy, or in
# the v1 cpuset hierarchy when the VM runs cgroup v1 (nh.cgroup=v1).
if [ -d /sys/fs/cgroup/cpuset ]; then
	NH_CGROOT=/sys/fs/cgroup/cpuset
	NH_CGV=1
else
	NH_CGROOT=/sys/fs/cgroup
	NH_CGV=2
fi
NH_CG=$NH_CGROOT/nh
NH_RUN=/run/nh                 # bundles, logs, hook configs (tmpfs)
NH_HOOK=/nh/bin/oci-numa-hook
# shellcheck disable=SC2034 # used by vm-static.sh
NH_HOOK_STATIC=/nh/bin/oci-numa-hook-static   # static, without libraries

# ------------------------------------------------------------ test protocol
# A test is a function t_NAME run in its own shell; it passes by returning,
# fails with `fail WHY`, skips with `skip WHY`.  `note` lines are the
# measurements that the host runner shows next to the result.
fail() {
	echo "$*" >"$NH_RUN/reason"
	exit 1
}

skip() {
	echo "$*" >"$NH_RUN/reason"
	exit 77
}

note() {
	echo "# vm/$NH_TEST: $*"
}

# Value of nh.NAME=VALUE on the kernel command line.
nh_param() {
	# shellcheck disable=SC2013 # the command line is words
	for word in $(cat /proc/cmdline); do
		case $word in
		"nh.$1="*) echo "${word#*=}"; return 0 ;;
		esac
	done
	return 1
}

nh_result() { # STATUS NAME [WHY]
	if [ -n "${3:-}" ]; then
		echo "$1: vm/$2 — $3"
	else
		echo "$1: vm/$2"
	fi
}

# Run one test in its own shell under a time limit, print its result line,
# then remove whatever it left behind.
nh_run_test() {
	name=$1
	limit=$2
	fn=t_$(echo "$name" | tr - _)
	rm -f "$NH_RUN/reason"
	if ! type "$fn" >/dev/null 2>&1; then
		nh_result FAIL "$name" "no such test in vm-tests.sh"
		return
	fi
	if [ -s /run/nh-cgroup-v1-missing ]; then
		nh_result SKIP "$name" "kernel $(uname -r) has no cgroup v1 $(tr '\n' ' ' </run/nh-cgroup-v1-missing)hierarchy: $(head -n 1 /run/nh-cgroup-v1.err)"
		return
	fi
	NH_TEST=$name timeout -s KILL "$limit" sh -c ". /nh/vm-lib.sh; . /nh/vm-tests.sh; . /nh/vm-faults.sh; . /nh/vm-static.sh; set -u; $fn"
	rc=$?
	why=$(cat "$NH_RUN/reason" 2>/dev/null)
	case $rc in
	0) nh_result PASS "$name" ;;
	77) nh_result SKIP "$name" "${why:-no reason given}" ;;
	137) nh_result FAIL "$name" "timed out after ${limit}s${why:+ ($why)}" ;;
	*) nh_result FAIL "$name" "${why:-exit status $rc}" ;;
	esac
	nh_cleanup
}

nh_main() {
	mkdir -p "$NH_RUN"
	cpuset_dir "$NH_CG"
	[ "$NH_CGV" = 1 ] || echo "+cpuset +memory +pids" >"$NH_CG/cgroup.subtree_control"
	echo "nh-vm: kernel $(uname -r), nodes $(cat /sys/devices/system/node/online)," \
		"cpus $(cat /sys/devices/system/cpu/online), cgroup v$NH_CGV:" \
		"$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null || (cd /sys/fs/cgroup && echo *))"
	limit=$(nh_param timeout || echo 150)
	if [ "$(nh_param demo || true)" = 1 ]; then
		NH_TEST=demo
		demo_main
		echo "nh-vm: done results=0"
		return
	fi
	count=0
	for name in $(nh_param tests | tr , ' '); do
		nh_run_test "$name" "$limit"
		count=$((count + 1))
	done
	echo "nh-vm: done results=$count"
}

# Stop every container and every process a test started; remove their cgroups.
nh_cleanup() {
	for rt in runc crun; do
		for id in $($rt --root "/run/$rt" list -q 2>/dev/null); do
			$rt --root "/run/$rt" delete -f "$id" >/dev/null 2>&1
		done
	done
	if [ -e "$NH_CG/cgroup.kill" ]; then
		echo 1 >"$NH_CG/cgroup.kill"
	else # v1 has no cgroup.kill
		find "$NH_CG" -name cgroup.procs -exec cat {} + | while read -r p; do kill -9 "$p"; done 2>/dev/null
	fi
	# Deepest first; a cgroup can be removed once its processes are gone.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		find "$NH_CG" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -z "$(find "$NH_CG" -mindepth 1 -type d)" ] && break
		sleep 0.2
	done
	# Last mounted first: a mount inside another one goes before it.
	grep " $NH_RUN/" /proc/mounts | cut -d' ' -f2 | tac | while read -r m; do umount -d "$m"; done
	rm -rf "${NH_RUN:?}"/*
}

# ------------------------------------------------------------ small tools
now_ms() { nh-clock; }

# Milliseconds between two nh-clock readings, rounded.
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d\n", b - a + 0.5 }'; }

# KEY=VALUE word out of a line: field N1 "total N0=1 N1=2" -> 2
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

wait_file() { # PATH SECONDS
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
}

vmstat() { sed -n "s/^$1 //p" /proc/vmstat; }

# cpuset.cpus of a NUMA node
node_cpus() { cat "/sys/devices/system/node/node$1/cpulist"; }

# Fails unless at least MIN percent of the pages in a nh-pages line are on NODE.
expect_on_node() { # NODE MIN_PERCENT LINE WHAT
	on=$(field "N$1" "$3")
	all=$(field pages "$3")
	[ "${all:-0}" -gt 0 ] || fail "$4: no resident pages counted ($3)"
	if ! awk -v on="$on" -v all="$all" -v min="$2" 'BEGIN { exit !(on * 100 >= min * all) }'; then
		fail "$4: only $on of $all pages on node $1, want >= $2% ($3)"
	fi
}

percent() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f\n", a * 100 / b; else print "0" }'; }

# Run a command with its memory on NODE (a cgroup with cpuset.mems NODE):
# files it writes to tmpfs get their page cache there.  The test files are
# copied this way, so that "before" really is all on one node.
on_node() { # NODE CMD...
	cg=$NH_CGROOT/nh-stage$1
	cpuset_dir "$cg"
	echo "$1" >"$cg/cpuset.mems"
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# Create a cpuset cgroup; on v1 a new cpuset has no CPUs and no nodes (no
# task may join it), so it starts with its parent's.
cpuset_dir() { # DIR
	mkdir -p "$1"
	if [ "$NH_CGV" = 1 ]; then
		[ -n "$(cat "$1/cpuset.cpus")" ] || cat "$(dirname "$1")/cpuset.cpus" >"$1/cpuset.cpus"
		[ -n "$(cat "$1/cpuset.mems")" ] || cat "$(dirname "$1")/cpuset.mems" >"$1/cpuset.mems"
	fi
}

# ------------------------------------------------------------ plain processes
# Start a command in a new cgroup below $NH_CG with the given cpuset; prints
# nothing, leaves the pid in $NH_RUN/NAME.pid.  Output goes to NAME.log.
start_in_cgroup() { # NAME CPUS MEMS CMD...
	cg=$NH_CG/$1
	cpuset_dir "$cg"
	echo "$2" >"$cg/cpuset.cpus"
	echo "$3" >"$cg/cpuset.mems"
	name=$1
	shift 3
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@" >"$NH_RUN/$name.log" 2>&1 &
	echo $! >"$NH_RUN/$name.pid"
}

# ------------------------------------------------------------ containers
# A bundle on tmpfs with a copy of the busybox rootfs that holds nh-workload.
# The copy is made from node 0, so the image's page cache is there (a warm
# image on the wrong node).  With C_COLD set the rootfs is instead a fresh
# read-only mount of an ext2 image on a loop device: its page cache is
# allocated when the container first touches a file (a cold image).
bundle_new() { # ID -> sets BUNDLE
	BUNDLE=$NH_RUN/bundles/$1
	mkdir -p "$BUNDLE/rootfs"
	if [ -n "${C_COLD:-}" ]; then
		cold_image || fail "cannot build the ext2 image of the rootfs"
		mount -o loop,ro "$NH_IMAGE" "$BUNDLE/rootfs" || fail "cannot mount $NH_IMAGE (loop)"
	else
		on_node 0 cp -a /nh/rootfs/. "$BUNDLE/rootfs/" || fail "cannot copy the rootfs"
	fi
}

NH_IMAGE=/run/nh-image/rootfs.ext2
cold_image() {
	[ -s "$NH_IMAGE" ] && return 0
	mkdir -p /run/nh-image/mnt
	dd if=/dev/zero of="$NH_IMAGE.tmp" bs=1M count=16 2>/dev/null &&
		mke2fs -F "$NH_IMAGE.tmp" >/dev/null 2>&1 &&
		mount -o loop "$NH_IMAGE.tmp" /run/nh-image/mnt &&
		cp -a /nh/rootfs/. /run/nh-image/mnt/ &&
		umount -d /run/nh-image/mnt &&
		mv "$NH_IMAGE.tmp" "$NH_IMAGE"
}

# Hook entry of config.json for a stage; runtimes give hooks no PATH, so the
# path is absolute.
hook_entry() { # STAGE CONF
	printf '{"path": "%s", "args": ["oci-numa-hook", "hook", "%s", "--config", "%s"], "timeout": 60}' \
		"$NH_HOOK" "$1" "$2"
}

# config.json for a container running ARGS (a JSON array body).
# C_CPUS, C_MEMS: cpuset of the container (empty = not set)
# C_ANNOT: body of the annotations object
# C_HOOKS: body of the hooks object
config_write() { # BUNDLE ID ARGS
	res=
	[ -n "${C_CPUS:-}" ] && res="\"cpus\": \"$C_CPUS\""
	[ -n "${C_MEMS:-}" ] && res="$res${res:+, }\"mems\": \"$C_MEMS\""
	ro=false
	[ -z "${C_COLD:-}" ] || ro=true
	cat >"$1/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": [$3],
    "env": ["PATH=/bin"],
    "cwd": "/",
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": $ro},
  "hostname": "$2",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=1777"]}
  ],
  "annotations": {${C_ANNOT:-}},
  "hooks": {${C_HOOKS:-}},
  "linux": {
    "cgroupsPath": "/nh/$2",
    "resources": {"cpu": {$res}},
    "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
  }
}
EOF
}

# runc or crun: create (createRuntime hooks run) then start (poststart hooks).
ctr_create() { # RUNTIME ID BUNDLE
	"$1" --root "/run/$1" create --no-pivot --bundle "$3" "$2" \
		>"$3/runtime.log" 2>&1 </dev/null
}

ctr_start() { # RUNTIME ID BUNDLE
	"$1" --root "/run/$1" start "$2" >>"$3/runtime.log" 2>&1 </dev/null
}

# Host pid of the container's init, from the runtime's state.
ctr_pid() { # RUNTIME ID
	"$1" --root "/run/$1" state "$2" 2>/dev/null | sed -n 's/^ *"pid": *\([0-9]*\),*$/\1/p'
}

ctr_cgroup() { echo "$NH_CG/$1"; }

# An admin config for the hook; every log line also goes to LOG.
hook_conf() { # PATH LOG [LEVEL]
	printf 'log-file = %s\nlog-level = %s\n' "$2" "${3:-info}" >"$1"
}

# Run the hook as a runtime does: empty environment, cwd the bundle, state on
# stdin.  stderr goes to ERR; returns the hook's exit status.
hook_run() { # STAGE BUNDLE STATE CONF ERR
	(cd "$2" && printf '%s' "$3" | env -i "$NH_HOOK" hook "$1" --config "$4" 2>"$5")
}

need_hook() {
	[ -x "$NH_HOOK" ] || fail "oci-numa-hook is not in the VM image (built without --hook)"
}

# JSON array body from words: json_args a b -> "a", "b"
json_args() {
	out=
	for a in "$@"; do
		out="$out${out:+, }\"$a\""
	done
	echo "$out"
}

# Create and start a container running nh-workload ARGS (plus --ready), and
# wait until it reports ready.  Uses C_CPUS, C_MEMS, C_ANNOT, C_HOOKS; with
# C_GO set the workload waits for /tmp/go before allocating, and this
# creates that file after `start` returned (poststart hooks have run).
# Sets BUNDLE, CPID (host pid of the container's init), CG (its cgroup).
container_up() { # RUNTIME ID WORKLOAD-ARGS...
	rt=$1
	id=$2
	shift 2
	bundle_new "$id"
	if [ -n "${C_GO:-}" ]; then
		set -- "$@" --wait /tmp/go
	fi
	config_write "$BUNDLE" "$id" "$(json_args /bin/nh-workload "$@" --ready /tmp/ready)"
	ctr_create "$rt" "$id" "$BUNDLE" || fail "$rt create $id failed: $(tail -n 3 "$BUNDLE/runtime.log")"
	CPID=$(ctr_pid "$rt" "$id")
	[ -n "$CPID" ] || fail "$id: no pid in '$rt state'"
	ctr_start "$rt" "$id" "$BUNDLE" || fail "$rt start $id failed: $(tail -n 3 "$BUNDLE/runtime.log")"
	# The container's /tmp is its own tmpfs: reach it through its root.
	CTMP=/proc/$CPID/root/tmp
	[ -z "${C_GO:-}" ] || touch "$CTMP/go"
	wait_file "$CTMP/ready" 90 || fail "$id: workload not ready: $(tail -n 3 "$BUNDLE/runtime.log")"
	CG=$(ctr_cgroup "$id")
	[ -d "$CG" ] || fail "$id: cgroup $CG missing (/proc/$CPID/cgroup: $(cat "/proc/$CPID/cgroup"))"
}

# Address range of a workload region (anon, thp, file) from the ready file
# of the last container_up.
region() { # NAME
	field "$1" "$(cat "$CTMP/ready")"
}

# Page totals of a container's cgroup tree (nh-pages "total" line, without "total").
cg_pages() { # CGROUP [nh-pages options]
	cg=$1
	shift
	nh-pages "$@" --cgroup "$cg" | sed -n 's/^total //p'
}

# The hook's summary line from a log.
summary_of() { grep -a ': info: summary ' "$1" | tail -n 1; }

# The hook's first error line from a log, else its last line.
hook_error() { grep -a -m1 ': error: ' "$1" || tail -n 1 "$1"; }
