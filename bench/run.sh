#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The benchmark suite (make bench; doc/benchmarks.md): the hook against its
# baselines, measured in the same run on the same workload.
#
#   run.sh --builddir DIR [--hook PATH] [--hook-static PATH]
#          [--only P1,P2,...] [--rounds N] [--runs N] [--kernels LIST]
#          [--podman-runs N] [--json FILE] [--extra FILE] [--append WORDS]
#
#   P1, P2  on this host: the hook (dynamic and static builds) without and
#           with an annotation against exec of an empty static program;
#           podman run --rm with the hook against without it
#   P3-P7   in the NUMA test VM (tests/vm; QEMU, 2 nodes, 2 vCPUs): one
#           256 MiB process, 32 processes, the workload's worst stall,
#           2000 processes / 20 000 threads, memcpy
#   P8      in the VM: the worst latency of "container starts" (cgroup
#           create, attach, remove every 20 ms) while 1 GiB moves from node
#           0 to 1: the kernel's cpuset.mems write, the hook's engines,
#           migratepages + the write; P8V1: the same on cgroup v1 (a second VM boot)
#   P3W     in a VM with 4 vCPUs (two per node): P3's move_pages engine
#           with 1, 2 and 4 workers (does it scale where it could?)
#   P8N     in the Debian 13 test bed (tests/distro: systemd, containerd
#           1.7.24 with NRI, kernel 6.12): a running container's 512 MiB
#           moved from node 0 to 1 by a CRI UpdateContainerResources of its
#           cpuset_mems, through the kernel's cpuset.mems write (no plugin)
#           and through the NRI plugin (widen, move, narrow); the worst
#           "container start" of P8's prober during each
#   P9      on this host: status --all over 200 containers (a process in a
#           cgroup and a runtime state directory each) against reading
#           their numa_maps with cat, and against status once per container
#
# The VM benchmarks run once per kernel of --kernels (default
# "bookworm,trixie": Debian 12's 6.1 and Debian 13's 6.12, in this run); the
# figures of 6.12 are named NAME_612.  P8V1 (cgroup v1) runs on 6.1 only:
# Debian 13's kernel has no cgroup v1 cpusets (CONFIG_CPUSETS_V1 unset).
#
# DIR is a configured build tree: it must hold oci-numa-hook and
# oci-numa-hook-static (make bench builds both; --hook, --hook-static name
# them elsewhere).  Prints a table per
# benchmark and one line "metric NAME VALUE UNIT" per figure, and writes
# every metric to FILE (default DIR/bench/results.json).  --extra FILE adds
# a shell file to the VM (more b_NAME functions or variant_extra, for
# investigations; a directory is merged into the VM's root instead, its
# nh/bench/vm-extra.sh sourced); --only then also takes their names.
# --append adds words to the VM kernel's command line (investigations).  Needs root (cgroups,
# podman); installs the packages of bench/packages and tests/vm/packages.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=
only=P1,P2,P3,P4,P5,P6,P7,P8,P8V1,P8N,P3W,P9
rounds=5
runs=2000
hook=
hook_static=
podman_runs=30
json=
extra=
append=
kernels=bookworm,trixie

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=${2:?}; shift 2 ;;
	--hook) hook=${2:?}; shift 2 ;;
	--hook-static) hook_static=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
	--rounds) rounds=${2:?}; shift 2 ;;
	--runs) runs=${2:?}; shift 2 ;;
	--podman-runs) podman_runs=${2:?}; shift 2 ;;
	--json) json=${2:?}; shift 2 ;;
	--extra) extra=${2:?}; shift 2 ;;
	--append) append=${2:?}; shift 2 ;;
	--kernels) kernels=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$builddir" ] || usage
builddir=$(cd "$builddir" && pwd)
out=$builddir/bench
mkdir -p "$out"
[ -n "$json" ] || json=$out/results.json
[ -n "$hook" ] || hook=$builddir/oci-numa-hook
[ -n "$hook_static" ] || hook_static=$builddir/oci-numa-hook-static
metrics=$out/metrics.txt
: >"$metrics"

die() { echo "bench: error: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }
want() { case ",${only^^}," in *",${1^^},"*) return 0 ;; esac; return 1; }

[ "$(id -u)" = 0 ] || die "needs root (cgroups, podman, the VM's cgroup tests)"
"$top/scripts/deps.sh" bench tests/vm >&2 || die "cannot install the packages of bench/packages and tests/vm/packages"
[ -x "$hook" ] || die "$hook is missing (make)"
[ -x "$hook_static" ] || die "$hook_static is missing (make oci-numa-hook-static)"
command -v gcc >/dev/null || die "gcc is missing"

# Every figure: printed, and kept for results.json.
metric() { # NAME VALUE UNIT
	echo "metric $1 $2 $3"
	echo "$1 $2 $3" >>"$metrics"
}

# ---------------------------------------------------------------- helpers
# nh-bench and the empty program, static (they also run in the VM).
build_tools() {
	local src
	for src in nh-bench nh-empty; do
		if [ ! -x "$out/$src" ] || [ "$here/$src.c" -nt "$out/$src" ]; then
			gcc -O2 -static -pthread -Wall -Wextra -Werror -o "$out/$src.tmp" "$here/$src.c" ||
				die "cannot compile $here/$src.c (static glibc: libc6-dev)"
			mv "$out/$src.tmp" "$out/$src"
		fi
	done
}

# A third build for P1/P2: yajl and libcgroup linked statically, only libc
# dynamic (from the build tree's objects; skipped when that link fails,
# e.g. in a sanitizer build).
hook_libc=$out/oci-numa-hook-libc
build_hook_libc() {
	if [ -f "$builddir/main.o" ] && [ -f "$builddir/libnumahook.a" ] &&
		gcc -o "$hook_libc.tmp" "$builddir/main.o" "$builddir/libnumahook.a" \
			-Wl,-Bstatic -lyajl_s -lcgroup -Wl,-Bdynamic -lpthread 2>/dev/null; then
		mv "$hook_libc.tmp" "$hook_libc"
	else
		rm -f "$hook_libc.tmp"
		hook_libc=
	fi
}

# How a binary is linked: "static" or "dynamic (N libraries)".
linkage() {
	local n
	n=$(ldd "$1" 2>/dev/null | grep -c '=> /' || true)
	if [ "$n" -gt 0 ]; then echo "dynamic, $n libraries: $(ldd "$1" | sed -n 's/^[[:space:]]*\([^ ]*\) => \/.*/\1/p' | tr '\n' ' ')"; else echo static; fi
}

T=$(mktemp -d /tmp/oci-numa-hook-bench.XXXXXX)
cleanup() {
	set +e
	[ -z "${sleeper:-}" ] || kill "$sleeper" 2>/dev/null
	[ -z "${cg_host:-}" ] || { sleep 0.2; find "$cg_host" -depth -type d -exec rmdir {} + 2>/dev/null; }
	[ -z "${p9_pids:-}" ] || kill $p9_pids 2>/dev/null
	[ -z "${cg_p9:-}" ] || { sleep 0.2; find "$cg_p9" -depth -type d -exec rmdir {} + 2>/dev/null; }
	if [ -n "${PODMAN_SANDBOX:-}" ]; then podman_sandbox_cleanup; fi
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A state as runc gives it for a Podman container, annotations included
# (none of them ours unless added).
state_json() { # PID EXTRA-ANNOTATIONS
	printf '{"ociVersion": "1.0.2", "id": "%s", "status": "created", "pid": %s, "bundle": "%s", "annotations": {"io.container.manager": "libpod", "io.podman.annotations.autoremove": "TRUE", "org.opencontainers.image.stopSignal": "15", "io.kubernetes.cri-o.Created": "2026-01-01T00:00:00Z", "io.kubernetes.container.name": "workload", "io.kubernetes.pod.name": "example", "io.kubernetes.pod.namespace": "default"%s}}' \
		"$cid" "$1" "$T" "$2"
}

# A field of an nh-bench spawn line: get VARIANT KEY FILE
get() { sed -n "s/^variant $1 .*[ ]$2=\([0-9.]*\).*/\1/p" "$3"; }
getr() { sed -n "s/^ratio $1\/[^ ]* \(.* \)\{0,1\}$2=\([0-9.]*\).*/\2/p" "$3"; }

spawn_metrics() { # PREFIX FILE BASE VARIANT...
	local p=$1 f=$2 base=$3 v
	shift 3
	metric "${p}_${base}_median_us" "$(get "$base" median_us "$f")" us
	metric "${p}_${base}_p95_us" "$(get "$base" p95_us "$f")" us
	for v in "$@"; do
		metric "${p}_${v}_median_us" "$(get "$v" median_us "$f")" us
		metric "${p}_${v}_p95_us" "$(get "$v" p95_us "$f")" us
		metric "${p}_${v}_cost_us" "$(awk -v a="$(get "$v" median_us "$f")" -v b="$(get "$base" median_us "$f")" 'BEGIN { print a - b }')" us
		metric "${p}_${v}_ratio_median" "$(getr "$v" median "$f")" x
		metric "${p}_${v}_ratio_p95" "$(getr "$v" p95 "$f")" x
		metric "${p}_${v}_ratio_block_min" "$(getr "$v" block_median_min "$f")" x
		metric "${p}_${v}_ratio_block_max" "$(getr "$v" block_median_max "$f")" x
	done
}

table_spawn() { # TITLE FILE
	echo
	echo "== $1"
	printf '%-14s %8s %10s %8s %8s %8s\n' variant runs median_us p95_us p99_us max_us
	sed -n 's/^variant \([^ ]*\) n=\([0-9]*\) .*median_us=\([0-9]*\) p95_us=\([0-9]*\) p99_us=\([0-9]*\) max_us=\([0-9]*\).*/\1 \2 \3 \4 \5 \6/p' "$2" |
		while read -r a b c d e f; do printf '%-14s %8s %10s %8s %8s %8s\n' "$a" "$b" "$c" "$d" "$e" "$f"; done
	sed -n 's/^ratio \([^ ]*\) median=\([0-9.]*\) p95=\([0-9.]*\) block_median_min=\([0-9.]*\) block_median_max=\([0-9.]*\)/\1 \2 \3 \4 \5/p' "$2" |
		while read -r a b c d e; do printf 'ratio %-22s median %s  p95 %s  (median per tenth of the runs: %s-%s)\n' "$a" "$b" "$c" "$d" "$e"; done
}

# ---------------------------------------------------------------- P1, P2
cid=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

bench_p1() {
	state_json 1 "" >"$T/noann.json"
	: >"$T/empty.conf"
	log "P1: $runs runs of each, interleaved"
	"$out/nh-bench" spawn --runs "$runs" --warmup 50 --stdin "$T/noann.json" -- \
		empty "$out/nh-empty" :: \
		hook "$hook" hook createRuntime --config "$T/empty.conf" :: \
		hook_static "$hook_static" hook createRuntime --config "$T/empty.conf" \
		${hook_libc:+:: hook_libc "$hook_libc" hook createRuntime --config "$T/empty.conf"} >"$T/p1.txt"
	table_spawn "P1 no annotation: hook vs exec of an empty static program (target ratio <= 1.3)" "$T/p1.txt"
	linkages
	spawn_metrics p1 "$T/p1.txt" empty hook hook_static ${hook_libc:+hook_libc}
}

linkages() {
	echo "empty:       $(linkage "$out/nh-empty")"
	echo "hook:        $(linkage "$hook")"
	echo "hook_static: $(linkage "$hook_static")"
	[ -z "$hook_libc" ] || echo "hook_libc:   $(linkage "$hook_libc")"
}

# A process in a cgroup of its own, named after the container id as
# runtimes do (cgroup v1 cpuset hierarchy, or v2).
host_container() {
	local root
	if [ -d /sys/fs/cgroup/cpuset ] && [ "$(stat -fc %T /sys/fs/cgroup/cpuset)" != cgroup2fs ]; then
		root=/sys/fs/cgroup/cpuset
	else
		root=/sys/fs/cgroup
	fi
	cg_host=$root/oci-numa-hook-bench-$$
	mkdir -p "$cg_host/$cid"
	if [ "$root" = /sys/fs/cgroup/cpuset ]; then
		cat "$root/cpuset.cpus" >"$cg_host/cpuset.cpus"
		cat "$root/cpuset.mems" >"$cg_host/cpuset.mems"
		cat "$root/cpuset.cpus" >"$cg_host/$cid/cpuset.cpus"
		cat "$root/cpuset.mems" >"$cg_host/$cid/cpuset.mems"
	else
		echo +cpuset >"$cg_host/cgroup.subtree_control" 2>/dev/null || true
	fi
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 3600' sh "$cg_host/$cid" &
	sleeper=$!
	sleep 0.2
}

bench_p2_hook() {
	local node
	host_container
	node=$(sed 's/[-,].*//' /sys/devices/system/node/has_memory 2>/dev/null || echo 0)
	state_json "$sleeper" ", \"oci-numa-hook/nodes\": \"$node\"" >"$T/ann.json"
	printf 'log-level = info\n' >"$T/ann.conf"
	"$hook" hook createRuntime --config "$T/ann.conf" <"$T/ann.json" 2>"$T/ann.err" ||
		die "P2: the annotated hook fails on this host: $(cat "$T/ann.err")"
	log "P2: $((runs / 2)) runs of each, interleaved (annotation nodes=$node)"
	"$out/nh-bench" spawn --runs $((runs / 2)) --warmup 20 --stdin "$T/ann.json" -- \
		empty "$out/nh-empty" :: \
		hook "$hook" hook createRuntime --config "$T/ann.conf" :: \
		hook_static "$hook_static" hook createRuntime --config "$T/ann.conf" \
		${hook_libc:+:: hook_libc "$hook_libc" hook createRuntime --config "$T/ann.conf"} >"$T/p2.txt"
	table_spawn "P2 annotated, nothing to move (nodes=$node; $(tr -d '\n' </sys/devices/system/node/online) online): hook vs empty program (target <= 3)" "$T/p2.txt"
	echo "summary line of one run: $(grep -a 'summary' "$T/ann.err" | sed 's/.*summary //')"
	spawn_metrics p2 "$T/p2.txt" empty hook hook_static ${hook_libc:+hook_libc}
}

# podman run --rm with the hook (hooks.d, annotated) against without it
# (no hooks directory, no annotation), interleaved.
bench_p2_podman() {
	local i who t0 t1 hooks=$T/hooks.d conf=$T/podman-hook.conf stage med_empty
	# shellcheck source=../tests/lib/podman.sh
	. "$top/tests/lib/podman.sh"
	command -v podman >/dev/null || { log "P2 podman: podman is not installed; skipped"; return 0; }
	podman_sandbox "$T/sandbox"
	busybox_rootfs "$T/rootfs" >/dev/null
	mkdir -p "$hooks"
	printf 'log-level = info\nlog-file = %s\n' "$T/podman-hook.log" >"$conf"
	# The same hooks.d files with the empty program in place of the hook:
	# what the runtime's hook machinery costs by itself.
	mkdir -p "$hooks-empty"
	for stage in createRuntime poststart; do
		sed -e "s|@HOOK_PATH@|$hook|g" -e "s|@STAGE@|$stage|g" "$top/contrib/hooks.d/oci-numa-hook.json.in" |
			sed "s|\"hook\", \"$stage\"\]|\"hook\", \"$stage\", \"--config\", \"$conf\"]|" >"$hooks/oci-numa-hook-$stage.json"
		sed "s|\"path\": \"$hook\"|\"path\": \"$out/nh-empty\"|" "$hooks/oci-numa-hook-$stage.json" >"$hooks-empty/oci-numa-hook-$stage.json"
	done
	grep -q -- --config "$hooks/oci-numa-hook-poststart.json" || die "P2: cannot add --config to the hooks.d files"
	grep -q -- nh-empty "$hooks-empty/oci-numa-hook-poststart.json" || die "P2: cannot point the hooks.d files at the empty program"
	run_podman() { # with|empty_hook|without
		case $1 in
		with | empty_hook)
			podman run --rm --network=none --hooks-dir "$hooks$([ "$1" = with ] || echo -empty)" \
				--annotation oci-numa-hook/nodes=0 --rootfs "$T/rootfs" true >/dev/null 2>>"$T/podman.err" ;;
		*) podman run --rm --network=none --rootfs "$T/rootfs" true >/dev/null 2>>"$T/podman.err" ;;
		esac
	}
	for who in with empty_hook without; do
		run_podman "$who" || die "P2 podman: podman run ($who) failed: $(tail -n 3 "$T/podman.err")"
	done
	: >"$T/podman-hook.log"
	log "P2 podman: $podman_runs runs of each, interleaved"
	: >"$T/p2-with" && : >"$T/p2-without" && : >"$T/p2-empty_hook"
	for ((i = 0; i < podman_runs; i++)); do
		for who in $(case $((i % 3)) in 0) echo with empty_hook without ;; 1) echo empty_hook without with ;; *) echo without with empty_hook ;; esac); do
			t0=$(date +%s%N)
			run_podman "$who" || die "P2 podman: run $i ($who) failed: $(tail -n 3 "$T/podman.err")"
			t1=$(date +%s%N)
			echo $(((t1 - t0) / 1000)) >>"$T/p2-$who"
		done
	done
	local fired
	fired=$(grep -c ': info: summary ' "$T/podman-hook.log" || true)
	[ "$fired" -ge $((podman_runs * 2)) ] || die "P2 podman: the hook logged $fired summaries for $podman_runs annotated runs (expected 2 each)"
	echo
	echo "== P2 podman run --rm (busybox rootfs, vfs, cgroupfs, runc, no network): with the hook vs without (target <= 1.02)"
	echo "   (empty_hook: the same hooks.d files running the empty program: the runtime's own cost of two hooks)"
	printf '%-10s %6s %10s %10s %10s %10s\n' variant runs median_ms p95_ms min_ms max_ms
	for who in without empty_hook with; do
		sort -n "$T/p2-$who" | awk -v w="$who" '{ v[NR] = $1 } END {
			printf "%-10s %6d %10.1f %10.1f %10.1f %10.1f\n", w, NR, v[int((NR + 1) / 2)] / 1000,
				v[int(NR * 0.95 + 0.999)] / 1000, v[1] / 1000, v[NR] / 1000 }'
	done
	local med_with med_without p95_with p95_without
	med_with=$(sort -n "$T/p2-with" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	med_without=$(sort -n "$T/p2-without" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	p95_with=$(sort -n "$T/p2-with" | awk '{ v[NR] = $1 } END { print v[int(NR * 0.95 + 0.999)] }')
	p95_without=$(sort -n "$T/p2-without" | awk '{ v[NR] = $1 } END { print v[int(NR * 0.95 + 0.999)] }')
	echo "hook runs logged: $fired (2 stages x $podman_runs containers)"
	metric p2_podman_without_median_ms "$(awk -v a="$med_without" 'BEGIN { printf "%.1f", a / 1000 }')" ms
	metric p2_podman_with_median_ms "$(awk -v a="$med_with" 'BEGIN { printf "%.1f", a / 1000 }')" ms
	metric p2_podman_ratio_median "$(awk -v a="$med_with" -v b="$med_without" 'BEGIN { printf "%.3f", a / b }')" x
	metric p2_podman_ratio_p95 "$(awk -v a="$p95_with" -v b="$p95_without" 'BEGIN { printf "%.3f", a / b }')" x
	metric p2_podman_cost_ms "$(awk -v a="$med_with" -v b="$med_without" 'BEGIN { printf "%.1f", (a - b) / 1000 }')" ms
	med_empty=$(sort -n "$T/p2-empty_hook" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	metric p2_podman_empty_hook_median_ms "$(awk -v a="$med_empty" 'BEGIN { printf "%.1f", a / 1000 }')" ms
	metric p2_podman_empty_hook_ratio_median "$(awk -v a="$med_empty" -v b="$med_without" 'BEGIN { printf "%.3f", a / b }')" x
	metric p2_podman_with_vs_empty_hook_ratio_median "$(awk -v a="$med_with" -v b="$med_empty" 'BEGIN { printf "%.3f", a / b }')" x
}

# ---------------------------------------------------------------- P3-P7 (VM)
vm_benchmarks() {
	local names=() k suffix
	want P3 && names+=(p3)
	want P7 && { want P3 || names+=(p3); names+=(p7 p7thp); }
	want P4 && names+=(p4)
	want P5 && names+=(p5)
	want P6 && names+=(p6)
	want P8 && names+=(p8)
	local x
	for x in ${only//,/ }; do
		case ${x^^} in P[1-9] | P8V1 | P8N | P3W) ;; *) names+=("$x") ;; esac
	done
	for k in ${kernels//,/ }; do
		case $k in
		bookworm) suffix= ;;
		trixie) suffix=_612 ;;
		*) die "--kernels: $k is not bookworm or trixie" ;;
		esac
		[ ${#names[@]} -eq 0 ] || vm_run "$k" "$suffix" "" "${names[@]}"
		# P8 again on cgroup v1 (memory_migrate=1), in a VM booted with it.
		if want P8V1 && [ "$k" = bookworm ]; then vm_run "$k" "${suffix}_v1" nh.cgroup=v1 p8; fi
		# move_pages workers 1, 2, 4 where they could scale: 4 vCPUs.
		if want P3W; then VM_CPUS=4 vm_run "$k" "$suffix" "" p3w; fi
	done
}

# One boot of the bench VM with Debian KERNEL's kernel (bookworm, trixie)
# running the named b_NAME functions; their metrics get SUFFIX; APPEND goes
# to the kernel command line.
vm_run() { # KERNEL SUFFIX APPEND NAME...
	local suite=$1 suffix=$2 vm_append=$3 kernel initramfs key value overlay log qpid start
	shift 3
	local names=("$@")
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 not found (tests/vm/packages: qemu-system-x86 --no-install-recommends)"
	while IFS='=' read -r key value; do
		case $key in
		kernel) kernel=$value ;;
		initramfs) initramfs=$value ;;
		esac
	done < <("$top/tests/vm/build.sh" --cache "$builddir/tests/vm/cache" --kernel "$suite" --hook "$hook")
	if [ ! -s "${kernel:-}" ] || [ ! -s "${initramfs:-}" ]; then die "tests/vm/build.sh made no kernel/initramfs"; fi
	# The test bed's initramfs plus the bench files (a second cpio archive:
	# the kernel unpacks both).
	overlay=$T/overlay
	mkdir -p "$overlay/nh/bench"
	cp "$out/nh-bench" "$overlay/nh/bench/"
	install -m 0755 "$here/vm-init.sh" "$overlay/nh/bench/init"
	cp "$here/vm-bench.sh" "$overlay/nh/bench/"
	if [ -d "$extra" ]; then
		cp -a "$extra/." "$overlay/"
	elif [ -n "$extra" ]; then
		cp "$extra" "$overlay/nh/bench/vm-extra.sh"
	fi
	(cd "$overlay" && find . -print0 | cpio --null --create --format=newc --quiet) | gzip -1 >"$T/overlay.gz"
	cat "$initramfs" "$T/overlay.gz" >"$T/initramfs.gz"
	log=$out/vm$suffix.log
	local list
	list=$(IFS=,; echo "${names[*]}")
	log "VM: ${list} (console log: $log)"
	# 2 nodes x 1.5 GiB, one vCPU each: P4 needs 512 MiB free on node 0
	# and P6's 20 000 threads about 700 MiB of kernel memory.
	# With VM_CPUS=4 (P3W) each node has two vCPUs.
	local c0=0 c1=1
	[ "${VM_CPUS:-2}" = 4 ] && c0=0-1 c1=2-3
	qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp "${VM_CPUS:-2}" -m 3072M \
		-object memory-backend-ram,id=m0,size=1536M -numa "node,nodeid=0,cpus=$c0,memdev=m0" \
		-object memory-backend-ram,id=m1,size=1536M -numa "node,nodeid=1,cpus=$c1,memdev=m1" \
		-nodefaults -display none -serial stdio -monitor none -no-reboot -net none \
		-kernel "$kernel" -initrd "$T/initramfs.gz" \
		-append "console=ttyS0 panic=-1 loglevel=3 numa_balancing=disable rdinit=/nh/bench/init nh.bench=$list nh.rounds=$rounds nh.timeout=900${vm_append:+ $vm_append}${append:+ $append}" \
		</dev/null >"$log" 2>&1 &
	qpid=$!
	start=$SECONDS
	local shown=0 total
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		total=$(wc -l <"$log")
		tail -n "+$((shown + 1))" "$log" | head -n "$((total - shown))" | tr -d '\r' |
			grep -aE '^(# |bench: |nh-bench: )' >&2 || true
		shown=$total
		if grep -qa 'Kernel panic' "$log" || [ $((SECONDS - start)) -gt 3000 ]; then
			kill "$qpid" 2>/dev/null || true
			break
		fi
	done
	wait "$qpid" 2>/dev/null || true
	tail -n "+$((shown + 1))" "$log" | tr -d '\r' | grep -aE '^(# |bench: |nh-bench: )' >&2 || true
	tr -d '\r' <"$log" | grep -a '^metric ' | while read -r _ name value unit; do metric "$name$suffix" "$value" "$unit"; done
	tr -d '\r' <"$log" | grep -q '^nh-bench: done' ||
		die "the VM did not finish: $(tr -d '\r' <"$log" | grep -v '^$' | tail -n 1) (console log: $log)"
	if tr -d '\r' <"$log" | grep -a '^bench: .* FAILED'; then
		die "a VM benchmark failed (console log: $log)"
	fi
	topology="${topology:+$topology; }$(tr -d '\r' <"$log" | sed -n 's/^nh-bench: //p' | head -n 1)"
}

# ---------------------------------------------------------------- P9
# status --all over N containers: each a sleeping process in its own cgroup
# (named after its id, as runtimes do) with a runc-style state directory
# and bundle config.json (half of them annotated). Baselines in the same
# run: cat of every container's numa_maps (the data status --all must read
# at least) and status run once per container (what an operator would do
# without --all).
p9_containers=200
p9_ms() { # COMMAND...: wall time in ms
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
bench_p9() {
	local root i id pid state=$T/p9/state n=$p9_containers all=() floor=() loop=() r
	if [ -d /sys/fs/cgroup/cpuset ] && [ "$(stat -fc %T /sys/fs/cgroup/cpuset)" != cgroup2fs ]; then
		root=/sys/fs/cgroup/cpuset
	else
		root=/sys/fs/cgroup
	fi
	cg_p9=$root/oci-numa-hook-bench-p9-$$
	mkdir -p "$cg_p9" "$state"
	if [ "$root" = /sys/fs/cgroup/cpuset ]; then
		cat "$root/cpuset.cpus" >"$cg_p9/cpuset.cpus"
		cat "$root/cpuset.mems" >"$cg_p9/cpuset.mems"
	else
		echo "+cpuset +memory" >"$cg_p9/cgroup.subtree_control" 2>/dev/null || true
	fi
	log "P9: starting $n containers"
	p9_pids=
	for ((i = 0; i < n; i++)); do
		id=$(printf 'p9c%04d%08x' "$i" "$RANDOM")
		mkdir -p "$cg_p9/$id" "$state/$id" "$T/p9/bundles/$id"
		if [ "$root" = /sys/fs/cgroup/cpuset ]; then
			cat "$root/cpuset.cpus" >"$cg_p9/$id/cpuset.cpus"
			cat "$root/cpuset.mems" >"$cg_p9/$id/cpuset.mems"
		fi
		sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 3600' sh "$cg_p9/$id" &
		pid=$!
		p9_pids="$p9_pids $pid"
		printf '{"id":"%s","init_process_pid":%s,"config":{"labels":["bundle=%s"]}}' \
			"$id" "$pid" "$T/p9/bundles/$id" >"$state/$id/state.json"
		if ((i % 2)); then
			printf '{"annotations":{"oci-numa-hook/nodes":"0","io.kubernetes.cri.sandbox-namespace":"bench","io.kubernetes.cri.sandbox-name":"pod%s","io.kubernetes.cri.container-name":"c"}}' "$i"
		else
			printf '{"annotations":{}}'
		fi >"$T/p9/bundles/$id/config.json"
	done
	sleep 1
	r=$("$hook" status --all --root "$state" --json | grep -o '"id":"p9c' | wc -l)
	[ "$r" = "$n" ] || die "P9: status --all listed $r of $n containers"
	# shellcheck disable=SC2086 # one word per pid
	maps=$(for pid in $p9_pids; do printf '/proc/%s/numa_maps ' "$pid"; done)
	log "P9: $rounds rounds of status --all and of cat, 1 of status per container"
	for ((r = 0; r < rounds; r++)); do
		all+=("$(p9_ms "$hook" status --all --root "$state" --json)")
		# shellcheck disable=SC2086
		floor+=("$(p9_ms cat $maps)")
	done
	p9_loop() { local d; for d in "$state"/*; do "$hook" status "$(basename "$d")" --root "$state" >/dev/null 2>&1; done; }
	loop+=("$(p9_ms p9_loop)")
	local a f l
	a=$(printf '%s\n' "${all[@]}" | median)
	f=$(printf '%s\n' "${floor[@]}" | median)
	l=$(printf '%s\n' "${loop[@]}" | median)
	echo
	echo "== P9 status --all, $n containers (rounds: ${all[*]} ms; cat of their numa_maps: ${floor[*]} ms; status per container: ${loop[*]} ms)"
	metric p9_all_ms "$a" ms
	metric p9_cat_numa_maps_ms "$f" ms
	metric p9_status_each_ms "$l" ms
	metric p9_ratio_cat "$(awk -v a="$a" -v b="$f" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" x
	metric p9_ratio_each "$(awk -v a="$a" -v b="$l" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')" x
	# shellcheck disable=SC2086
	kill $p9_pids 2>/dev/null
	wait $p9_pids 2>/dev/null
	p9_pids=
}

# P8N: the test bed's nri-update-kernel and nri-update tests, whose notes
# carry the prober's figures: "worst start: idle I ms, during the update W
# ms".  The image is built (or reused) as `make check-distro` does.
bench_p8n() {
	local cache=$builddir/tests/distro/cache log=$out/distro-p8n.log t idle win
	log "P8N: Debian 13 test bed (console log: $log)"
	"$top/scripts/deps.sh" tests/distro >&2 || { log "P8N: cannot install tests/distro/packages"; return 0; }
	bash "$top/tests/distro/build.sh" --cache "$cache" --builddir "$builddir" >"$log" 2>&1 ||
		{ log "P8N: building the test bed failed (see $log)"; return 0; }
	bash "$top/tests/distro/run.sh" --cache "$cache" --only nri-update-kernel,nri-update >>"$log" 2>&1
	for t in nri-update-kernel nri-update; do
		idle=$(sed -n "s|^# distro/$t: worst start: idle \([0-9]*\) ms, during the update \([0-9]*\) ms.*|\1|p" "$log" | tail -n 1)
		win=$(sed -n "s|^# distro/$t: worst start: idle \([0-9]*\) ms, during the update \([0-9]*\) ms.*|\2|p" "$log" | tail -n 1)
		[ -n "$win" ] || { log "P8N: no prober figures from $t (see $log)"; continue; }
		metric "p8n_${t//-/_}_idle_max" "$idle" ms
		metric "p8n_${t//-/_}_start_max" "$win" ms
	done
	grep -a '^\(PASS\|FAIL\|SKIP\): distro/nri-update' "$log" | sed 's/^/bench: P8N /' >&2
	idle=$(sed -n 's/^metric p8n_nri_update_kernel_start_max \([0-9.]*\).*/\1/p' "$metrics")
	win=$(sed -n 's/^metric p8n_nri_update_start_max \([0-9.]*\).*/\1/p' "$metrics")
	[ -n "$idle" ] && [ -n "$win" ] &&
		metric p8n_plugin_ratio "$(awk -v a="$win" -v b="$idle" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')" x
	return 0
}

# ---------------------------------------------------------------- main
build_tools
build_hook_libc
topology=
want P1 && bench_p1
want P2 && { bench_p2_hook; bench_p2_podman; }
want P9 && bench_p9
vm_benchmarks
want P8N && bench_p8n
echo
echo "== all figures"
cat "$metrics"

# The figures against the targets of issue 5 (only those measured).
summary() {
	awk '
	{ v[$1] = $2 }
	function verdict(x, op, target,   ok) {
		ok = (op == "<=") ? (x <= target) : (x >= target)
		return ok ? "met" : (op == "<=" && x > 2 * target) ? sprintf("%.1fx", x / target) : sprintf("%+.0f%%", op == "<=" ? (x / target - 1) * 100 : (x / target - 1) * 100)
	}
	function cell(name) { return (name in v && v[name] != "") ? sprintf("%8.3f", v[name] + 0) : sprintf("%8s", "-") }
	# A host figure: one value.
	function row(what, name, op, target) {
		if (!(name in v) || v[name] == "") return
		printf "%-58s %8.3f %8s  %s %-5s %s\n", what, v[name] + 0, "", op, target, verdict(v[name] + 0, op, target)
	}
	# A VM figure: on 6.1 (NAME) and 6.12 (NAME_612), side by side.
	function vrow(what, name, op, target,   a, b) {
		a = (name in v && v[name] != ""); b = ((name "_612") in v && v[name "_612"] != "")
		if (!a && !b) return
		printf "%-58s %s %s  %s %-5s %s / %s\n", what, cell(name), cell(name "_612"), op, target,
			a ? verdict(v[name] + 0, op, target) : "-", b ? verdict(v[name "_612"] + 0, op, target) : "-"
	}
	# The time per process at 2000 over that at 250 (1: linear), as NAME.
	function growth(what, prefix, name,   k, sfx) {
		for (k = 0; k < 2; k++) {
			sfx = k ? "_612" : ""
			if (((prefix "_250" sfx) in v) && ((prefix "_2000" sfx) in v))
				v[name sfx] = v[prefix "_2000" sfx] / v[prefix "_250" sfx]
		}
		vrow(what, name, "<=", 1.2)
	}
	END {
		printf "%-58s %8s %8s  %s\n", "figure", "6.1", "6.12", "target (6.1 / 6.12)"
		row("P1 no annotation / empty program, median (dynamic)", "p1_hook_ratio_median", "<=", 1.3)
		row("P1 no annotation / empty program, p95 (dynamic)", "p1_hook_ratio_p95", "<=", 1.3)
		row("P1 no annotation / empty program, median (static)", "p1_hook_static_ratio_median", "<=", 1.3)
		row("P1 no annotation / empty program, p95 (static)", "p1_hook_static_ratio_p95", "<=", 1.3)
		row("P1 ... median (yajl+libcgroup static, libc dynamic)", "p1_hook_libc_ratio_median", "<=", 1.3)
		row("P2 annotated, nothing to move / empty (dynamic)", "p2_hook_ratio_median", "<=", 3)
		row("P2 annotated, nothing to move / empty (static)", "p2_hook_static_ratio_median", "<=", 3)
		row("P2 podman run --rm with hook / without, median", "p2_podman_ratio_median", "<=", 1.02)
		vrow("P3 migrate_pages engine / migratepages", "p3_migrate_pages_ratio", "<=", 1.05)
		vrow("P3 move_pages engine (ranges) / migratepages", "p3_move_pages_ratio", "<=", 0.7)
		vrow("P3W (4 vCPUs) move_pages, 2 workers / 1 worker", "p3w_w2_ratio", "<=", 0.7)
		vrow("P3W (4 vCPUs) move_pages, 4 workers / 1 worker", "p3w_w4_ratio", "<=", 0.7)
		vrow("P3W (4 vCPUs) move_pages, 1 worker / migratepages", "p3w_move_pages_ratio", "<=", 0.7)
		vrow("P4 hook (32 x 16 MiB) / migratepages loop", "p4_ratio", "<=", 0.6)
		vrow("P5 worst stall move_pages / migrate_pages", "p5_stall_ratio", "<=", 0.1)
		vrow("P5 total time move_pages / migrate_pages", "p5_total_ratio", "<=", 1.5)
		vrow("P5 batch-time-ms 50: worst stall / migrate_pages", "p5_stall_ratio_b50", "<=", 0.1)
		vrow("P5 batch-time-ms 50: total / migrate_pages", "p5_total_ratio_b50", "<=", 1.5)
		growth("P6 time per process at 2000 / at 250 (linear ~1)", "p6_us_per_process", "p6_linearity")
		growth("P6 (reference) the same for a migratepages loop", "p6_loop_us_per_process", "p6_loop_linearity")
		growth("P6 (reference) the same, hook with nothing to move", "p6_idle_us_per_process", "p6_idle_linearity")
		vrow("P6 hook / migratepages loop at 2000 processes", "p6_ratio_loop_2000", "<=", 1)
		for (k in v) {
			if (k ~ /^p6_rss_[0-9]+$/ && v[k] + 0 > v["p6_rss_max_mib"] * 1024) v["p6_rss_max_mib"] = v[k] / 1024
			if (k ~ /^p6_rss_[0-9]+_612$/ && v[k] + 0 > v["p6_rss_max_mib_612"] * 1024) v["p6_rss_max_mib_612"] = v[k] / 1024
		}
		if (v["p6_rss_max_mib"] + 0 == 0) delete v["p6_rss_max_mib"]
		if (v["p6_rss_max_mib_612"] + 0 == 0) delete v["p6_rss_max_mib_612"]
		vrow("P6 hook peak RSS, MiB (largest step)", "p6_rss_max_mib", "<=", 8)
		vrow("P7 migrate_pages engine throughput / memcpy", "p7_migrate_pages_ratio", ">=", 0.5)
		vrow("P7 move_pages engine throughput / memcpy", "p7_move_pages_ratio", ">=", 0.5)
		vrow("P7 (reference) migratepages throughput / memcpy", "p7_migratepages_ratio", ">=", 0.5)
		vrow("P7 THP: migrate_pages engine throughput / memcpy", "p7_thp_migrate_pages_ratio", ">=", 0.5)
		vrow("P7 THP: move_pages engine throughput / memcpy", "p7_thp_move_pages_ratio", ">=", 0.5)
		vrow("P7 THP (reference) migratepages / memcpy", "p7_thp_migratepages_ratio", ">=", 0.5)
		vrow("P8 worst start: hook (migrate_pages) / kernel write", "p8_migrate_pages_ratio", "<=", 0.05)
		vrow("P8 worst start: hook (move_pages) / kernel write", "p8_move_pages_ratio", "<=", 0.05)
		vrow("P8 (reference) migratepages + write / kernel write", "p8_migratepages_ratio", "<=", 0.05)
		vrow("P8 cgroup v1: hook (migrate_pages) / kernel write", "p8_migrate_pages_ratio_v1", "<=", 0.05)
		vrow("P8 cgroup v1: hook (move_pages) / kernel write", "p8_move_pages_ratio_v1", "<=", 0.05)
		row("P8N CRI update 0->1, 512 MiB (6.12): NRI plugin / kernel", "p8n_plugin_ratio", "<=", 0.05)
		row("P9 status --all / cat of the numa_maps (200)", "p9_ratio_cat", "<=", 2)
		row("P9 status --all / status per container (200)", "p9_ratio_each", "<=", 0.1)
	}' "$metrics"
}
echo
echo "== against the targets"
summary | tee "$out/summary.txt"
write_json() {
	local first=1 name value unit
	{
		echo "{"
		echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
		echo "  \"host\": \"$(nproc) CPUs, $(uname -r)\","
		echo "  \"vm\": \"${topology:-not run}\","
		echo "  \"metrics\": {"
		while read -r name value unit; do
			[ "$first" = 1 ] || echo ","
			first=0
			case $value in
			'' | *[!0-9.-]* | nan) value="null" ;;
			esac
			printf '    "%s": {"value": %s, "unit": "%s"}' "$name" "$value" "$unit"
		done <"$metrics"
		echo
		echo "  }"
		echo "}"
	} >"$json"
}
write_json
log "results: $json"
