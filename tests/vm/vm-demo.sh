# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# The demo inside the 2-node VM: a runc container fills 256 MiB on node 0,
# the hook runs as runc would run it at poststart, and a before/after table
# shows where every page is.  Table lines start with "demo| "; the last line
# is "demo: M of N pages on node 1 (P%) in T ms".
# C_* variables are read by container_up and config_write (vm-lib.sh).
# shellcheck disable=SC2034

DEMO_MIB=${DEMO_MIB:-256}

say() { echo "demo| $*"; }

# One table: a row per process of the container, then the total.
demo_table() { # TITLE
	say ""
	say "$1"
	say "$(printf '%-8s %-14s %12s %10s %12s %10s' pid process 'node0 pages' 'node0 MiB' 'node1 pages' 'node1 MiB')"
	nh-pages --cgroup "$CG" | while read -r line; do
		case $line in
		total*) p=total; name="(all)" ;;
		*) p=$(field pid "$line"); name=$(cat "/proc/$p/comm" 2>/dev/null || echo '?') ;;
		esac
		n0=$(field N0 "$line")
		n1=$(field N1 "$line")
		say "$(printf '%-8s %-14s %12s %10s %12s %10s' "$p" "$name" "$n0" "$(mib "$n0")" "$n1" "$(mib "$n1")")"
	done
}

mib() { awk -v p="$1" 'BEGIN { printf "%.1f\n", p * 4096 / 1048576 }'; }

demo_main() {
	rm -f "$NH_RUN/reason"
	( demo_run )
	[ ! -s "$NH_RUN/reason" ] || echo "demo: FAILED: $(cat "$NH_RUN/reason")"
	nh_cleanup
}

demo_run() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	say "VM: NUMA nodes $(cat /sys/devices/system/node/online) online, $(grep -c ^processor /proc/cpuinfo) vCPUs (QEMU TCG), kernel $(uname -r)"
	say "starting runc container 'demo' (cpuset.mems 0): nh-workload touches $DEMO_MIB MiB from 4 threads"
	t0=$(now_ms)
	container_up runc demo --anon "$DEMO_MIB" --threads 4
	t1=$(now_ms)
	say "container ready in $(ms_between "$t0" "$t1") ms; cgroup $CG, cpuset.mems $(cat "$CG/cpuset.mems")"
	demo_table "before: pages per node"
	before=$(cg_pages "$CG")

	state=$(runc --root /run/runc state demo)
	say ""
	say "running: cd $BUNDLE && runc state demo | oci-numa-hook hook poststart   (annotation oci-numa-hook/nodes=1)"
	t0=$(now_ms)
	hook_run poststart "$BUNDLE" "$state" "$conf" "$NH_RUN/hook.err"
	rc=$?
	t1=$(now_ms)
	ms=$(ms_between "$t0" "$t1")
	say "hook exit status $rc after $ms ms"
	sed 's/^/demo|   hook log: /' "$NH_RUN/hook.err"
	demo_table "after: pages per node"
	after=$(cg_pages "$CG")
	say "cpuset.mems of the container is now $(cat "$CG/cpuset.mems")"

	moved=$(($(field N1 "$after") - $(field N1 "$before")))
	all=$(field pages "$after")
	say "moved $(mib "$moved") MiB in $ms ms: $(awk -v p="$moved" -v ms="$ms" 'BEGIN { if (ms > 0) printf "%.0f", p * 4096 / 1048576 / (ms / 1000); else print "?" }') MiB/s"
	echo "demo: $(field N1 "$after") of $all pages on node 1 ($(percent "$(field N1 "$after")" "$all")%) in $ms ms"
}
