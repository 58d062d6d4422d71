# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# Fault tests that run inside the NUMA test VM (group "faults", see run.sh):
# what the hook does when the world changes under it.  One function t_NAME
# per test, run like those of vm-tests.sh (whose helpers they use).  The
# moment of each fault is taken from the kernel, not from a sleep: the test
# strikes once the numa_maps of the container's large process show part of
# its pages on the target node and part still on the source, while the hook
# runs.  Neither /proc/PID/syscall (a thread busy inside migrate_pages is
# "running") nor pgmigrate_success (added once at the end of each call)
# can tell.
# Evidence is nh-pages and cgroup files; the hook's own lines are only
# checked for being one clear outcome.
# shellcheck disable=SC2034

# Start the hook in the background as a runtime runs it (empty environment,
# cwd the bundle, state on stdin); HOOK_PID is the hook itself.
hook_bg() { # STAGE BUNDLE STATE CONF ERR
	printf '%s' "$3" >"$NH_RUN/state.json"
	(cd "$2" && exec env -i "$NH_HOOK" hook "$1" --config "$4" <"$NH_RUN/state.json" 2>"$5") &
	HOOK_PID=$!
}

# Pages of process PID on NODE, from its numa_maps.
pages_on() { # PID NODE
	awk -v k="N$2" '{ for (i = 1; i <= NF; i++) { split($i, f, "="); if (f[1] == k) n += f[2] } } END { print n + 0 }' \
		"/proc/$1/numa_maps" 2>/dev/null
}

# Wait until process PID has >= 1024 pages (4 MiB) on NODE while HOOK still
# runs; false if the hook ended first or SECONDS passed.  STRUCK is then
# the process's "N0=.. N1=.." at that moment.
wait_moving() { # HOOK PID NODE SECONDS
	wm_i=0
	while [ "$(pages_on "$2" "$3")" -lt 1024 ]; do
		kill -0 "$1" 2>/dev/null || return 1
		wm_i=$((wm_i + 1))
		[ "$wm_i" -le $(($4 * 20)) ] || return 1
		sleep 0.05
	done
	kill -0 "$1" 2>/dev/null
}

# The hook's stderr, on one line.
hook_lines() { tr '\n' '|' <"$1" | cut -c1-600; }

# The hook ended with status RC and stderr ERR: it did not crash, printed
# nothing but log lines, and told the outcome in one line: at status 0 one
# summary and no error, otherwise exactly one error line (a summary may
# precede it, as when pages were left behind).
check_outcome() { # RC ERR WHAT
	[ "$1" -lt 128 ] || fail "$3: the hook died of signal $(($1 - 128)): $(hook_lines "$2")"
	co_stray=$(grep -av '^oci-numa-hook\[[^]]*\]: [a-z]*: ' "$2" | head -n 1)
	[ -z "$co_stray" ] || fail "$3: the hook printed something that is not a log line: '$co_stray'"
	co_sum=$(grep -ac ': info: summary ' "$2")
	co_err=$(grep -ac ': error: ' "$2")
	if [ "$1" = 0 ]; then
		if [ "$co_sum" != 1 ] || [ "$co_err" != 0 ]; then
			fail "$3: exit 0 with $co_sum summary and $co_err error lines: $(hook_lines "$2")"
		fi
	else
		if [ "$co_err" != 1 ] || [ "$co_sum" -gt 1 ]; then
			fail "$3: exit $1 with $co_err error lines (want exactly 1): $(hook_lines "$2")"
		fi
	fi
}

# Host pid of the workload's child in the container of the last container_up.
workload_child() {
	grep -v "^$CPID\$" "$CG/cgroup.procs" | head -n 1
}

# The target process exits mid-migration: the workload's child (160 MiB of
# its own) is killed while the hook migrates it (part of its pages on
# node 1, part still on node 0).  A process that exits meanwhile is not an error: the
# hook must exit 0 with its summary, and the container's other process (the
# init, 48 MiB) must end with every page on node 1, cpuset.mems 1.
t_target_exits() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	container_up runc exits --anon 48 --child 160 --threads 2
	child=$(workload_child)
	[ -n "$child" ] || fail "the workload's child is not in $CG"
	before=$(cg_pages "$CG")
	expect_on_node 0 99 "$before" "before the hook"
	hook_bg poststart "$BUNDLE" "$(runc --root /run/runc state exits)" "$conf" "$NH_RUN/hook.err"
	t0=$(now_ms)
	wait_moving "$HOOK_PID" "$child" 1 60 ||
		fail "the hook ended before the child's pages began to move: $(hook_lines "$NH_RUN/hook.err")"
	on0=$(pages_on "$child" 0)
	on1=$(pages_on "$child" 1)
	kill -9 "$child"
	t1=$(now_ms)
	[ "$on0" -gt 0 ] || fail "the child's migration was over before it could be killed (N0=$on0 N1=$on1): a smaller share should be waited for"
	wait "$HOOK_PID"
	rc=$?
	t2=$(now_ms)
	left=$(nh-pages "$CPID" | sed -n 's/^total //p')
	note "before: $before; child $child killed $(ms_between "$t0" "$t1") ms into the run, its migration under way" \
		"(N0=$on0 N1=$on1); hook exit $rc $(ms_between "$t1" "$t2") ms later: $(hook_lines "$NH_RUN/hook.err")"
	note "after: init $CPID: $left; cgroup: $(cg_pages "$CG"); cpuset.mems=$(cat "$CG/cpuset.mems")"
	[ ! -d "/proc/$child" ] || [ "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$child/status")" = Z ] ||
		fail "the child $child survived kill -9"
	check_outcome "$rc" "$NH_RUN/hook.err" "target exited"
	[ "$rc" = 0 ] || fail "exit $rc, but a process that exits meanwhile is not an error: $(hook_error "$NH_RUN/hook.err")"
	[ "$(field N0 "$left")" = 0 ] || fail "the init of the container still has pages on node 0: $left"
	expect_on_node 1 99 "$left" "the init of the container"
	[ "$(cat "$CG/cpuset.mems")" = 1 ] || fail "cpuset.mems is '$(cat "$CG/cpuset.mems")', want 1"
}

# Every process of the container exits while the hook migrates (cgroup.kill
# while the init's 160 MiB are part on node 0, part on node 1; the cgroup
# stays, as it does until the runtime deletes the container).  The hook must end on
# its own, promptly, with status 0 (summary) or 2 (one error line), and
# leave cpuset.mems old (0) or new (1).  A second run for the dead
# container must exit 2 ("process gone") with one error line naming the pid.
t_all_exit() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	container_up runc allexit --anon 160 --child 32 --threads 2
	state=$(runc --root /run/runc state allexit)
	hook_bg poststart "$BUNDLE" "$state" "$conf" "$NH_RUN/hook.err"
	t0=$(now_ms)
	wait_moving "$HOOK_PID" "$CPID" 1 60 ||
		fail "the hook ended before the init's pages began to move: $(hook_lines "$NH_RUN/hook.err")"
	struck="N0=$(pages_on "$CPID" 0) N1=$(pages_on "$CPID" 1)"
	echo 1 >"$CG/cgroup.kill" || fail "cannot write $CG/cgroup.kill"
	t1=$(now_ms)
	[ "$(field N0 "$struck")" -gt 0 ] || fail "struck too late: the init had already moved ($struck)"
	wait "$HOOK_PID"
	rc=$?
	t2=$(now_ms)
	mems=$(cat "$CG/cpuset.mems")
	note "killed every process $(ms_between "$t0" "$t1") ms into the run, the init's migration under way ($struck); hook exit $rc $(ms_between "$t1" "$t2") ms later:" \
		"$(hook_lines "$NH_RUN/hook.err"); processes left: $(wc -l <"$CG/cgroup.procs"); cpuset.mems=$mems"
	check_outcome "$rc" "$NH_RUN/hook.err" "all processes exited"
	case $rc in 0 | 2) ;; *) fail "exit status $rc, want 0 or 2" ;; esac
	case $mems in 0 | 1) ;; *) fail "cpuset.mems is '$mems', neither the old 0 nor the new 1" ;; esac
	[ "$(ms_between "$t1" "$t2")" -lt 30000 ] || fail "the hook took $(ms_between "$t1" "$t2") ms to notice"

	hook_run poststart "$BUNDLE" "$state" "$conf" "$NH_RUN/hook2.err"
	rc=$?
	note "again for the dead container: exit $rc: $(hook_lines "$NH_RUN/hook2.err")"
	check_outcome "$rc" "$NH_RUN/hook2.err" "dead container"
	[ "$rc" = 2 ] || fail "a run for a container whose process is gone exits $rc, want 2"
	pid=$(echo "$state" | sed -n 's/^ *"pid": *\([0-9]*\),*$/\1/p')
	grep -a ': error: ' "$NH_RUN/hook2.err" | grep -q "\b$pid\b" ||
		fail "the error line does not name the process $pid: $(hook_error "$NH_RUN/hook2.err")"
}

# The container's cgroup is removed while the hook runs: the hook is
# stopped (SIGSTOP) while it migrates the container's init, every
# process of the container is killed, its cgroup removed and at once
# created again at the same path with a process of its own (as a new
# container with the same id would get it); then the hook continues.
# It must exit 2 with one error line, and touch nothing outside the
# container it was called for: the new cgroup at the old path, a bystander
# container and the parent cgroup keep their pages and cgroup files.
t_cgroup_removed() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	container_up runc bystander --anon 16 --threads 1
	by_cg=$CG
	by_pages=$(cg_pages "$CG")
	by_files=$(cg_snapshot "$CG")
	parent_files=$(cg_snapshot "$NH_CG")
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	container_up runc doomed --anon 160 --child 32 --threads 2
	hook_bg poststart "$BUNDLE" "$(runc --root /run/runc state doomed)" "$conf" "$NH_RUN/hook.err"
	wait_moving "$HOOK_PID" "$CPID" 1 60 ||
		fail "the hook ended before the init's pages began to move: $(hook_lines "$NH_RUN/hook.err")"
	kill -STOP "$HOOK_PID"
	struck="N0=$(pages_on "$CPID" 0) N1=$(pages_on "$CPID" 1)"
	note "hook stopped while the init's pages moved ($struck)"
	[ "$(field N0 "$struck")" -gt 0 ] || fail "struck too late: the init had already moved ($struck)"
	echo 1 >"$CG/cgroup.kill" || fail "cannot write $CG/cgroup.kill"
	i=0
	until grep -q '^populated 0' "$CG/cgroup.events"; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || fail "the container's processes did not die: $(cat "$CG/cgroup.procs")"
		sleep 0.1
	done
	find "$CG" -mindepth 1 -depth -type d -exec rmdir {} \;
	rmdir "$CG" || fail "cannot remove $CG"
	# A new cgroup at the same path, with a process whose pages are on node 0.
	start_in_cgroup doomed "$(node_cpus 0)" 0 /nh/bin/nh-workload --anon 16 --threads 1 --ready "$NH_RUN/new.ready"
	wait_file "$NH_RUN/new.ready" 60 || fail "the process of the new cgroup is not ready: $(cat "$NH_RUN/doomed.log")"
	new_pages=$(cg_pages "$CG")
	new_files=$(cg_snapshot "$CG")
	t0=$(now_ms)
	kill -CONT "$HOOK_PID"
	wait "$HOOK_PID"
	rc=$?
	t1=$(now_ms)
	note "hook continued after the removal: exit $rc in $(ms_between "$t0" "$t1") ms: $(hook_lines "$NH_RUN/hook.err")"
	note "new cgroup at the old path: $new_pages -> $(cg_pages "$CG"); bystander: $by_pages -> $(cg_pages "$by_cg")"
	check_outcome "$rc" "$NH_RUN/hook.err" "cgroup removed"
	[ "$rc" = 2 ] || fail "exit status $rc after the container's cgroup was removed, want 2"
	[ "$(cg_pages "$CG")" = "$new_pages" ] || fail "the new cgroup's pages changed: $new_pages -> $(cg_pages "$CG")"
	[ "$(cg_snapshot "$CG")" = "$new_files" ] || fail "the new cgroup's files changed: $new_files -> $(cg_snapshot "$CG")"
	[ "$(cg_pages "$by_cg")" = "$by_pages" ] || fail "the bystander's pages changed: $by_pages -> $(cg_pages "$by_cg")"
	[ "$(cg_snapshot "$by_cg")" = "$by_files" ] || fail "the bystander's cgroup files changed"
	[ "$(cg_snapshot "$NH_CG")" = "$parent_files" ] || fail "the parent cgroup's files changed: $parent_files -> $(cg_snapshot "$NH_CG")"
}

# Without CAP_SYS_NICE (nh-nocap drops it from every set, then execs the
# hook):
#  a) a container confined to node 0, nodes=1: the kernel refuses
#     migrate_pages to a node outside the task's cpuset.  The hook must exit
#     2 with one error line naming the permission, and change no page and no
#     cgroup file;
#  b) cpuset.mems 0-1, nodes=1, mems=keep, and a tmpfs file mapped by both
#     processes of the workload: migrate_pages is allowed but moves only
#     pages mapped once.  Either every page ends on node 1 and the hook
#     exits 0, or it must say so: one error line, non-zero status.
t_no_sys_nice() {
	need_hook
	caps=$(nh-nocap sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status) || fail "nh-nocap failed"
	mine=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
	[ $((0x$mine & 0x800000)) != 0 ] || fail "the test itself lacks CAP_SYS_NICE (CapEff $mine)"
	[ $((0x$caps & 0x800000)) = 0 ] || fail "nh-nocap left CAP_SYS_NICE in the bounding set ($caps)"
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"

	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	container_up runc nonice --anon 32 --child 8 --threads 2
	before=$(cg_pages "$CG")
	files=$(cg_snapshot "$CG")
	(cd "$BUNDLE" && runc --root /run/runc state nonice | env -i /nh/bin/nh-nocap "$NH_HOOK" hook poststart \
		--config "$conf" 2>"$NH_RUN/hook.err")
	rc=$?
	after=$(cg_pages "$CG")
	note "a) mems 0, nodes=1 without CAP_SYS_NICE (CapBnd $caps): exit $rc: $(hook_lines "$NH_RUN/hook.err");" \
		"pages $before -> $after; cpuset.mems=$(cat "$CG/cpuset.mems")"
	check_outcome "$rc" "$NH_RUN/hook.err" "a) without CAP_SYS_NICE"
	[ "$rc" = 2 ] || fail "a) exit status $rc without CAP_SYS_NICE, want 2"
	grep -a ': error: ' "$NH_RUN/hook.err" | grep -qi 'CAP_SYS_NICE\|permi' ||
		fail "a) the error does not name the missing permission: $(hook_error "$NH_RUN/hook.err")"
	[ "$after" = "$before" ] || fail "a) pages changed although the hook failed: $before -> $after"
	[ "$(cg_snapshot "$CG")" = "$files" ] || fail "a) cgroup files changed: $files -> $(cg_snapshot "$CG")"

	# On the CPU of node 0, so that the first touch puts every page there.
	C_MEMS=0-1
	C_CPUS=$(node_cpus 0)
	C_ANNOT='"oci-numa-hook/nodes": "1", "oci-numa-hook/mems": "keep"'
	container_up runc shared --anon 16 --file 16 --file-path /tmp/shared --child 8 --threads 1
	file=$(region file)
	before=$(cg_pages "$CG")
	expect_on_node 0 99 "$before" "b) before the hook"
	(cd "$BUNDLE" && runc --root /run/runc state shared | env -i /nh/bin/nh-nocap "$NH_HOOK" hook poststart \
		--config "$conf" 2>"$NH_RUN/hook.err")
	rc=$?
	after=$(cg_pages "$CG")
	note "b) mems 0-1, nodes=1, mems=keep without CAP_SYS_NICE: exit $rc: $(hook_lines "$NH_RUN/hook.err");" \
		"pages $before -> $after (shared file: $(cg_pages "$CG" --range "$file")); cpuset.mems=$(cat "$CG/cpuset.mems")"
	check_outcome "$rc" "$NH_RUN/hook.err" "b) without CAP_SYS_NICE"
	[ "$(cat "$CG/cpuset.mems")" = 0-1 ] || fail "b) mems=keep changed cpuset.mems to '$(cat "$CG/cpuset.mems")'"
	if [ "$rc" = 0 ] && [ "$(field N0 "$after")" != 0 ]; then
		while read -r p; do
			grep -a 'N0=' "/proc/$p/numa_maps" | while read -r m; do note "b) pid $p still on node 0: $m"; done
		done <"$CG/cgroup.procs"
	fi
	if [ "$rc" = 0 ]; then
		[ "$(field N0 "$after")" = 0 ] ||
			fail "b) exit 0 and no error, but $(field N0 "$after") pages are still on node 0 ($after; shared file: $(cg_pages "$CG" --range "$file"))"
	else
		grep -a ': error: ' "$NH_RUN/hook.err" | grep -qi 'CAP_SYS_NICE\|permi\|not.*moved\|left' ||
			fail "b) the error line says neither why nor what was left: $(hook_error "$NH_RUN/hook.err")"
	fi
}

# Memory blocks of a node, as sysfs directories.
node_blocks() { ls -d /sys/devices/system/node/node"$1"/memory[0-9]* 2>/dev/null; }

# Set the state (online_movable | offline) of every memory block of NODE;
# prints what failed.
node_memory() { # NODE STATE
	for b in $(node_blocks "$1"); do
		[ "$(cat "$b/state")" = "${2%_movable}" ] && continue
		echo "$2" 2>"$NH_RUN/block.err" >"$b/state" || echo "$(basename "$b"): $(cat "$NH_RUN/block.err")"
	done
}

# True if NODE is in a node list such as 0-1,3.
in_list() { # NODE LIST
	echo "$2" | awk -v n="$1" -F, '{ for (i = 1; i <= NF; i++) { k = split($i, r, "-"); if (n >= r[1] && n <= r[k]) f = 1 } } END { exit !f }'
}

has_memory() { in_list "$1" "$(cat /sys/devices/system/node/has_memory)"; }

# Node 2 of this VM has no CPU; its memory is a pc-dimm (256 MiB) whose
# blocks the kernel leaves offline at boot.
#  a) its blocks brought online (online_movable): a memory-only node the
#     admin does not allow (allowed-nodes = 0-1) as the target: exit 1, one
#     error line naming node 2, no page or cgroup file changed;
#  b) its blocks taken offline again (the kernel can: they are movable and
#     empty), so node 2 is online without memory: exit 1, one error line
#     naming node 2, nothing changed.
t_node_offline() {
	need_hook
	[ -d /sys/devices/system/node/node2 ] || fail "no node 2 in this VM (topology: $(cat /sys/devices/system/node/online))"
	[ -z "$(node_cpus 2)" ] || fail "node 2 has CPUs ($(node_cpus 2)): wrong VM topology"
	[ -n "$(node_blocks 2)" ] || fail "node 2 has no memory blocks (pc-dimm missing?)"
	bad=$(node_memory 2 online_movable)
	[ -z "$bad" ] || fail "cannot online the memory of node 2: $bad"
	has_memory 2 || fail "node 2 has no memory after onlining its blocks (has_memory $(cat /sys/devices/system/node/has_memory))"
	note "node 2: $(node_blocks 2 | wc -l) memory blocks online (movable); has_memory $(cat /sys/devices/system/node/has_memory)"

	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "2"'
	container_up runc offline --anon 16 --threads 1
	before=$(cg_pages "$CG")
	files=$(cg_snapshot "$CG")
	state=$(runc --root /run/runc state offline)

	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	echo 'allowed-nodes = 0-1' >>"$conf"
	refused_unchanged a "memory-only node 2, allowed-nodes = 0-1" "node not allowed" \
		"a node the admin does not allow" 'node 2 .*allowed' "node 2 is not allowed"

	bad=$(node_memory 2 offline)
	[ -z "$bad" ] || fail "the kernel refused to offline the memory of node 2: $bad"
	! has_memory 2 || fail "node 2 still has memory after offlining its blocks"
	note "node 2 offline: online nodes $(cat /sys/devices/system/node/online), with memory $(cat /sys/devices/system/node/has_memory)"
	hook_conf "$conf" "$NH_RUN/hook.log"
	refused_unchanged b "node 2 without memory" "node without memory" \
		"a node without memory" 'node 2 .*memory' "node 2 has no memory"
}

# Runs the hook on $state with $conf and fails unless it exits 1 with one
# error line matching PATTERN and leaves the pages ($before) and the cgroup
# files ($files) as they were.
refused_unchanged() { # PART NOTE OUTCOME-WHAT EXIT-WHAT PATTERN ERROR-WHAT
	hook_run poststart "$BUNDLE" "$state" "$conf" "$NH_RUN/hook.err"
	rc=$?
	note "$1) $2: exit $rc: $(hook_lines "$NH_RUN/hook.err")"
	check_outcome "$rc" "$NH_RUN/hook.err" "$1) $3"
	[ "$rc" = 1 ] || fail "$1) exit status $rc for $4, want 1"
	grep -a ': error: ' "$NH_RUN/hook.err" | grep -q "$5" ||
		fail "$1) the error does not say that $6: $(hook_error "$NH_RUN/hook.err")"
	[ "$(cg_pages "$CG")" = "$before" ] || fail "$1) pages changed: $before -> $(cg_pages "$CG")"
	[ "$(cg_snapshot "$CG")" = "$files" ] || fail "$1) cgroup files changed"
}

# The hook is SIGKILLed (as a runtime does at its timeout) while it moves
# the container's init (160 MiB, part of it already on node 1), with the
# engine migrate_pages and with move_pages.  Afterwards the container's cpuset.mems must be the old (0)
# or the new (1) value, never something else; the hook run again must
# exit 0 with every page on node 1 and cpuset.mems 1; and a third run
# must exit 0 too (idempotent).
t_hook_sigkill() {
	need_hook
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	C_MEMS=0
	problems=
	for engine in migrate_pages move_pages; do
		C_ANNOT="\"oci-numa-hook/nodes\": \"1\", \"oci-numa-hook/engine\": \"$engine\""
		id=kill-${engine%_pages}
		container_up runc "$id" --anon 160 --child 32 --threads 2
		state=$(runc --root /run/runc state "$id")
		hook_bg poststart "$BUNDLE" "$state" "$conf" "$NH_RUN/hook.err"
		wait_moving "$HOOK_PID" "$CPID" 1 60 ||
			fail "$engine: the hook ended before the init's pages began to move: $(hook_lines "$NH_RUN/hook.err")"
		struck="N0=$(pages_on "$CPID" 0) N1=$(pages_on "$CPID" 1)"
		kill -9 "$HOOK_PID"
		[ "$(field N0 "$struck")" -gt 0 ] || fail "$engine: struck too late: the init had already moved ($struck)"
		wait "$HOOK_PID"
		rc=$?
		mems=$(cat "$CG/cpuset.mems")
		mid=$(cg_pages "$CG")
		note "$engine: SIGKILL while the init's pages moved ($struck): exit $rc; cpuset.mems=$mems; pages then $mid"
		[ "$rc" = 137 ] || fail "$engine: the hook was not killed by the SIGKILL (exit $rc)"
		# migrate_pages: the old or the new set. move_pages first widens the
		# cgroup to old and new (the kernel refuses pages outside a task's
		# cpuset), so a kill in its window may also leave 0-1 — still
		# holding the old node; the runs below must finish the job.
		allowed="0 1"
		[ "$engine" = move_pages ] && allowed="0 1 0-1"
		case " $allowed " in
		*" $mems "*) ;;
		*) problems="$problems; $engine: cpuset.mems is '$mems' after the SIGKILL, not one of: $allowed" ;;
		esac
		for run in 2 3; do
			t0=$(now_ms)
			hook_run poststart "$BUNDLE" "$state" "$conf" "$NH_RUN/hook.err"
			rc=$?
			t1=$(now_ms)
			after=$(cg_pages "$CG")
			note "$engine: run $run: exit $rc in $(ms_between "$t0" "$t1") ms: $(summary_of "$NH_RUN/hook.err" | sed 's/.*summary //')$(hook_error "$NH_RUN/hook.err" | grep ': error: ');" \
				"pages $after; cpuset.mems=$(cat "$CG/cpuset.mems")"
			check_outcome "$rc" "$NH_RUN/hook.err" "$engine: run $run after the SIGKILL"
			[ "$rc" = 0 ] || fail "$engine: run $run after the SIGKILL exits $rc: $(hook_error "$NH_RUN/hook.err")"
			[ "$(field N0 "$after")" = 0 ] || fail "$engine: run $run left pages on node 0: $after"
			[ "$(cat "$CG/cpuset.mems")" = 1 ] || fail "$engine: run $run left cpuset.mems '$(cat "$CG/cpuset.mems")', want 1"
		done
		runc --root /run/runc delete -f "$id" >/dev/null 2>&1
	done
	[ -z "$problems" ] || fail "${problems#; }"
}

# Collects the reasons of the first three failures of runc-load.
add_failure() {
	nfailed=$((nfailed + 1))
	[ "$nfailed" -gt 3 ] || failed="$failed; $1"
}

# Under load (group "load"): 50 annotated runc containers started at once
# (runc run -d in parallel), the hook in their config.json at createRuntime
# and poststart, nodes=1, each confined to node 0 by its config and
# allocating 2 MiB.  They share one read-only cold image (a fresh ext2 loop
# mount), so the page cache they fault in is allocated under their cpuset.
# Every runc must exit 0; every container must have cpuset.mems 1 and
# >= 99 % of its pages on node 1, and two summary lines (one per stage) and
# no error line in the hook's log.
# TCG runs this VM one to two orders of magnitude slower than hardware, and
# at createRuntime the hook moves runc init's memory (a memfd copy of the
# runc binary): 10 containers at once already saw createRuntime runs of
# 4-44 s.  So the runtime's hook timeout (60 s in hook_entry) and the
# hook's time budget (50 s) are both scaled by 10 here.
t_runc_load() {
	need_hook
	n=$(nh_param load || echo 50)
	conf=$NH_RUN/hook.conf
	hook_conf "$conf" "$NH_RUN/hook.log"
	echo 'time-budget-ms = 500000' >>"$conf"
	cold_image || fail "cannot build the ext2 image of the rootfs"
	shared=$NH_RUN/load-rootfs
	mkdir -p "$shared"
	mount -o loop,ro "$NH_IMAGE" "$shared" || fail "cannot mount $NH_IMAGE (loop)"
	C_MEMS=0
	C_COLD=1 # read-only root
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	C_HOOKS="\"createRuntime\": [$(hook_entry createRuntime "$conf")], \"poststart\": [$(hook_entry poststart "$conf")]"
	k=1
	while [ "$k" -le "$n" ]; do
		id=load-$k
		b=$NH_RUN/bundles/$id
		mkdir -p "$b"
		config_write "$b" "$id" "$(json_args /bin/nh-workload --anon 2 --threads 1 --ready /tmp/ready)"
		sed -i -e "s|\"path\": \"rootfs\"|\"path\": \"$shared\"|" -e 's|"timeout": 60}|"timeout": 600}|g' "$b/config.json"
		k=$((k + 1))
	done
	grep -q '"timeout": 600}' "$NH_RUN/bundles/load-1/config.json" || fail "could not raise the hook timeout in config.json"
	note "$n bundles written; free memory $(sed -n 's/^MemAvailable: *//p' /proc/meminfo)"
	t0=$(now_ms)
	k=1
	while [ "$k" -le "$n" ]; do
		b=$NH_RUN/bundles/load-$k
		(runc --root /run/runc run -d --no-pivot --bundle "$b" "load-$k" >"$b/runtime.log" 2>&1 </dev/null
			echo $? >"$b/rc") &
		k=$((k + 1))
	done
	wait
	t1=$(now_ms)
	note "$n x runc run -d at once: all returned after $(ms_between "$t0" "$t1") ms"
	failed=
	nfailed=0
	ok=0
	k=1
	while [ "$k" -le "$n" ]; do
		id=load-$k
		b=$NH_RUN/bundles/$id
		k=$((k + 1))
		if [ "$(cat "$b/rc")" != 0 ]; then
			add_failure "$id: runc exit $(cat "$b/rc"): $(tail -n 1 "$b/runtime.log" | cut -c1-200)"
			continue
		fi
		# runc's own state file: much faster than 50 x `runc state`
		pid=$(sed -n 's/.*"init_process_pid":\([0-9]*\).*/\1/p' "/run/runc/$id/state.json")
		if [ -z "$pid" ] || ! wait_file "/proc/$pid/root/tmp/ready" 20; then
			add_failure "$id: workload not ready (pid '$pid', $(sed -n 's/^State:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null || echo gone)): $(tail -n 2 "$b/runtime.log" | tr '\n' ' ' | cut -c1-200)"
			continue
		fi
		cg=$(ctr_cgroup "$id")
		mems=$(cat "$cg/cpuset.mems")
		pages=$(cg_pages "$cg")
		sums=$(grep -ac "oci-numa-hook\[$id\]: info: summary " "$NH_RUN/hook.log")
		errs=$(grep -ac "oci-numa-hook\[$id\]: error: " "$NH_RUN/hook.log")
		on1=$(field N1 "$pages")
		all=$(field pages "$pages")
		if [ "$mems" != 1 ] || [ "${all:-0}" = 0 ] || [ $((on1 * 100)) -lt $((all * 99)) ] ||
			[ "$sums" != 2 ] || [ "$errs" != 0 ]; then
			add_failure "$id: cpuset.mems=$mems pages $pages, $sums summaries, $errs errors"
			continue
		fi
		ok=$((ok + 1))
		[ "$(field N0 "$pages")" = 0 ] || note "$id: $(field N0 "$pages") of $all pages on node 0"
	done
	note "$ok of $n containers ran with cpuset.mems 1 and their pages on node 1; hook log: $(grep -ac ': info: summary ' "$NH_RUN/hook.log") summaries, $(grep -ac ': error: ' "$NH_RUN/hook.log") errors"
	note "hook run times (ms=): $(grep -a ': info: summary ' "$NH_RUN/hook.log" | sed -n 's/.* ms=\([0-9]*\).*/\1/p' | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "median %d, max %d", a[int((NR + 1) / 2)], a[NR] }')"
	# The hook's own words for the first failures (runc's line is cut short).
	grep -a ': error: ' "$NH_RUN/hook.log" | head -n 5 | while read -r line; do note "hook error: $line"; done
	# Faster than $n x `runc delete -f` (a second each under TCG): kill them
	# all, drop runc's state; nh_cleanup removes the cgroups.
	echo 1 >"$NH_CG/cgroup.kill"
	k=1
	while [ "$k" -le "$n" ]; do
		rm -rf "/run/runc/load-$k"
		k=$((k + 1))
	done
	[ "$nfailed" = 0 ] || fail "$nfailed of $n containers failed; the first: ${failed#; }"
}
