# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# The tests that run inside the NUMA test VM.  One function t_NAME per test;
# the host runner names them on the kernel command line (see run.sh).
# Every assertion counts pages with nh-pages (move_pages with nodes=NULL) or
# reads cgroup files and /proc/vmstat: never the hook's own summary.
# C_* variables are read by container_up and config_write (vm-lib.sh).
# shellcheck disable=SC2034

# The yardstick and a proof that the VM migrates at all: numactl's
# migratepages moves a 64 MiB process from node 0 to node 1.
t_migratepages() {
	on_node 0 cp /nh/bin/nh-workload "$NH_RUN/nh-workload"
	start_in_cgroup base "$(node_cpus 0)" 0 "$NH_RUN/nh-workload" --anon 64 --threads 2 --ready "$NH_RUN/base.ready"
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

# Placement at start (runc or crun): the hook in config.json at
# createRuntime and poststart, annotation nodes=1; the config confines the
# container to node 0 (without the hook every page would land there); the
# image is cold (a fresh loop mount); the workload allocates 64 MiB only
# after start.  Its pages must land on node 1 and the container's
# cpuset.mems must be 1.
placement_at_start() { # RUNTIME
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	C_HOOKS="\"createRuntime\": [$(hook_entry createRuntime "$conf")], \"poststart\": [$(hook_entry poststart "$conf")]"
	C_GO=1
	C_COLD=1
	C_MEMS=0
	container_up "$1" "start-$1" --anon 64 --threads 4
	after=$(cg_pages "$CG")
	mems=$(cat "$CG/cpuset.mems")
	runs=$(grep -c ': info: summary ' "$NH_RUN/hook.log" 2>/dev/null || true)
	note "after start: $after; cpuset.mems=$mems; hook summaries logged: ${runs:-0}"
	# Where the pages left on node 0 are (numa_maps: address, policy, kind).
	while read -r p; do
		grep -a 'N0=' "/proc/$p/numa_maps" | while read -r m; do note "pid $p still on node 0: $m"; done
	done <"$CG/cgroup.procs"
	[ "${runs:-0}" -ge 2 ] || fail "the hook did not run at both stages (log: $(cat "$NH_RUN/hook.log" 2>/dev/null))"
	expect_on_node 1 99 "$after" "container pages"
	[ "$mems" = 1 ] || fail "cpuset.mems is '$mems', want 1"
}

t_runc_start() { placement_at_start runc; }
t_crun_start() { placement_at_start crun; }

# Migration of memory already there: a runc container confined to node 0
# (linux.resources.cpu.mems "0") has touched 64 MiB from four threads and a
# forked child, and the child sits in a sub-cgroup.  The hook, run for
# poststart as runc runs it (runc's own state on stdin, cwd the bundle, no
# environment), must leave every page of every task on node 1.
t_runc_migrate() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	container_up runc migrate --anon 48 --child 16 --threads 4
	child=$(grep -v "^$CPID\$" "$CG/cgroup.procs" | head -n 1)
	[ -n "$child" ] || fail "the workload's child is not in $CG"
	cpuset_dir "$CG/sub" || fail "cannot create $CG/sub"
	echo "$child" >"$CG/sub/cgroup.procs" || fail "cannot move child $child into $CG/sub"
	before=$(cg_pages "$CG")
	note "before: $before (child $child in sub-cgroup)"
	expect_on_node 0 99 "$before" "before the hook"
	state=$(runc --root /run/runc state migrate) || fail "runc state failed"
	t0=$(now_ms)
	hook_run poststart "$BUNDLE" "$state" "$conf" "$NH_RUN/hook.err"
	rc=$?
	t1=$(now_ms)
	summary=$(summary_of "$NH_RUN/hook.err")
	note "hook exit $rc in $(ms_between "$t0" "$t1") ms: $summary"
	if [ "$rc" != 0 ]; then
		note "after the failed run: $(cg_pages "$CG"); cpuset.mems=$(cat "$CG/cpuset.mems"), sub: $(cat "$CG/sub/cpuset.mems" 2>/dev/null || echo -)"
		fail "hook exit status $rc: $(hook_error "$NH_RUN/hook.err")"
	fi
	nh-pages --cgroup "$CG" >"$NH_RUN/after" || fail "nh-pages failed"
	while read -r line; do
		note "after: $line"
		case $line in
		total*) expect_on_node 1 99 "$line" "all tasks" ;;
		*) [ "$(field N0 "$line")" = 0 ] || fail "pages left on node 0: $line" ;;
		esac
	done <"$NH_RUN/after"
	[ "$(field processes "$(tail -n 1 "$NH_RUN/after")")" = 2 ] || fail "expected 2 processes: $(cat "$NH_RUN/after")"
	[ "$(cat "$CG/cpuset.mems")" = 1 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 1"
	allowed=$(sed -n 's/^Mems_allowed_list:[[:space:]]*//p' "/proc/$child/status")
	[ "$allowed" = 1 ] || fail "the child in the sub-cgroup may still allocate on '$allowed'"
	case " $summary " in
	*" not_moved=0 "*) ;;
	*) fail "summary does not report not_moved=0: '$summary'" ;;
	esac
}

# THP and shared file pages move: 32 MiB of MADV_HUGEPAGE memory and a
# 32 MiB MAP_SHARED tmpfs file (shared by the workload and its child), with
# each engine; move_pages moves a huge page through its head, whole.
t_thp_file() { thp_file migrate_pages; }
t_thp_file_move_pages() { thp_file move_pages; }
thp_file() { # ENGINE
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT="\"oci-numa-hook/nodes\": \"1\", \"oci-numa-hook/engine\": \"$1\""
	container_up runc thp --thp 32 --file 32 --file-path /tmp/shared --threads 2
	thp=$(region thp)
	file=$(region file)
	huge_before=$(sed -n 's/^AnonHugePages: *\([0-9]*\) kB/\1/p' "/proc/$CPID/smaps_rollup")
	thp_b=$(cg_pages "$CG" --range "$thp")
	file_b=$(cg_pages "$CG" --range "$file")
	note "before: thp $thp_b; file $file_b; AnonHugePages ${huge_before} kB"
	[ "${huge_before:-0}" -ge 16384 ] || fail "the workload got no transparent huge pages (AnonHugePages ${huge_before} kB)"
	expect_on_node 0 99 "$thp_b" "THP region before"
	expect_on_node 0 99 "$file_b" "file region before"
	thp_ok0=$(vmstat thp_migration_success)
	thp_split0=$(vmstat thp_migration_split)
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state thp)" "$conf" "$NH_RUN/hook.err" ||
		fail "hook failed: $(hook_error "$NH_RUN/hook.err")"
	thp_a=$(cg_pages "$CG" --range "$thp")
	file_a=$(cg_pages "$CG" --range "$file")
	huge_after=$(sed -n 's/^AnonHugePages: *\([0-9]*\) kB/\1/p' "/proc/$CPID/smaps_rollup")
	moved_huge=$(($(vmstat thp_migration_success) - thp_ok0))
	split=$(($(vmstat thp_migration_split) - thp_split0))
	note "after: thp $thp_a; file $file_a; AnonHugePages ${huge_after} kB;" \
		"thp_migration_success +$moved_huge, thp_migration_split +$split"
	expect_on_node 1 100 "$thp_a" "THP region after"
	expect_on_node 1 100 "$file_a" "file region after"
	[ "$moved_huge" -ge 16 ] || fail "only $moved_huge huge pages migrated whole (want >= 16)"
	[ "${huge_after:-0}" -ge 16384 ] || fail "huge pages were split: AnonHugePages ${huge_after} kB after"
}

# Relative topology on the 4-node VM: pages interleaved over nodes 0 and 1,
# from=0,1 nodes=2,3: node-0 pages go to 2, node-1 pages to 3; with each
# engine (move_pages maps the nodes as migrate_pages(2) does).
t_from_to_relative() { from_to_relative migrate_pages; }
t_from_to_relative_move_pages() { from_to_relative move_pages; }
from_to_relative() { # ENGINE
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0-1
	C_ANNOT="\"oci-numa-hook/nodes\": \"2,3\", \"oci-numa-hook/from\": \"0,1\", \"oci-numa-hook/engine\": \"$1\""
	container_up runc rel --anon 64 --threads 2 --interleave 0,1
	before=$(cg_pages "$CG")
	note "before: $before"
	b0=$(field N0 "$before")
	b1=$(field N1 "$before")
	all=$(field pages "$before")
	if [ "$b0" -lt $((all / 4)) ] || [ "$b1" -lt $((all / 4)) ]; then
		fail "interleave did not spread pages over 0 and 1: $before"
	fi
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state rel)" "$conf" "$NH_RUN/hook.err" ||
		fail "hook failed: $(hook_error "$NH_RUN/hook.err")"
	after=$(cg_pages "$CG")
	note "after: $after; cpuset.mems=$(cat "$CG/cpuset.mems"); $(summary_of "$NH_RUN/hook.err")"
	if [ "$(field N0 "$after")" != 0 ] || [ "$(field N1 "$after")" != 0 ]; then
		fail "pages left on 0 or 1: $after"
	fi
	near "$(field N2 "$after")" "$b0" "$all" || fail "node 2 has $(field N2 "$after") pages, node 0 had $b0"
	near "$(field N3 "$after")" "$b1" "$all" || fail "node 3 has $(field N3 "$after") pages, node 1 had $b1"
	[ "$(cat "$CG/cpuset.mems")" = 2-3 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 2-3"
}

# A equals B within 1% of TOTAL.
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 100 <= t) }'; }

# from=0 nodes=2 (mems=keep, else the cpuset.mems write would move the rest):
# node-0 pages go to 2, node-1 pages stay on 1.
t_from_subset() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0-1
	C_ANNOT='"oci-numa-hook/nodes": "2", "oci-numa-hook/from": "0", "oci-numa-hook/mems": "keep"'
	container_up runc sub --anon 64 --threads 2 --interleave 0,1
	before=$(cg_pages "$CG")
	note "before: $before"
	b0=$(field N0 "$before")
	b1=$(field N1 "$before")
	all=$(field pages "$before")
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state sub)" "$conf" "$NH_RUN/hook.err" ||
		fail "hook failed: $(hook_error "$NH_RUN/hook.err")"
	after=$(cg_pages "$CG")
	note "after: $after; cpuset.mems=$(cat "$CG/cpuset.mems")"
	[ "$(field N0 "$after")" = 0 ] || fail "pages left on node 0: $after"
	near "$(field N2 "$after")" "$b0" "$all" || fail "node 2 has $(field N2 "$after") pages, node 0 had $b0"
	near "$(field N1 "$after")" "$b1" "$all" || fail "node 1 pages moved: $b1 before, $(field N1 "$after") after"
	[ "$(cat "$CG/cpuset.mems")" = 0-1 ] || fail "mems=keep changed cpuset.mems to '$(cat "$CG/cpuset.mems")'"
}

# from=0 nodes=2 with the default mems=set, on cgroup v2 (group four) and v1
# (group v1-four): `from` keeps its promise. Pages interleaved over 0 and 1;
# the node-0 pages go to 2, the node-1 pages stay on 1, and cpuset.mems
# becomes 1-2 (the nodes of the old mems that from leaves alone, and the
# target): writing just 2 would have the kernel move the node-1 pages too.
# The operator's migrate keeps the same promise, and its dry run says so:
# `migrate --from 2 --to 0` brings the node-2 pages back to 0 and leaves the
# node-1 pages where they are. Last, the kernel's own path for the record:
# a plain write of 1-2 over 0-1 (equal sizes) maps node to node by
# position, and moves the node-1 pages to node 2.
t_from_set() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0-1
	C_ANNOT='"oci-numa-hook/nodes": "2", "oci-numa-hook/from": "0"'
	container_up runc fromset --anon 64 --threads 2 --interleave 0,1
	[ "$NH_CGV" != 1 ] || [ "$(cat "$CG/cpuset.memory_migrate")" = 0 ] ||
		fail "a fresh v1 cpuset has memory_migrate set: the test would not show the hook's doing"
	before=$(cg_pages "$CG")
	b0=$(field N0 "$before")
	b1=$(field N1 "$before")
	all=$(field pages "$before")
	note "before: $before"
	if [ "$b0" -lt $((all / 4)) ] || [ "$b1" -lt $((all / 4)) ]; then
		fail "interleave did not spread pages over 0 and 1: $before"
	fi
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state fromset)" "$conf" "$NH_RUN/hook.err" ||
		fail "hook failed: $(hook_error "$NH_RUN/hook.err")"
	after=$(cg_pages "$CG")
	note "after the hook: $after; cpuset.mems=$(cat "$CG/cpuset.mems"); $(summary_of "$NH_RUN/hook.err")"
	[ "$(field N0 "$after")" = 0 ] || fail "pages left on node 0: $after"
	near "$(field N2 "$after")" "$b0" "$all" || fail "node 2 has $(field N2 "$after") pages, node 0 had $b0"
	near "$(field N1 "$after")" "$b1" "$all" || fail "node-1 pages moved although from=0: $b1 before, $(field N1 "$after") after"
	[ "$(cat "$CG/cpuset.mems")" = 1-2 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 1-2"
	[ "$NH_CGV" != 1 ] || [ "$(cat "$CG/cpuset.memory_migrate")" = 1 ] || fail "memory_migrate was not turned on"

	"$NH_HOOK" migrate fromset --to 0 --from 2 --dry-run >"$NH_RUN/dry.txt" 2>&1 ||
		fail "migrate --dry-run failed: $(cat "$NH_RUN/dry.txt")"
	note "$(grep -a '^dry run' "$NH_RUN/dry.txt")"
	grep -aq '^dry run: would move [0-9]* pages .* from node 2 to node 0; cpuset.mems would be set to 0-1 (node 1 stays' "$NH_RUN/dry.txt" ||
		fail "the dry run does not say that node 1 stays: $(grep -a '^dry run' "$NH_RUN/dry.txt")"
	[ "$(cg_pages "$CG")" = "$after" ] || fail "the dry run moved pages"
	[ "$(cat "$CG/cpuset.mems")" = 1-2 ] || fail "the dry run changed cpuset.mems to $(cat "$CG/cpuset.mems")"
	"$NH_HOOK" migrate fromset --to 0 --from 2 >"$NH_RUN/migrate.txt" 2>&1 ||
		fail "migrate failed: $(cat "$NH_RUN/migrate.txt")"
	back=$(cg_pages "$CG")
	note "after migrate --from 2 --to 0: $back; cpuset.mems=$(cat "$CG/cpuset.mems")"
	[ "$(field N2 "$back")" = 0 ] || fail "pages left on node 2: $back"
	near "$(field N0 "$back")" "$b0" "$all" || fail "node 0 has $(field N0 "$back") pages, node 2 had $(field N2 "$after")"
	near "$(field N1 "$back")" "$b1" "$all" || fail "node-1 pages moved although --from 2: $b1 before, $(field N1 "$back") after"
	[ "$(cat "$CG/cpuset.mems")" = 0-1 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 0-1"

	# The kernel's path, for the record (no assertion on the kernel).
	echo 1-2 >"$CG/cpuset.mems" || fail "cannot write cpuset.mems 1-2"
	note "a plain write of cpuset.mems 0-1 -> 1-2 by the kernel: $(cg_pages "$CG")"
}
t_v1_from_set() {
	[ "$NH_CGV" = 1 ] || fail "the VM does not run cgroup v1"
	t_from_set
}

# A memory-only node (no CPUs) as the target.
t_memory_only() {
	need_hook
	[ -z "$(node_cpus 3)" ] || fail "node 3 has CPUs ($(node_cpus 3)): wrong VM topology"
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "3"'
	container_up runc memonly --anon 64 --threads 2
	before=$(cg_pages "$CG")
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state memonly)" "$conf" "$NH_RUN/hook.err" ||
		fail "hook failed: $(hook_error "$NH_RUN/hook.err")"
	after=$(cg_pages "$CG")
	note "before: $before; after: $after; cpuset.mems=$(cat "$CG/cpuset.mems")"
	expect_on_node 3 99 "$after" "pages on memory-only node 3"
	[ "$(field N0 "$after")" = 0 ] || fail "pages left on node 0: $after"
	[ "$(cat "$CG/cpuset.mems")" = 3 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 3"
}

# nodes=auto: the nodes local to the container's cpuset.cpus (CPU of node 2).
t_auto() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_CPUS=$(node_cpus 2)
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "auto"'
	container_up runc auto --anon 64 --threads 2
	before=$(cg_pages "$CG")
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state auto)" "$conf" "$NH_RUN/hook.err" ||
		fail "hook failed: $(hook_error "$NH_RUN/hook.err")"
	after=$(cg_pages "$CG")
	note "cpuset.cpus=$(cat "$CG/cpuset.cpus") before: $before; after: $after; cpuset.mems=$(cat "$CG/cpuset.mems")"
	expect_on_node 2 99 "$after" "pages on node 2 (local to CPU $C_CPUS)"
	[ "$(cat "$CG/cpuset.mems")" = 2 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 2"
}

# The files of a cgroup that a hook could change, as one string.
cg_snapshot() {
	for f in cpuset.cpus cpuset.mems cpuset.cpus.partition cgroup.subtree_control cgroup.procs \
		memory.max memory.high memory.low memory.min cgroup.type; do
		printf '%s=%s;' "$f" "$(tr '\n' ' ' <"$1/$f" 2>/dev/null)"
	done
}

# Failure is safe: node 7 does not exist on the 2-node VM.
#  a) the hook run by hand against a running container exits 1, names node 7,
#     and changes neither the container's pages nor its cgroup files;
#  b) runc refuses to create a container whose createRuntime hook asks for
#     node 7, the hook's error line names node 7, nothing is left behind.
t_fail_safe() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "7"'
	container_up runc victim --anon 32 --threads 2
	before=$(cg_pages "$CG")
	files_before=$(cg_snapshot "$CG")
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state victim)" "$conf" "$NH_RUN/hook.err"
	rc=$?
	err=$(grep -a ': error: ' "$NH_RUN/hook.err" | head -n 1)
	after=$(cg_pages "$CG")
	note "by hand: exit $rc, '$err'; pages before: $before; after: $after"
	[ "$rc" = 1 ] || fail "hook exit status $rc for node 7, want 1"
	echo "$err" | grep -q '\b7\b' || fail "the error line does not name node 7: '$err'"
	[ "$before" = "$after" ] || fail "pages changed: $before -> $after"
	[ "$(cg_snapshot "$CG")" = "$files_before" ] || fail "cgroup files changed: $files_before -> $(cg_snapshot "$CG")"

	: >"$NH_RUN/hook.log"
	C_HOOKS="\"createRuntime\": [$(hook_entry createRuntime "$conf")]"
	bundle_new refused
	config_write "$BUNDLE" refused "$(json_args /bin/nh-workload --anon 8 --ready /tmp/ready)"
	if ctr_create runc refused "$BUNDLE"; then
		fail "runc created the container although its hook failed"
	fi
	err=$(grep -a ': error: ' "$NH_RUN/hook.log" | head -n 1)
	note "runc create: refused ($(grep -a -m1 -i 'error' "$BUNDLE/runtime.log" | cut -c1-160)); hook: '$err'"
	echo "$err" | grep -q '\b7\b' || fail "the hook's error line does not name node 7: '$err'"
	! runc --root /run/runc list -q | grep -qx refused || fail "container 'refused' still exists"
	[ ! -d "$(ctr_cgroup refused)" ] || fail "cgroup of the refused container left behind"
	[ "$(cg_pages "$CG")" = "$before" ] || fail "the other container's pages changed: $before -> $(cg_pages "$CG")"
	[ "$(cg_snapshot "$CG")" = "$files_before" ] || fail "the other container's cgroup files changed"
}

# The cgroup write path: with mems=set the hook migrates first and writes
# cpuset.mems afterwards (on v1 after cpuset.memory_migrate=1).  strace holds the hook for a moment just before
# its write(2) to cpuset.mems; the kernel's pgmigrate_success counter read
# then and after the hook's exit shows that the write (and the sweep after
# it) found nothing left to move.  A control container shows that a plain
# cpuset.mems write does move pages when they are still there.
t_v2_write_order() { write_order; }
t_v1_write_order() { write_order; }

write_order() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log" debug
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	container_up runc control --anon 64 --threads 2
	ctl_cg=$CG
	ctl_pid=$CPID
	container_up runc order --anon 64 --threads 2

	# The child shares the parent's pages (fork): count physical pages once.
	pages=$(field pages "$(nh-pages "$ctl_pid" | sed -n 's/^total //p')")
	m0=$(vmstat pgmigrate_success)
	t0=$(now_ms)
	[ "$NH_CGV" = 2 ] || echo 1 >"$ctl_cg/cpuset.memory_migrate"
	echo 1 >"$ctl_cg/cpuset.mems" || fail "plain write to $ctl_cg/cpuset.mems failed"
	t1=$(now_ms)
	m1=$(vmstat pgmigrate_success)
	note "control: plain cpuset.mems write moved $((m1 - m0)) of $pages pages in $(ms_between "$t0" "$t1") ms"
	[ $((m1 - m0)) -ge $((pages * 99 / 100)) ] || fail "control: a plain cpuset.mems write moved only $((m1 - m0)) pages"

	pages=$(field pages "$(nh-pages "$CPID" | sed -n 's/^total //p')")
	state=$(runc --root /run/runc state order)
	mems_file=$CG/cpuset.mems
	m0=$(vmstat pgmigrate_success)
	(cd "$BUNDLE" && printf '%s' "$state" |
		env -i strace -qq -f -o "$NH_RUN/strace.log" -P "$mems_file" -e trace=write \
			-e inject=write:delay_enter=3000000 \
			"$NH_HOOK" hook poststart --config "$conf" 2>"$NH_RUN/hook.err") &
	spid=$!
	m_at_write=
	i=0
	while kill -0 "$spid" 2>/dev/null && [ $i -lt 600 ]; do
		i=$((i + 1))
		for p in $(pidof oci-numa-hook); do
			# "NR ARG1 ..." while the task is stopped in a system call
			# shellcheck disable=SC2046
			set -- $(cat "/proc/$p/syscall" 2>/dev/null)
			[ "${1:-}" = 1 ] || continue
			[ "$(readlink "/proc/$p/fd/$(($2))")" = "$mems_file" ] || continue
			m_at_write=$(vmstat pgmigrate_success)
			mems_at_write=$(cat "$mems_file")
			break 2
		done
		sleep 0.05
	done
	wait "$spid"
	rc=$?
	m_end=$(vmstat pgmigrate_success)
	[ "$rc" = 0 ] || fail "hook exit status $rc: $(hook_error "$NH_RUN/hook.err")"
	[ -n "$m_at_write" ] || fail "never saw the hook write cpuset.mems (strace: $(tail -n 3 "$NH_RUN/strace.log"))"
	note "hook: pgmigrate_success +$((m_at_write - m0)) before its write of cpuset.mems (mems then '$mems_at_write')," \
		"+$((m_end - m_at_write)) from the write and the sweep after it; $pages pages in the container"
	grep -a 'pgmigrate\|vmstat' "$NH_RUN/hook.err" | while read -r line; do note "hook debug: $line"; done
	[ $((m_at_write - m0)) -ge $((pages * 99 / 100)) ] || fail "only $((m_at_write - m0)) pages moved before the cpuset.mems write"
	[ $((m_end - m_at_write)) -le $((pages / 100)) ] || fail "the cpuset.mems write or the sweep still moved $((m_end - m_at_write)) pages"
	expect_on_node 1 99 "$(cg_pages "$CG")" "container pages after"
}

# Not part of check-vm (run.sh perf): the hook (both engines) against
# numactl's migratepages on the same 64 MiB workload in the same VM, two
# rounds in rotating order: time, and the worst stall that a probe thread in
# the workload felt (idle stall alongside).  Reports only; fails only if the
# hook leaves pages behind.
t_perf_compare() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	for order in "migratepages migrate_pages move_pages" "move_pages migratepages migrate_pages" \
		"migrate_pages move_pages migratepages"; do
		for who in $order; do
			id=perf-$who-$(now_ms | tr -d .)
			C_ANNOT="\"oci-numa-hook/nodes\": \"1\", \"oci-numa-hook/engine\": \"${who#migratepages}\""
			[ "$who" != migratepages ] || C_ANNOT='"oci-numa-hook/nodes": "1"'
			container_up runc "$id" --anon 64 --threads 2 --probe /tmp/probe
			sleep 1
			touch "$CTMP/probe.reset"
			sleep 1
			idle=$(field max_us "$(cat "$CTMP/probe")")
			touch "$CTMP/probe.reset"
			sleep 0.1
			t0=$(now_ms)
			if [ "$who" = migratepages ]; then
				while read -r p; do
					migratepages "$p" 0 1 || fail "migratepages $p failed"
				done <"$CG/cgroup.procs"
			else
				hook_run poststart "$BUNDLE" "$(runc --root /run/runc state "$id")" "$conf" "$NH_RUN/hook.err" ||
					fail "hook failed: $(hook_error "$NH_RUN/hook.err")"
			fi
			t1=$(now_ms)
			sleep 0.1
			stall=$(field max_us "$(cat "$CTMP/probe")")
			after=$(cg_pages "$CG")
			note "$who: $(ms_between "$t0" "$t1") ms for $(field pages "$after") pages," \
				"$(field N0 "$after") left on node 0; worst stall $((stall / 1000)) ms (idle: $((idle / 1000)) ms)"
			# migratepages ignores pages it could not move (a busy page); the hook may not.
			[ "$who" = migratepages ] || [ "$(field N0 "$after")" = 0 ] || fail "$who left pages on node 0: $after"
			runc --root /run/runc delete -f "$id" >/dev/null 2>&1
		done
	done
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	# Where the hook's time goes: its migrate_pages and cpuset.mems writes, timed.
	container_up runc perf-trace --anon 64 --threads 2
	state=$(runc --root /run/runc state perf-trace)
	t0=$(now_ms)
	(cd "$BUNDLE" && printf '%s' "$state" | env -i strace -f -tt -T -o "$NH_RUN/trace" \
		-e trace=execve,migrate_pages,write,exit_group "$NH_HOOK" hook poststart --config "$conf" 2>/dev/null) ||
		fail "hook under strace failed"
	t1=$(now_ms)
	note "hook under strace: $(ms_between "$t0" "$t1") ms"
	grep -v 'write(2,' "$NH_RUN/trace" | while read -r line; do note "strace: $line"; done
	# Fixed costs: the same run again with nothing left to move, and a
	# container without the annotation (the fast path).
	for i in 1 2; do
		t0=$(now_ms)
		hook_run poststart "$BUNDLE" "$state" "$conf" "$NH_RUN/hook.err" || fail "second hook run failed"
		t1=$(now_ms)
		note "hook again, nothing left to move: $(ms_between "$t0" "$t1") ms ($(summary_of "$NH_RUN/hook.err" | sed 's/.*summary //'))"
	done
	plain=$(echo "$state" | sed 's/"oci-numa-hook\/nodes"/"x"/')
	t0=$(now_ms)
	hook_run poststart "$BUNDLE" "$plain" "$conf" "$NH_RUN/hook.err" || fail "no-annotation run failed"
	t1=$(now_ms)
	t2=$(now_ms)
	/bin/true
	t3=$(now_ms)
	note "no annotation: $(ms_between "$t0" "$t1") ms (exec of /bin/true: $(ms_between "$t2" "$t3") ms)"
}

# The batched move_pages engine (annotation engine=move_pages): every page
# moves although move_pages refuses targets outside the task's cpuset (the
# engine must widen cpuset.mems first); with rate=16M, 32 MiB cannot take
# less than ~2 s.
t_move_pages_engine() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1", "oci-numa-hook/engine": "move_pages"'
	container_up runc batch --anon 64 --threads 2 --child 8
	before=$(cg_pages "$CG")
	t0=$(now_ms)
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state batch)" "$conf" "$NH_RUN/hook.err" ||
		fail "hook failed: $(hook_error "$NH_RUN/hook.err")"
	t1=$(now_ms)
	after=$(cg_pages "$CG")
	note "before: $before; after: $after in $(ms_between "$t0" "$t1") ms; cpuset.mems=$(cat "$CG/cpuset.mems"); $(summary_of "$NH_RUN/hook.err" | sed 's/.*summary //')"
	[ "$(field N0 "$after")" = 0 ] || fail "move_pages engine left pages on node 0: $after"
	[ "$(cat "$CG/cpuset.mems")" = 1 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 1"

	C_ANNOT='"oci-numa-hook/nodes": "1", "oci-numa-hook/engine": "move_pages", "oci-numa-hook/rate": "16M"'
	container_up runc rated --anon 32 --threads 2
	t0=$(now_ms)
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state rated)" "$conf" "$NH_RUN/hook.err" ||
		fail "rated hook failed: $(hook_error "$NH_RUN/hook.err")"
	t1=$(now_ms)
	ms=$(ms_between "$t0" "$t1")
	after=$(cg_pages "$CG")
	note "rate 16M: $after in $ms ms; $(summary_of "$NH_RUN/hook.err" | sed 's/.*summary //')"
	[ "$(field N0 "$after")" = 0 ] || fail "rated move left pages on node 0: $after"
	mib=$(awk -v p="$(field pages "$after")" 'BEGIN { printf "%d", p * 4096 / 1048576 }')
	[ "$ms" -ge $((mib * 1000 * 9 / 160)) ] || fail "$mib MiB moved in $ms ms: faster than the 16M/s cap"

	# mems=keep: move_pages cannot reach a node outside cpuset.mems, and
	# narrowing it back afterwards would move the pages back: refused,
	# before anything changes.
	C_ANNOT='"oci-numa-hook/nodes": "1", "oci-numa-hook/engine": "move_pages", "oci-numa-hook/mems": "keep"'
	container_up runc keep --anon 16
	before=$(cg_pages "$CG")
	rc=0
	hook_run poststart "$BUNDLE" "$(runc --root /run/runc state keep)" "$conf" "$NH_RUN/hook.err" || rc=$?
	after=$(cg_pages "$CG")
	note "mems=keep: exit $rc: $(hook_error "$NH_RUN/hook.err"); after: $after"
	[ "$rc" = 1 ] || fail "mems=keep with move_pages to a node outside cpuset.mems: exit $rc, want 1"
	grep -aEq ': error: .*engine move_pages with mems=keep cannot place pages on node 1' "$NH_RUN/hook.err" ||
		fail "mems=keep: unexpected error: $(hook_error "$NH_RUN/hook.err")"
	[ "$(cat "$CG/cpuset.mems")" = 0 ] || fail "mems=keep: cpuset.mems changed to '$(cat "$CG/cpuset.mems")'"
	[ "$(field N1 "$after")" = 0 ] || fail "mems=keep: pages moved although refused: $after"
}

# The time budget stops each engine cleanly: exit 2 with one error line
# naming the budget, cpuset.mems not written again (the new nodes would have
# the kernel move the rest, the old ones move back what moved, unbounded):
# as it was with migrate_pages, old and new with move_pages (which needed it
# widened); the summary's "moved" equal to the pages that left node 0, and
# `migrate` finishing the work afterwards.
#  migrate_pages: two processes of 96 MiB, one worker, budget 150 ms; one
#    migrate_pages call of 96 MiB takes longer here (0.4-1.3 s under TCG),
#    so the second process is not started.
#  move_pages: 64 MiB capped at 8 MiB/s, budget 1000 ms: stops mid-process.
t_time_budget() {
	need_hook
	for engine in migrate_pages move_pages; do
		conf=$NH_RUN/hook.conf
		hook_conf "$conf" "$NH_RUN/hook.log"
		C_MEMS=0
		C_ANNOT="\"oci-numa-hook/nodes\": \"1\", \"oci-numa-hook/engine\": \"$engine\""
		if [ "$engine" = migrate_pages ]; then
			budget=150
			printf 'workers = 1\ntime-budget-ms = %s\n' "$budget" >>"$conf"
			container_up runc budget-mig --anon 96 --child 96
			id=budget-mig
		else
			budget=1000
			printf 'time-budget-ms = %s\n' "$budget" >>"$conf"
			C_ANNOT="$C_ANNOT, \"oci-numa-hook/rate\": \"8M\""
			container_up runc budget-mov --anon 64 --threads 2
			id=budget-mov
		fi
		before=$(cg_pages "$CG")
		t0=$(now_ms)
		rc=0
		hook_run poststart "$BUNDLE" "$(runc --root /run/runc state $id)" "$conf" "$NH_RUN/hook.err" || rc=$?
		t1=$(now_ms)
		after=$(cg_pages "$CG")
		summary=$(summary_of "$NH_RUN/hook.err")
		moved=$(field moved "$summary")
		gone=$(($(field N0 "$before") - $(field N0 "$after")))
		note "$engine: budget $budget ms: exit $rc in $(ms_between "$t0" "$t1") ms; before $before; after $after;" \
			"cpuset.mems=$(cat "$CG/cpuset.mems"); ${summary#*summary }"
		[ "$rc" = 2 ] || fail "$engine: exit $rc at the time budget, want 2: $(hook_error "$NH_RUN/hook.err")"
		[ "$(grep -ac ': error: ' "$NH_RUN/hook.err")" = 1 ] || fail "$engine: not one error line: $(cat "$NH_RUN/hook.err")"
		grep -aq ': error: stopped at the time budget of '"$budget"' ms' "$NH_RUN/hook.err" ||
			fail "$engine: the error does not name the budget: $(hook_error "$NH_RUN/hook.err")"
		want=0
		[ "$engine" = migrate_pages ] || want=0-1
		[ "$(cat "$CG/cpuset.mems")" = "$want" ] || fail "$engine: cpuset.mems is '$(cat "$CG/cpuset.mems")' after the budget stop, want $want"
		[ "$(field N0 "$after")" -gt 0 ] || fail "$engine: nothing was left on node 0: the budget did not stop the move ($after)"
		[ "$gone" -gt 0 ] || fail "$engine: nothing moved before the budget stop ($after)"
		near "${moved:-x}" "$gone" "$(field pages "$before")" ||
			fail "$engine: the summary says moved=$moved, but $gone pages left node 0"
		"$NH_HOOK" migrate "$id" --to 1 >"$NH_RUN/migrate.txt" 2>&1 ||
			fail "$engine: migrate after the budget stop failed: $(tail -n 2 "$NH_RUN/migrate.txt")"
		after=$(cg_pages "$CG")
		note "$engine: after migrate: $after; cpuset.mems=$(cat "$CG/cpuset.mems")"
		[ "$(field N0 "$after")" = 0 ] || fail "$engine: migrate left pages on node 0: $after"
		[ "$(cat "$CG/cpuset.mems")" = 1 ] || fail "$engine: cpuset.mems is '$(cat "$CG/cpuset.mems")' after migrate, want 1"
	done
}

# The operator commands against the truth: `status` reports the same
# per-node pages as nh-pages, `migrate ID --to 1` moves them all.
t_cli_status_migrate() {
	need_hook
	C_MEMS=0
	container_up runc cli --anon 64 --threads 2 --child 8
	truth=$(cg_pages "$CG")
	"$NH_HOOK" status cli >"$NH_RUN/status.txt" 2>&1 || fail "status failed: $(cat "$NH_RUN/status.txt")"
	"$NH_HOOK" status cli --json >"$NH_RUN/status.json" 2>&1 || fail "status --json failed: $(cat "$NH_RUN/status.json")"
	note "truth: $truth"
	note "status --json: $(cat "$NH_RUN/status.json")"
	status_matches "$truth" "$NH_RUN/status.json"
	t0=$(now_ms)
	"$NH_HOOK" migrate cli --to 1 >"$NH_RUN/migrate.txt" 2>&1 || fail "migrate failed: $(cat "$NH_RUN/migrate.txt")"
	t1=$(now_ms)
	after=$(cg_pages "$CG")
	note "$(grep -a 'moved' "$NH_RUN/migrate.txt" | tail -n 1)"
	note "after migrate ($(ms_between "$t0" "$t1") ms): $after; cpuset.mems=$(cat "$CG/cpuset.mems")"
	[ "$(field N0 "$after")" = 0 ] || fail "migrate left pages on node 0: $after"
	[ "$(cat "$CG/cpuset.mems")" = 1 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 1"
	"$NH_HOOK" status cli --json >"$NH_RUN/status.json" 2>&1 || fail "status --json failed: $(cat "$NH_RUN/status.json")"
	status_matches "$after" "$NH_RUN/status.json"
	# status --all: the container's row, and on cgroup v2 the cgroup's own
	# memory.numa_stat (its 64 MiB of anonymous memory now on node 1).
	"$NH_HOOK" status --all --json >"$NH_RUN/all.json" 2>"$NH_RUN/all.err" || fail "status --all failed: $(cat "$NH_RUN/all.err")"
	row=$(tr '{' '\n' <"$NH_RUN/all.json" | grep -a -A 20 '"id":"cli"' | tr -d '\n')
	note "status --all, row of cli: $(echo "$row" | cut -c 1-400)"
	case $row in
	*'"cpuset_mems":"1"'*) ;;
	*) fail "status --all has no row for cli with cpuset_mems 1: $(cat "$NH_RUN/all.json")" ;;
	esac
	if [ "$NH_CGV" = 2 ]; then
		anon=$(sed -n 's/.*"memory_numa_stat":{"anon":{"0":\([0-9]*\),"1":\([0-9]*\)}.*/\1 \2/p' "$NH_RUN/all.json" | head -n 1)
		note "memory.numa_stat anon (bytes, node 0 and 1): $anon; the kernel's file: $(grep '^anon ' "$CG/memory.numa_stat")"
		[ -n "$anon" ] || fail "no memory_numa_stat in status --all: $(cat "$NH_RUN/all.json")"
		[ "${anon#* }" -ge $((60 * 1024 * 1024)) ] || fail "memory_numa_stat says ${anon#* } bytes of anon on node 1, want >= 60 MiB"
		[ "$(grep '^anon ' "$CG/memory.numa_stat" | sed -n 's/.* N1=\([0-9]*\).*/\1/p')" = "${anon#* }" ] ||
			fail "status --all's anon N1 ${anon#* } differs from the kernel's memory.numa_stat: $(grep '^anon ' "$CG/memory.numa_stat")"
	fi
}

# Fails unless the total_pages of a `status --json` agree with an nh-pages
# line within 1% on nodes 0 and 1.
status_matches() { # NH-PAGES-LINE JSON-FILE
	totals=$(sed -n 's/.*"total_pages":{"0":\([0-9]*\),"1":\([0-9]*\)}.*/\1 \2/p' "$2")
	[ -n "$totals" ] || fail "no total_pages for nodes 0 and 1 in: $(cat "$2")"
	s0=${totals% *}
	s1=${totals#* }
	all=$(field pages "$1")
	if ! near "$s0" "$(field N0 "$1")" "$all" || ! near "$s1" "$(field N1 "$1")" "$all"; then
		fail "status says node0=$s0 node1=$s1 pages, nh-pages says $1"
	fi
}

# A hook that itself runs in a cpuset without the target node: the kernel
# silently drops target nodes outside the *caller's* cpuset, so the hook
# must notice and fail with a clear line instead of reporting success with
# the pages still on node 0.
t_restricted_caller() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	container_up runc restricted --anon 32 --threads 2
	before=$(cg_pages "$CG")
	state=$(runc --root /run/runc state restricted)
	(cd "$BUNDLE" && printf '%s' "$state" |
		on_node 0 env -i "$NH_HOOK" hook poststart --config "$conf" 2>"$NH_RUN/hook.err")
	rc=$?
	after=$(cg_pages "$CG")
	note "hook in a cpuset with mems 0: exit $rc, '$(hook_error "$NH_RUN/hook.err")'; before: $before; after: $after"
	if [ "$rc" = 0 ]; then
		expect_on_node 1 99 "$after" "hook reported success"
	else
		[ "$after" = "$before" ] || fail "pages changed although the hook failed: $before -> $after"
		grep -aq ': error: .*cpuset' "$NH_RUN/hook.err" || fail "the error does not say that the hook's own cpuset is the cause: $(hook_error "$NH_RUN/hook.err")"
	fi
}

# cgroup v1 (nh.cgroup=v1): placement at start, and the migration of a
# running container whose child sits in a sub-cpuset (a v1 child's mems
# must stay inside its parent's); the hook must also have turned on
# cpuset.memory_migrate.
t_v1_start() { placement_at_start runc; }

t_v1_migrate() {
	[ "$NH_CGV" = 1 ] || fail "the VM does not run cgroup v1"
	t_runc_migrate
	[ "$(cat "$CG/cpuset.memory_migrate")" = 1 ] || fail "cpuset.memory_migrate is $(cat "$CG/cpuset.memory_migrate"), want 1"
}
