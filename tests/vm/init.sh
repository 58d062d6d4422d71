#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# PID 1 of the NUMA test VM (busybox sh).  Mounts what the kernel does not,
# runs the tests named on the kernel command line and powers off.
#   nh.tests=NAME,NAME,...   tests to run, in order (functions t_NAME, '-' -> '_')
#   nh.timeout=SECONDS       per test (default 150)
#   nh.demo=1                run the demo instead of tests
#   nh.cgroup=v1             mount cgroup v1 hierarchies instead of cgroup v2
# Result lines on the console: "PASS: vm/NAME", "FAIL: vm/NAME — why",
# "SKIP: vm/NAME — why"; then "nh-vm: done results=N"; then power off.
# If this script ever ended, the kernel would panic, so errors never stop it.

export PATH=/nh/bin:/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/ TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /sys/fs/cgroup
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
# nh.cgroup=v1: the legacy hierarchies (one per controller), else cgroup v2.
# A kernel built without a controller's v1 interface (Linux 6.12 can leave
# out the cpuset and memory ones, CONFIG_CPUSETS_V1, CONFIG_MEMCG_V1) refuses
# its mount: the controllers that failed are listed in
# /run/nh-cgroup-v1-missing, and the tests skip (vm-lib.sh).
if grep -qw 'nh.cgroup=v1' /proc/cmdline; then
	mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
	for ctl in cpuset memory pids devices freezer cpu,cpuacct blkio; do
		mkdir -p "/sys/fs/cgroup/$ctl"
		mount -t cgroup -o "$ctl" cgroup "/sys/fs/cgroup/$ctl" 2>>/run/nh-cgroup-v1.err ||
			echo "$ctl" >>/run/nh-cgroup-v1-missing
	done
else
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
	echo "+cpuset +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
fi

# loop devices, unless built in (for cold container images, see vm-lib.sh)
[ -f /nh/modules/loop.ko ] && insmod /nh/modules/loop.ko

# Nothing but the tests may move pages: no automatic NUMA balancing, no
# proactive compaction (both would change placement and pgmigrate counters).
echo 0 >/proc/sys/kernel/numa_balancing
echo 0 >/proc/sys/vm/compaction_proactiveness 2>/dev/null
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
echo madvise >/sys/kernel/mm/transparent_hugepage/defrag

# shellcheck source=/dev/null # installed at /nh in the VM
. /nh/vm-lib.sh
# shellcheck source=/dev/null
. /nh/vm-tests.sh
# shellcheck source=/dev/null
. /nh/vm-faults.sh
# shellcheck source=/dev/null
. /nh/vm-static.sh
# shellcheck source=/dev/null
. /nh/vm-demo.sh

nh_main

sync
poweroff -f
# poweroff -f does not return; if it did, keep PID 1 alive for the host's timeout.
while :; do sleep 60; done
