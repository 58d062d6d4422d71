#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Boot the NUMA test VM (qemu-system-x86_64 under TCG) once per topology,
# run the tests of that group inside it and collect their result lines.
#
#   run.sh --cache DIR [--kernel bookworm|trixie] [--hook PATH]
#          [--hook-static PATH | --no-hook-static WHY]
#          [--logs DIR] [--only NAME[,NAME]] [GROUP...]
#   run.sh --cache DIR [--kernel bookworm|trixie] [--hook PATH] --demo
#
# --kernel: boot Debian 12's cloud kernel (bookworm, 6.1; the default) or
# Debian 13's (trixie, 6.12).  With trixie the tests are named vm612/NAME
# (vm + the kernel's major and minor version) and the console logs go to
# CACHE/logs-trixie.
#
# --hook-static PATH: the fully static hook (make oci-numa-hook-static) for
# the static-hook test; without it that test is skipped (--no-hook-static
# says why in the SKIP line).
#
# Groups (default: all):
#   two   2 nodes x 512 MiB, one CPU each
#   four  4 nodes x 512 MiB: nodes 0-2 one CPU each, node 3 memory-only
#   v1    like two, with cgroup v1 hierarchies instead of cgroup v2
#   v1-four  like four, with cgroup v1 hierarchies
#   faults 2 nodes x 1 GiB with one CPU each, node 2 memory-only (a 256 MiB
#         pc-dimm, offline at boot): faults (vm-faults.sh)
#   load  like faults: NH_VM_LOAD (50) runc containers started at once, with
#         a time limit of NH_VM_LOAD_TIMEOUT (900) s
#   perf  (not run by default) the hook against migratepages, like two
# Prints "PASS: vm/NAME", "FAIL: vm/NAME — why" or "SKIP: vm/NAME — why" per
# test, measurement lines starting with '#', and a closing
# "vm: N passed, N failed, N skipped" (vm612 instead of vm with --kernel
# trixie).  A VM that hangs, panics or reports fewer results than it was
# given tests fails every missing test by name.
# Exit status: 0 if nothing failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/console.sh
. "$here/../lib/console.sh"
cache=
hook=
hook_static=
no_static_why=
logs=
only=
demo=0
suite=bookworm
groups=()
test_limit=${NH_VM_TEST_TIMEOUT:-150}   # seconds per test inside the VM

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=${2:?}; shift 2 ;;
	--kernel) suite=${2:?}; shift 2 ;;
	--hook) hook=${2:?}; shift 2 ;;
	--hook-static) hook_static=${2:?}; shift 2 ;;
	--no-hook-static) no_static_why=${2:?}; shift 2 ;;
	--logs) logs=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
	--demo) demo=1; shift ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) groups+=("$1"); shift ;;
	esac
done
[ -n "$cache" ] || usage
case $suite in bookworm | trixie) ;; *) usage ;; esac
if [ -z "$logs" ]; then
	logs=$cache/logs
	[ "$suite" = bookworm ] || logs=$cache/logs-$suite
fi
mkdir -p "$logs"

command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	{ echo "run.sh: qemu-system-x86_64 not found: apt-get install --no-install-recommends qemu-system-x86" >&2; exit 1; }

kernel=
initramfs=
kernel_package=
while IFS='=' read -r key value; do
	case $key in
	kernel) kernel=$value ;;
	initramfs) initramfs=$value ;;
	kernel-package) kernel_package=$value ;;
	esac
done < <("$here/build.sh" --cache "$cache" --kernel "$suite" ${hook:+--hook "$hook"} ${hook_static:+--hook-static "$hook_static"} \
	${no_static_why:+--no-hook-static "$no_static_why"})
if [ ! -s "$kernel" ] || [ ! -s "$initramfs" ]; then
	echo "run.sh: build.sh produced no kernel/initramfs" >&2
	exit 1
fi
# Test names: vm/NAME on the default kernel, vm612/NAME on 6.12 (the VM
# itself always prints vm/NAME; renamed here).
tag=vm
if [ "$suite" != bookworm ]; then
	tag=$(echo "$kernel_package" | sed -n 's/^linux-image-\([0-9]*\)\.\([0-9]*\)[.-].*/vm\1\2/p')
	[ -n "$tag" ] || tag=vm-$suite
fi

# Tests per group, in the order they run.  Names map to t_NAME in vm-tests.sh
# (vm-faults.sh, vm-static.sh).
group_tests() {
	case $1 in
	two) echo "migratepages runc-start runc-migrate thp-file thp-file-move-pages crun-start fail-safe v2-write-order move-pages-engine time-budget cli-status-migrate restricted-caller static-hook" ;;
	four) echo "from-to-relative from-to-relative-move-pages from-subset from-set memory-only auto" ;;
	v1) echo "v1-start v1-migrate v1-write-order" ;;
	v1-four) echo "v1-from-set" ;;
	faults) echo "target-exits all-exit cgroup-removed no-sys-nice node-offline hook-sigkill" ;;
	load) echo "runc-load" ;;
	perf) echo "perf-compare" ;;  # not run by default: measurements only
	*) return 1 ;;
	esac
}

# Kernel command line words of a group besides the test list.
group_append() {
	case $1 in
	v1 | v1-four) echo "nh.cgroup=v1" ;;
	load) echo "nh.load=${NH_VM_LOAD:-50}" ;; # containers started at once by runc-load
	esac
}

# qemu arguments for a topology: CPUs, memory and NUMA nodes.
topology() {
	local n node_args=() cpus nodes
	case $1 in
	two | v1 | perf)
		cpus=2 nodes=2
		for n in 0 1; do
			node_args+=(-object "memory-backend-ram,id=m$n,size=512M" -numa "node,nodeid=$n,cpus=$n,memdev=m$n")
		done
		;;
	four | v1-four)
		cpus=3 nodes=4
		for n in 0 1 2; do
			node_args+=(-object "memory-backend-ram,id=m$n,size=512M" -numa "node,nodeid=$n,cpus=$n,memdev=m$n")
		done
		node_args+=(-object "memory-backend-ram,id=m3,size=512M" -numa "node,nodeid=3,memdev=m3")
		;;
	faults | load)
		# Room for 50 containers at once; node 2's memory is a pc-dimm,
		# which the kernel leaves offline (and can take offline again).
		for n in 0 1; do
			node_args+=(-object "memory-backend-ram,id=m$n,size=1G" -numa "node,nodeid=$n,cpus=$n,memdev=m$n")
		done
		node_args+=(-numa "node,nodeid=2" -object "memory-backend-ram,id=d2,size=256M"
			-device "pc-dimm,id=dimm2,memdev=d2,node=2")
		echo -smp 2 -m 2G,slots=2,maxmem=4G "${node_args[@]}"
		return
		;;
	*) return 1 ;;
	esac
	echo -smp "$cpus" -m "$((nodes * 512))M" "${node_args[@]}"
}

# Time limit of each test of a group, in seconds.  50 runc containers at
# once take minutes under TCG.
group_test_limit() {
	case $1 in
	load) echo "${NH_VM_LOAD_TIMEOUT:-900}" ;;
	*) echo "$test_limit" ;;
	esac
}

# Boot one VM; the serial console goes to LOG.  Watches it: kills the VM when
# it panics, when the whole run exceeds LIMIT seconds, or when no result line
# appeared for a test's time limit plus a margin.  Echoes result and '#' lines
# as they come.  Writes how it ended to LOG.end: poweroff | panic | exited |
# "killed: why".
boot_vm() { # TOPOLOGY APPEND LOG LIMIT
	local topo=$1 append=$2 log=$3 limit=$4 qpid start last_change seen=0 now count shown=0
	# memhp_default_state=offline: hot-plugged memory (node 2's pc-dimm in
	# faults and load) stays offline until a test onlines it, as Debian 12's
	# kernel leaves it; Debian 13's would online it at boot.
	# shellcheck disable=SC2046 # topology prints words on purpose
	qemu-system-x86_64 -machine q35 -accel tcg -cpu max $(topology "$topo") \
		-nodefaults -display none -serial stdio -monitor none -no-reboot -net none \
		-kernel "$kernel" -initrd "$initramfs" \
		-append "console=ttyS0 panic=-1 loglevel=3 numa_balancing=disable memhp_default_state=offline $append" \
		</dev/null >"$log" 2>&1 &
	qpid=$!
	start=$SECONDS
	last_change=$SECONDS
	vm_end=exited
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		now=$SECONDS
		count=$(tr -d '\r' <"$log" | grep -caE '^(PASS|FAIL|SKIP): ' || true)
		if [ "$count" != "$seen" ]; then
			seen=$count
			last_change=$now
		fi
		shown=$(show_new_lines "$log" "$shown")
		if grep -qa 'Kernel panic' "$log"; then
			vm_end=panic
		elif [ $((now - start)) -gt "$limit" ]; then
			vm_end="killed: still running after the group's limit of $limit s"
		elif [ $((now - last_change)) -gt $((${vm_test_limit:-$test_limit} + 60)) ]; then
			vm_end="killed: hung, no result line for $((now - last_change)) s"
		else
			continue
		fi
		sleep 1
		kill "$qpid" 2>/dev/null || true
		break
	done
	wait "$qpid" 2>/dev/null || true
	show_new_lines "$log" "$shown" >/dev/null
	if [ "$vm_end" = exited ] && tr -d '\r' <"$log" | grep -qa '^nh-vm: done'; then
		vm_end=poweroff
	fi
	echo "$vm_end" >"$log.end"
}

# Print the result and measurement lines of LOG after the first SHOWN lines
# (prints to stderr so the caller can capture the new count on stdout).
show_new_lines() { # LOG SHOWN
	local total
	total=$(wc -l <"$1")
	tail -n "+$(($2 + 1))" "$1" | head -n "$((total - $2))" | tr -d '\r' |
		grep -aE '^(PASS|FAIL|SKIP): |^# |^nh-vm: |^demo[:|]' | sed 's/^demo| //' >&2 || true
	echo "$total"
}

if [ "$demo" = 1 ]; then
	log=$logs/demo.log
	echo "# booting the 2-node VM (console log: $log)"
	boot_vm two "nh.demo=1 nh.timeout=$test_limit" "$log" 150 2>&1 | grep -v '^nh-vm: done' || true
	if tr -d '\r' <"$log" | grep -qaE '^demo: [0-9]+ of [0-9]+ pages on node 1 '; then
		exit 0
	fi
	echo "run.sh: the demo did not complete (console log: $log)" >&2
	exit 1
fi

[ ${#groups[@]} -gt 0 ] || groups=(two four v1 v1-four faults) # "load" runs on request: it takes minutes
pass=0 failed=0 skipped=0
for group in "${groups[@]}"; do
	tests=$(group_tests "$group") || { echo "run.sh: unknown group $group" >&2; exit 2; }
	if [ -n "$only" ]; then
		wanted=
		for t in $tests; do
			case ",$only," in *",$t,"*) wanted="$wanted $t" ;; esac
		done
		tests=${wanted# }
		[ -n "$tests" ] || continue
	fi
	ntests=$(echo "$tests" | wc -w)
	log=$logs/$group.log
	echo "# $tag: group $group ($ntests tests), console log: $log"
	t0=$SECONDS
	vm_test_limit=$(group_test_limit "$group")
	# A kernel that panics while it boots, before the test runner started,
	# or that traps on a stale int3 (QEMU's TCG running code the kernel had
	# patched since: tests/lib/console.sh) gets a fresh VM for the tests
	# without a result, at most twice; the panicked log is kept and the
	# panic is said.  Any other panic once tests run is their result.
	left=$tests results='' boots=0
	while :; do
		boots=$((boots + 1))
		boot_vm "$group" "nh.tests=$(echo "$left" | tr ' ' ,) nh.timeout=$vm_test_limit $(group_append "$group")" "$log" \
			$(($(echo "$left" | wc -w) * vm_test_limit + 120)) 2>&1 | grep -aE '^#|^nh-vm' | sed "s|^# vm/|# $tag/|" || true
		results=$(printf '%s\n%s' "$results" "$(tr -d '\r' <"$log" | grep -aE '^(PASS|FAIL|SKIP): vm/' || true)")
		rest=
		for t in $left; do
			echo "$results" | grep -qaE "^(PASS|FAIL|SKIP): vm/$t( |$)" || rest="$rest $t"
		done
		rest=${rest# }
		if [ "$(cat "$log.end" 2>/dev/null)" != panic ] || [ -z "$rest" ] || [ "$boots" -ge 3 ]; then break; fi
		runner=$(grep -a -m1 '^nh-vm' "$log" || true)
		what=$(console_rerun_why "$log" "$runner" "the test runner") || break
		mv "$log" "$log.panic-$boots"
		echo "# $tag: group $group: $what: $(console_oops "$log.panic-$boots") (log: $log.panic-$boots); a fresh VM for the $(echo "$rest" | wc -w) tests without a result"
		left=$rest
	done
	ended=$(tr -d '\r' <"$log" | grep -a '^nh-vm: done' || true)
	if grep -qa 'Kernel panic' "$log"; then
		why="VM kernel panicked: $(tr -d '\r' <"$log" | grep -a -m1 'Kernel panic')"
		oops=$(console_oops "$log")
		[ -z "$oops" ] || why="$why; $oops"
	elif [ -z "$ended" ] && [ "$(wc -c <"$log")" -eq 0 ]; then
		why="VM printed nothing"
	elif [ -z "$ended" ]; then
		why="VM did not finish ($(cat "$log.end" 2>/dev/null || echo "ended") after $((SECONDS - t0)) s;"
		why="$why last console line: $(tr -d '\r' <"$log" | grep -av -e '^$' -e 'terminating on signal' | tail -n 1))"
	else
		why="VM finished without a result for it"
	fi
	for t in $tests; do
		line=$(echo "$results" | grep -aE "^(PASS|FAIL|SKIP): vm/$t( |$)" | head -n 1 || true)
		[ -n "$line" ] || line="FAIL: vm/$t — $why"
		line=${line/: vm\//: $tag/}
		echo "$line"
		case $line in
		PASS:*) pass=$((pass + 1)) ;;
		SKIP:*) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done
	echo "# $tag: group $group took $((SECONDS - t0)) s"
done
echo "$tag: $pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
