# shellcheck shell=sh
# The tests that run inside the NUMA test VM.  One function t_NAME per test;
# the host runner names them on the kernel command line (see run.sh).
# Every assertion counts pages with nh-pages (move_pages with nodes=NULL) or
# reads cgroup files and /proc/vmstat: never the hook's own summary.

# The yardstick and a proof that the VM migrates at all: numactl's
# migratepages moves a 64 MiB process from node 0 to node 1.
t_migratepages() {
	start_in_cgroup base "$(node_cpus 0)" 0 nh-workload --anon 64 --threads 2 --ready "$NH_RUN/base.ready"
	wait_file "$NH_RUN/base.ready" 60 || fail "workload not ready: $(cat "$NH_RUN/base.log")"
	pid=$(cat "$NH_RUN/base.pid")
	before=$(nh-pages "$pid" | sed -n 's/^total //p')
	note "before: $before"
	expect_on_node 0 99 "$before" "before migratepages"
	t0=$(now_ms)
	migratepages "$pid" 0 1 || fail "migratepages $pid 0 1 failed"
	t1=$(now_ms)
	after=$(nh-pages "$pid" | sed -n 's/^total //p')
	note "after: $after; migratepages took $(ms_between "$t0" "$t1") ms"
	expect_on_node 1 99 "$after" "after migratepages"
}
