#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# PID 1 of the benchmark VM (rdinit=/nh/bench/init; busybox sh).  The test
# bed's initramfs with the bench files added: mounts what the kernel does
# not, runs the benchmarks named by nh.bench= (functions b_NAME of
# vm-bench.sh), prints their "metric" lines and powers off.
export PATH=/nh/bench:/nh/bin:/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/ TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /sys/fs/cgroup
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
# nh.cgroup=v1 (run.sh --cgroup v1): the legacy hierarchies, as in the test bed.
if grep -qw 'nh.cgroup=v1' /proc/cmdline; then
	mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
	for ctl in cpuset memory pids; do
		mkdir -p "/sys/fs/cgroup/$ctl"
		mount -t cgroup -o "$ctl" cgroup "/sys/fs/cgroup/$ctl"
	done
else
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
	echo "+cpuset +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
fi
# Nothing but the benchmark may move pages (as in the test bed).
echo 0 >/proc/sys/kernel/numa_balancing
echo 0 >/proc/sys/vm/compaction_proactiveness 2>/dev/null
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
echo madvise >/sys/kernel/mm/transparent_hugepage/defrag

# shellcheck source=/dev/null # the test bed's helpers, installed at /nh
. /nh/vm-lib.sh
# shellcheck source=/dev/null
. /nh/bench/vm-bench.sh
# shellcheck source=/dev/null # investigations only (run.sh --extra)
[ -f /nh/bench/vm-extra.sh ] && . /nh/bench/vm-extra.sh

bench_main

sync
poweroff -f
while :; do sleep 60; done
