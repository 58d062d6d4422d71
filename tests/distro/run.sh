#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the Debian 13 test bed (tests/distro/README.md) under QEMU (TCG: no
# KVM needed) with two NUMA nodes, one vCPU and 1.5 GiB each, systemd as PID 1;
# nh-distro-tests.service runs the tests and powers off.  Result lines come
# back on the serial console.
#
#   run.sh --cache DIR [--only NAME,NAME]
#
# DIR is what build.sh made (vmlinuz, initrd.img, disk.img).  The disk is
# opened with snapshot=on: the guest's writes never reach the cached image.
# Prints "PASS: distro/NAME", "FAIL: distro/NAME — why" or "SKIP: ..." for
# every test and "distro: N passed, N failed, N skipped"; a VM that panics,
# hangs, fails to boot or prints fewer results than tests gets a FAIL for
# every test without a result, naming what happened (and the kernel's oops,
# if any).  Two exceptions: a kernel that panics while it boots, and one that
# traps on a stale int3 (QEMU's TCG running code the kernel had patched
# since, tests/lib/console.sh), get a fresh VM for the tests without a
# result, at most twice; the run says so.
# Exits 1 if any failed.
# NH_DISTRO_TIMEOUT: per-test limit in seconds (default 600); the boot may
# take NH_DISTRO_BOOT_TIMEOUT (default 300) more.  NH_DISTRO_APPEND: more
# kernel command line words (e.g. "systemd.show_status=1" to see the boot).
set -euo pipefail

ALL_TESTS="package podman-crun-control podman-crun-nodes1 podman-runc-nodes1 podman-crun-nodes7 podman-runc-nodes7 podman-crun-cpuset-mems podman-runc-cpuset-mems podman-crun-migrate podman-runc-migrate podman-rootless podman-rootless-delegated cri-runc-control cri-runc-nodes1 cri-runc-nodes7 cri-cdi-annotation cri-cdi-device cri-cdi-pod-annotation-ignored cri-base-spec nri-create nri-update nri-update-kernel nri-update-auto nri-supersede nri-kill nri-restart-containerd nri-preinstalled nri-garbage"
CACHE='' only=''
usage() { echo "usage: $0 --cache DIR [--only NAME,NAME]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--cache) CACHE=${2:-}; shift 2 || usage ;;
	--only) only=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
[ -n "$CACHE" ] || usage
command -v qemu-system-x86_64 >/dev/null || { echo "run.sh: qemu-system-x86_64 is missing (tests/distro/packages)" >&2; exit 1; }
for f in vmlinuz initrd.img disk.img; do
	[ -s "$CACHE/$f" ] || { echo "run.sh: $CACHE/$f missing: run build.sh first" >&2; exit 1; }
done

tests=
for t in $ALL_TESTS; do
	[ -z "$only" ] || case ",$only," in *",$t,"*) ;; *) continue ;; esac
	tests="$tests $t"
done
tests=${tests# }
[ -n "$tests" ] || { echo "run.sh: no test selected (known: $ALL_TESTS)" >&2; exit 2; }
test_limit=${NH_DISTRO_TIMEOUT:-600}
boot_limit=${NH_DISTRO_BOOT_TIMEOUT:-300}

mkdir -p "$CACHE/logs"
# shellcheck source-path=SCRIPTDIR source=../lib/console.sh
. "$(dirname "$0")/../lib/console.sh"

# boot TESTS: one VM for TESTS (a space-separated list).  Sets log, ended,
# started and elapsed.
boot() {
	local tests=$1 ntests total_limit qpid t0 shown=0 seen=0 last done_at='' total count
	ntests=$(echo "$tests" | wc -w)
	total_limit=$((boot_limit + ntests * test_limit + 60))
	log=$CACHE/logs/console-$(date +%Y%m%d-%H%M%S).log
	ln -sf "$(basename "$log")" "$CACHE/logs/console.log"
	echo "# distro: booting Debian 13 ($(cat "$CACHE/kernel-version" 2>/dev/null)), $ntests tests, console log: $log"

	local nodes=() n
	for n in 0 1; do
		nodes+=(-object "memory-backend-ram,id=m$n,size=1536M" -numa "node,nodeid=$n,cpus=$n,memdev=m$n")
	done
	t0=$SECONDS
	qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 3G "${nodes[@]}" \
		-nodefaults -display none -serial stdio -monitor none -no-reboot -net none \
		-drive "file=$CACHE/disk.img,if=virtio,format=raw,snapshot=on" \
		-kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 panic=-1 quiet loglevel=3 systemd.show_status=error numa_balancing=disable nh.tests=$(echo "$tests" | tr ' ' ,) nh.timeout=$test_limit ${NH_DISTRO_APPEND:-}" \
		</dev/null >"$log" 2>&1 &
	qpid=$!

	# Watch the console: echo measurements and progress as they come (the
	# results are printed once, at the end, one per test); stop the VM
	# when it panics, when no result came for too long, or past the total limit.
	ended=exited started='' last=$SECONDS
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		total=$(wc -l <"$log")
		if [ "$total" -gt "$shown" ]; then
			tail -n "+$((shown + 1))" "$log" | head -n "$((total - shown))" | tr -d '\r' |
				grep -aE '^# |nh-distro: ' | sed 's/^.*nh-distro: /# nh-distro: /' || true
			shown=$total
		fi
		count=$(clean | grep -caE '^(PASS|FAIL|SKIP): distro/' || true)
		[ "$count" = "$seen" ] || { seen=$count; last=$SECONDS; }
		if [ -z "$started" ] && clean | grep -qa 'nh-distro: start'; then
			started=$((SECONDS - t0)); last=$SECONDS
			echo "# distro: boot to the test unit: $started s"
		fi
		[ -n "$done_at" ] || ! clean | grep -qa '^nh-distro: done' || done_at=$SECONDS
		if grep -qa 'Kernel panic' "$log"; then
			ended="the kernel panicked: $(clean | grep -a -m1 'Kernel panic')"
		elif [ -z "$started" ] && [ $((SECONDS - t0)) -gt "$boot_limit" ]; then
			ended="killed: the test unit did not start within $boot_limit s (boot failed or hung)"
		elif [ -n "$started" ] && [ $((SECONDS - last)) -gt $((test_limit + 60)) ]; then
			ended="killed: hung, no result line for $((SECONDS - last)) s"
		elif [ -n "$done_at" ] && [ $((SECONDS - done_at)) -gt 60 ]; then
			ended="killed: no poweroff within 60 s of the last result"
		elif [ $((SECONDS - t0)) -gt "$total_limit" ]; then
			ended="killed: still running after $total_limit s"
		else
			continue
		fi
		kill "$qpid" 2>/dev/null || true
		break
	done
	wait "$qpid" 2>/dev/null || true
	elapsed=$((SECONDS - t0))
	if [ "$ended" = exited ] && clean | grep -qa '^nh-distro: done'; then ended=poweroff; fi
	echo "# distro: VM ran $elapsed s (boot to the test unit: ${started:-never} s), ended: $ended"
}
clean() { tr -d '\r' <"$log"; }
result_of() { # TEST RESULTS
	echo "$2" | grep -aE "^(PASS|FAIL|SKIP): distro/$1( |$)" | head -n 1 || true
}

# A kernel that panics while it boots, or that traps on a stale int3 (a
# fault of QEMU's TCG, not of the test that ran: tests/lib/console.sh), gets
# a fresh VM for the tests without a result, at most twice.  Any other panic
# once tests run is their result.
results='' left=$tests boots=0
while :; do
	boots=$((boots + 1))
	boot "$left"
	results=$(printf '%s\n%s' "$results" "$(clean | grep -aE '^(PASS|FAIL|SKIP): distro/' || true)")
	rest=
	for t in $left; do
		[ -n "$(result_of "$t" "$results")" ] || rest="$rest $t"
	done
	rest=${rest# }
	case $ended in "the kernel panicked"*) ;; *) break ;; esac
	if [ -z "$rest" ] || [ "$boots" -ge 3 ]; then break; fi
	what=$(console_rerun_why "$log" "$started" "the test unit") || break
	echo "# distro: $what: $(console_oops "$log") (console log: $log); a fresh VM for the $(echo "$rest" | wc -w) tests without a result"
	left=$rest
done

if [ "$ended" = poweroff ]; then
	why="the VM finished without a result for it"
elif [ ! -s "$log" ]; then
	why="the VM printed nothing (qemu failed to start?)"
else
	why="the VM did not finish ($ended after $elapsed s; last console line: $(clean | grep -av -e '^$' -e 'terminating on signal' | tail -n 1 | cut -c1-200))"
	oops=$(console_oops "$log")
	[ -z "$oops" ] || why="$why; $oops"
	# The initramfs's or systemd's own word on a failed boot, if any.
	alert=$(clean | grep -a -m1 -e 'ALERT!' -e 'emergency mode' -e 'Failed to mount' -e 'Dependency failed' | cut -c1-200 || true)
	[ -z "$alert" ] || why="$why; $alert"
fi
pass=0 failed=0 skipped=0
for t in $tests; do
	line=$(result_of "$t" "$results")
	[ -n "$line" ] || line="FAIL: distro/$t — $why"
	echo "$line"
	case $line in
	PASS:*) pass=$((pass + 1)) ;;
	SKIP:*) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
done
echo "distro: $pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
