# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# The benchmarks that run inside the NUMA test VM (busybox sh), sourced by
# /nh/bench/init after the test bed's vm-lib.sh.  One function b_NAME per
# benchmark; the host runner (bench/run.sh) names them with nh.bench=.
# Each prints "metric NAME VALUE UNIT" lines (the figures) and "# ..."
# lines (every single measurement, for the record).  Baselines run in the
# same VM boot, on the same workload, interleaved with the hook's runs.
# shellcheck disable=SC2034

BENCH=/run/bench   # survives nh_cleanup, which empties $NH_RUN
ROUNDS=$(nh_param rounds 2>/dev/null || echo 5)
# P4 and P5 are slower per round: at most 3 rounds.
ROUNDS3=$((ROUNDS < 3 ? ROUNDS : 3))

metric() { echo "metric $1 $2 $3"; }
bnote() { echo "# $NH_TEST: $*"; }

# Median of numbers, one per line on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print v[int((NR + 1) / 2)] }'; }
minimum() { sort -n | head -n 1; }
maximum() { sort -n | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "nan" }'; }

# The order of VARIANTS for round R: rotated by R, so that no variant
# always runs first (page cache, allocator state, host noise).
rotate() { # R WORD...
	r=$1
	shift
	n=$#
	i=0
	out=
	while [ "$i" -lt "$n" ]; do
		k=$(((i + r) % n + 1))
		eval "out=\"\$out \${$k}\""
		i=$((i + 1))
	done
	echo "$out"
}

# ------------------------------------------------------------------ pieces
# A workload in its own cgroup /nh/NAME (cpus 0-1, mems 0: every page on
# node 0): nh-bench work MIB [options].  Sets WPID.
work_up() { # NAME MIB [nh-bench work options]
	name=$1
	mib=$2
	shift 2
	rm -f "$NH_RUN/$name.ready"
	start_in_cgroup "$name" "$(cat /sys/devices/system/cpu/online)" 0 \
		/nh/bench/nh-bench work --mib "$mib" --threads 2 --ready "$NH_RUN/$name.ready" "$@"
	wait_file "$NH_RUN/$name.ready" 120 || fail "workload $name not ready: $(cat "$NH_RUN/$name.log")"
	WPID=$(field pid "$(cat "$NH_RUN/$name.ready")")
}

# N processes x T threads x KiB in cgroup /nh/NAME (created if needed,
# cpuset.mems MEMS).  Adds to what is there.
farm_up() { # NAME PROCS THREADS KIB MEMS
	rm -f "$NH_RUN/$1.farm.ready"
	start_in_cgroup "$1" "$(cat /sys/devices/system/cpu/online)" "$5" \
		/nh/bench/nh-bench farm --procs "$2" --threads "$3" --kib "$4" --ready "$NH_RUN/$1.farm.ready"
	wait_file "$NH_RUN/$1.farm.ready" 300 || fail "farm $1 not ready: $(cat "$NH_RUN/$1.log")"
}

# An admin configuration: log to LOG, plus the lines of V_CONF (';'
# between lines; set by variant).
bench_conf() { # PATH LOG
	printf 'log-file = %s\nlog-level = info\n' "$2" >"$1"
	[ -z "${V_CONF:-}" ] || echo "$V_CONF" | tr ';' '\n' >>"$1"
}

# What the hook is asked for in a run named WHO: V_ANN (annotations besides
# nodes), V_CONF (admin configuration lines) and V_HOOK (another binary).  migrate_pages and
# move_pages are the two engines with default settings; move_pages_b50 has
# batch-time-ms 50, move_pages_w2 and _w4 2 and 4 workers; variant_extra
# (none here) may define more.
variant() { # WHO
	V_CONF=
	V_HOOK=
	V_ANN="\"oci-numa-hook/engine\": \"$1\""
	case $1 in
	migrate_pages | move_pages) ;;
	# The move_pages engine with other settings, to choose its defaults.
	move_pages_b50) V_ANN="\"oci-numa-hook/engine\": \"move_pages\"" V_CONF="batch-time-ms = 50" ;;
	move_pages_w2 | move_pages_w4)
		V_ANN="\"oci-numa-hook/engine\": \"move_pages\""
		V_CONF="workers = ${1#move_pages_w}"
		;;
	*) variant_extra "$1" || fail "unknown variant $1" ;;
	esac
}
variant_extra() { return 1; }

# The OCI state a runtime would give the hook for the container NAME (its
# cgroup is /nh/NAME: the id is in the path, as with runc's default).
state_write() { # FILE NAME PID ANNOTATIONS-BODY
	printf '{"ociVersion": "1.0.2", "id": "%s", "status": "running", "pid": %s, "bundle": "%s", "annotations": {%s}}' \
		"$2" "$3" "$NH_RUN" "$4" >"$1"
}

# Run a command under nh-bench run; sets RUN_MS, RUN_RSS (KiB), RUN_RC.
timed() { # [--stdin FILE] [--out FILE] -- CMD...
	line=$(/nh/bench/nh-bench run "$@")
	RUN_MS=$(awk -v us="$(field wall_us "$line")" 'BEGIN { printf "%.1f\n", us / 1000 }')
	RUN_RSS=$(field maxrss_kb "$line")
	RUN_RC=$(field status "$line")
}

# The hook as a runtime runs it, on container NAME (pid PID) with the
# annotations; sets RUN_* and SUMMARY.  Fails unless it exits 0.
hook_on() { # NAME PID CONF ANNOTATIONS-BODY
	state_write "$NH_RUN/$1.state" "$1" "$2" "$4"
	timed --stdin "$NH_RUN/$1.state" --out "$NH_RUN/$1.err" -- "${V_HOOK:-$NH_HOOK}" hook poststart --config "$3"
	SUMMARY=$(summary_of "$NH_RUN/$1.err" | sed 's/.*summary //')
	[ "$RUN_RC" = 0 ] || fail "hook on $1 exited $RUN_RC: $(hook_error "$NH_RUN/$1.err")"
}

# Kill every process of a cgroup and remove it (its memory is free after).
cg_gone() { # CGROUP
	if [ "$NH_CGV" = 1 ]; then
		# shellcheck disable=SC2046 # one word per pid
		kill -9 $(cat "$1/cgroup.procs") 2>/dev/null
	else
		echo 1 >"$1/cgroup.kill"
	fi
	i=0
	while ! rmdir "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 600 ] || fail "cannot remove $1: $(wc -l <"$1/cgroup.procs") processes left"
		sleep 0.05
	done
}

# Pages of a cgroup tree still on node N.
left_on() { field "N$2" "$(cg_pages "$1")"; }

# The probe figures of workload ID (pid $WPID, started with --probe
# $NH_RUN/ID.probe) since its last SIGUSR1.
probe_report() { # ID
	rm -f "$NH_RUN/$1.probe"
	kill -USR2 "$WPID"
	wait_file "$NH_RUN/$1.probe" 30 || fail "no probe report from $WPID"
	cat "$NH_RUN/$1.probe"
}

# Record one measurement: KEY VALUE goes to $BENCH/KEY (one per line).
record() { echo "$2" >>"$BENCH/$1"; }
values() { cat "$BENCH/$1" 2>/dev/null; }

# metric lines for a recorded series: NAME_ms (median), NAME_min_ms, NAME_max_ms
series_metrics() { # KEY UNIT
	metric "$1" "$(values "$1" | median)" "$2"
	metric "$1_min" "$(values "$1" | minimum)" "$2"
	metric "$1_max" "$(values "$1" | maximum)" "$2"
}

# ------------------------------------------------------------------ one move
# Move a fresh single-process workload of MIB from node 0 to node 1 with
# WHO (migratepages, migrate_pages, move_pages, or any name given a config
# by variant_extra); records KEY_<who>.
# Optional probe (P5): records the probe's worst iteration and gap too.
move_one() { # KEY WHO MIB [probe]
	key=$1 who=$2 mib=$3 probe=${4:-}
	id=$key-$who
	if [ -n "$probe" ]; then
		# shellcheck disable=SC2086 # options, one word each
		work_up "$id" "$mib" --probe "$NH_RUN/$id.probe" ${WORK_OPTS:-}
		sleep 0.5
		kill -USR1 "$WPID"
		sleep 0.2
	else
		# shellcheck disable=SC2086 # options, one word each
		work_up "$id" "$mib" ${WORK_OPTS:-}
	fi
	huge=$(sed -n 's/^AnonHugePages: *\([0-9]*\) kB/\1/p' "/proc/$WPID/smaps_rollup")
	cg=$NH_CG/$id
	before=$(cg_pages "$cg")
	case $who in
	migratepages)
		timed -- /usr/bin/migratepages "$WPID" 0 1
		[ "$RUN_RC" = 0 ] || fail "migratepages $WPID 0 1 exited $RUN_RC"
		SUMMARY=-
		;;
	*)
		conf=$NH_RUN/$id.conf
		variant "$who"
		bench_conf "$conf" "$NH_RUN/$id.log"
		hook_on "$id" "$WPID" "$conf" "\"oci-numa-hook/nodes\": \"1\", $V_ANN"
		;;
	esac
	ms=$RUN_MS
	if [ -n "$probe" ]; then
		p=$(probe_report "$id") || fail "no probe report from $WPID"
		record "${key}_stall_$who" "$(awk -v us="$(field max_us "$p")" 'BEGIN { printf "%.1f\n", us / 1000 }')"
		record "${key}_gap_$who" "$(awk -v us="$(field max_gap_us "$p")" 'BEGIN { printf "%.1f\n", us / 1000 }')"
		extra_note="; probe $p"
	else
		extra_note=
	fi
	after=$(cg_pages "$cg")
	pages=$(field pages "$before")
	left=$(field N0 "$after")
	record "${key}_$who" "$ms"
	record "${key}_left_$who" "$left"
	bnote "$who: ${ms} ms, $pages pages ($huge KiB in huge pages), $left left on node 0, rss ${RUN_RSS} KiB$extra_note; summary: $SUMMARY"
	# Tear it down now: the next workload needs the room on node 0.
	cg_gone "$cg"
}

# ------------------------------------------------------------------ P3 + P7
# One process with 256 MiB, node 0 -> 1: migratepages, the hook's
# migrate_pages engine, the hook's move_pages engine (ranges in parallel).
b_p3() {
	mib=${P3_MIB:-256}
	for r in $(seq 1 "$ROUNDS"); do
		for who in $(rotate "$r" migratepages migrate_pages move_pages); do
			move_one p3 "$who" "$mib"
		done
	done
	for who in migratepages migrate_pages move_pages; do
		series_metrics "p3_$who" ms
		metric "p3_left_$who" "$(values "p3_left_$who" | maximum)" pages
	done
	base=$(values p3_migratepages | median)
	metric p3_migrate_pages_ratio "$(ratio "$(values p3_migrate_pages | median)" "$base")" x
	metric p3_move_pages_ratio "$(ratio "$(values p3_move_pages | median)" "$base")" x
	metric p3_mib "$mib" MiB
}

# memcpy of the same size, node 0 -> node 1, in the same VM boot; the
# migration throughput of each engine against it (uses P3's medians).
b_p7() {
	mib=${P3_MIB:-256}
	/nh/bench/nh-bench memcpy --mib "$mib" --src 0 --dst 1 --reps "$ROUNDS" >"$NH_RUN/memcpy.txt" ||
		fail "memcpy failed: $(cat "$NH_RUN/memcpy.txt")"
	while read -r line; do bnote "$line"; done <"$NH_RUN/memcpy.txt"
	us=$(sed -n 's/^best_us=[0-9]* median_us=\([0-9]*\).*/\1/p' "$NH_RUN/memcpy.txt")
	ms=$(awk -v us="$us" 'BEGIN { printf "%.1f\n", us / 1000 }')
	metric p7_memcpy_ms "$ms" ms
	record p7_memcpy "$ms"
	metric p7_memcpy_mib_s "$(awk -v m="$mib" -v ms="$ms" 'BEGIN { printf "%.0f\n", m * 1000 / ms }')" MiB/s
	for who in migratepages migrate_pages move_pages; do
		t=$(values "p3_$who" | median)
		[ -n "$t" ] || continue
		metric "p7_${who}_mib_s" "$(awk -v m="$mib" -v ms="$t" 'BEGIN { printf "%.0f\n", m * 1000 / ms }')" MiB/s
		metric "p7_${who}_ratio" "$(ratio "$ms" "$t")" x
	done
}

# P7 with 2 MiB folios: the same moves of a THP-backed workload (MADV_HUGEPAGE,
# 2 MiB aligned), against the same memcpy (run b_p7 first).
b_p7thp() {
	mib=${P3_MIB:-256}
	WORK_OPTS=--thp
	for r in $(seq 1 "$ROUNDS"); do
		for who in $(rotate "$r" migratepages migrate_pages move_pages); do
			move_one p7thp "$who" "$mib"
		done
	done
	WORK_OPTS=
	ms=$(values p7_memcpy | median)
	for who in migratepages migrate_pages move_pages; do
		series_metrics "p7thp_$who" ms
		metric "p7thp_left_$who" "$(values "p7thp_left_$who" | maximum)" pages
		t=$(values "p7thp_$who" | median)
		metric "p7_thp_${who}_mib_s" "$(awk -v m="$mib" -v ms="$t" 'BEGIN { printf "%.0f\n", m * 1000 / ms }')" MiB/s
		[ -z "$ms" ] || metric "p7_thp_${who}_ratio" "$(ratio "$ms" "$t")" x
	done
}

# P3 with the move_pages engine's workers at 1 (its default), 2 and 4, in a
# VM with 4 vCPUs (run.sh boots it for P3W): ranges of one process moved in
# parallel, where there are CPUs to do it.
b_p3w() {
	mib=${P3_MIB:-256}
	for r in $(seq 1 "$ROUNDS3"); do
		for who in $(rotate "$r" migratepages move_pages move_pages_w2 move_pages_w4); do
			move_one p3w "$who" "$mib"
		done
	done
	for who in migratepages move_pages move_pages_w2 move_pages_w4; do
		series_metrics "p3w_$who" ms
	done
	w1=$(values p3w_move_pages | median)
	metric p3w_w2_ratio "$(ratio "$(values p3w_move_pages_w2 | median)" "$w1")" x
	metric p3w_w4_ratio "$(ratio "$(values p3w_move_pages_w4 | median)" "$w1")" x
	metric p3w_move_pages_ratio "$(ratio "$w1" "$(values p3w_migratepages | median)")" x
	metric p3w_cpus "$(grep -c ^processor /proc/cpuinfo)" CPUs
}

# ------------------------------------------------------------------ P4
# 32 processes x 16 MiB in one cgroup: the hook (its default engine,
# processes in parallel) against a shell loop of migratepages.
p4_one() { # WHO ROUND
	id=p4-$1-$2
	cg=$NH_CG/$id
	farm_up "$id" "${P4_PROCS:-32}" 1 $((${P4_MIB:-16} * 1024)) 0
	before=$(cg_pages "$cg")
	case $1 in
	loop)
		# shellcheck disable=SC2016 # expanded by the timed shell
		timed -- /bin/sh -c 'for p in $(cat "$1/cgroup.procs"); do migratepages "$p" 0 1 || exit 1; done' sh "$cg"
		[ "$RUN_RC" = 0 ] || fail "the migratepages loop exited $RUN_RC"
		SUMMARY=-
		;;
	*)
		conf=$NH_RUN/$id.conf
		variant "$1"
		bench_conf "$conf" "$NH_RUN/$id.log"
		hook_on "$id" "$(head -n 1 "$cg/cgroup.procs")" "$conf" "\"oci-numa-hook/nodes\": \"1\", $V_ANN"
		;;
	esac
	after=$(cg_pages "$cg")
	record "p4_$1" "$RUN_MS"
	record "p4_left_$1" "$(field N0 "$after")"
	bnote "$1: $RUN_MS ms, $(field pages "$before") pages in $(field processes "$before") processes, $(field N0 "$after") left on node 0; summary: $SUMMARY"
	cg_gone "$cg"
}

b_p4() {
	for r in $(seq 1 "$ROUNDS3"); do
		for who in $(rotate "$r" loop migrate_pages move_pages); do
			p4_one "$who" "$r"
		done
	done
	for who in loop migrate_pages move_pages; do
		series_metrics "p4_$who" ms
		metric "p4_left_$who" "$(values "p4_left_$who" | maximum)" pages
	done
	metric p4_ratio "$(ratio "$(values p4_migrate_pages | median)" "$(values p4_loop | median)")" x
	metric p4_move_pages_ratio "$(ratio "$(values p4_move_pages | median)" "$(values p4_loop | median)")" x
}

# ------------------------------------------------------------------ P5
# The worst stall a probe thread of the workload sees (mmap/touch/munmap of
# 64 KiB and a read of the moving memory, every ms) while its 256 MiB move:
# the move_pages engine against the migrate_pages engine (migratepages and
# an idle period alongside), and the total time of each.
b_p5() {
	mib=${P3_MIB:-256}
	for r in $(seq 1 "$ROUNDS3"); do
		for who in $(rotate "$r" migrate_pages move_pages migratepages move_pages_b50); do
			move_one p5 "$who" "$mib" probe
		done
	done
	# The probe with nothing moving, for the noise floor.
	work_up p5-idle 16 --probe "$NH_RUN/idle.probe"
	sleep 0.5
	kill -USR1 "$WPID"
	sleep 3
	kill -USR2 "$WPID"
	wait_file "$NH_RUN/idle.probe" 30 || fail "no probe report from the idle workload"
	p=$(cat "$NH_RUN/idle.probe")
	bnote "idle 3 s: $p"
	metric p5_stall_idle "$(awk -v us="$(field max_us "$p")" 'BEGIN { printf "%.1f\n", us / 1000 }')" ms
	for who in migratepages migrate_pages move_pages; do
		series_metrics "p5_stall_$who" ms
		metric "p5_gap_$who" "$(values "p5_gap_$who" | median)" ms
		metric "p5_$who" "$(values "p5_$who" | median)" ms
	done
	metric p5_stall_ratio "$(ratio "$(values p5_stall_move_pages | median)" "$(values p5_stall_migrate_pages | median)")" x
	metric p5_total_ratio "$(ratio "$(values p5_move_pages | median)" "$(values p5_migrate_pages | median)")" x
	# batch-time-ms 50 instead of the default 5
	series_metrics p5_stall_move_pages_b50 ms
	metric p5_move_pages_b50 "$(values p5_move_pages_b50 | median)" ms
	metric p5_stall_ratio_b50 "$(ratio "$(values p5_stall_move_pages_b50 | median)" "$(values p5_stall_migrate_pages | median)")" x
	metric p5_total_ratio_b50 "$(ratio "$(values p5_move_pages_b50 | median)" "$(values p5_migrate_pages | median)")" x
}

# ------------------------------------------------------------------ P8
# What a migration costs other containers: a workload holds MIB (1 GiB) on
# node 0 and a prober outside it starts "a container" every 20 ms (mkdir a
# cgroup, attach a fresh process, kill it, rmdir; nh-bench starter) while
# the memory moves to node 1 by: the kernel's own path (a cpuset.mems write;
# on cgroup v1 with memory_migrate=1 first, as every other tool would), the
# hook with each engine (mems=set), and migratepages followed by the mems
# write. The prober's worst and p99 latency over the move, its idle level
# before it, and the workload's own worst stall (P5's probe).
p8_one() { # WHO MIB STARTS-PARENT
	who=$1
	id=p8-$who
	work_up "$id" "$2" --probe "$NH_RUN/$id.probe"
	cg=$NH_CG/$id
	[ "$NH_CGV" != 1 ] || echo 1 >"$cg/cpuset.memory_migrate"
	rm -f "$NH_RUN/$id.starts"
	if [ "$NH_CGV" = 1 ]; then
		/nh/bench/nh-bench starter --parent "$3" --out "$NH_RUN/$id.starts" \
			--cpus "$(cat "$3/cpuset.cpus")" --mems "$(cat "$3/cpuset.mems")" &
	else
		/nh/bench/nh-bench starter --parent "$3" --out "$NH_RUN/$id.starts" &
	fi
	spid=$!
	sleep 1.5 # the idle level
	kill -USR1 "$WPID"
	kill -USR1 "$spid"
	case $who in
	kernel)
		# shellcheck disable=SC2016 # expanded by the timed shell
		timed -- /bin/sh -c 'echo 1 >"$1/cpuset.mems"' sh "$cg"
		SUMMARY=-
		;;
	migratepages)
		# shellcheck disable=SC2016
		timed -- /bin/sh -c 'migratepages "$1" 0 1 && echo 1 >"$2/cpuset.mems"' sh "$WPID" "$cg"
		SUMMARY=-
		;;
	*)
		conf=$NH_RUN/$id.conf
		variant "$who"
		bench_conf "$conf" "$NH_RUN/$id.log"
		# The whole move is measured: no time budget (1 GiB with the
		# move_pages engine passed the default 50 s under TCG).
		echo "time-budget-ms = none" >>"$conf"
		hook_on "$id" "$WPID" "$conf" "\"oci-numa-hook/nodes\": \"1\", $V_ANN"
		;;
	esac
	[ "$RUN_RC" = 0 ] || fail "$who exited $RUN_RC"
	kill -USR2 "$spid"
	sleep 0.2
	kill -TERM "$spid"
	wait "$spid"
	s=$(cat "$NH_RUN/$id.starts") || fail "no report from the prober"
	p=$(probe_report "$id") || fail "no probe report from $WPID"
	ms() { awk -v us="$1" 'BEGIN { printf "%.1f\n", us / 1000 }'; }
	record "p8_start_max_$who" "$(ms "$(field win_max_us "$s")")"
	record "p8_start_p99_$who" "$(ms "$(field win_p99_us "$s")")"
	record "p8_idle_max" "$(ms "$(field idle_max_us "$s")")"
	record "p8_stall_$who" "$(ms "$(field max_us "$p")")"
	record "p8_move_$who" "$RUN_MS"
	after=$(cg_pages "$cg")
	record "p8_left_$who" "$(field N0 "$after")"
	bnote "$who: move ${RUN_MS} ms, $(field N0 "$after") pages left on node 0, mems $(cat "$cg/cpuset.mems"); starts: $s; workload probe: $p; summary: $SUMMARY"
	cg_gone "$cg"
}

b_p8() {
	mib=${P8_MIB:-1024}
	starts=$NH_CGROOT/p8-starts
	cpuset_dir "$starts"
	for r in $(seq 1 "$ROUNDS3"); do
		for who in $(rotate "$r" kernel migrate_pages move_pages migratepages); do
			p8_one "$who" "$mib" "$starts"
		done
	done
	rmdir "$starts"
	metric p8_idle_max "$(values p8_idle_max | maximum)" ms
	for who in kernel migrate_pages move_pages migratepages; do
		series_metrics "p8_start_max_$who" ms
		metric "p8_start_p99_$who" "$(values "p8_start_p99_$who" | median)" ms
		metric "p8_stall_$who" "$(values "p8_stall_$who" | median)" ms
		metric "p8_move_$who" "$(values "p8_move_$who" | median)" ms
		metric "p8_left_$who" "$(values "p8_left_$who" | maximum)" pages
	done
	base=$(values p8_start_max_kernel | median)
	for who in migrate_pages move_pages migratepages; do
		metric "p8_${who}_ratio" "$(ratio "$(values "p8_start_max_$who" | median)" "$base")" x
	done
	metric p8_mib "$mib" MiB
}

# ------------------------------------------------------------------ P6
# 2000 processes x 10 threads (20 000 threads) with 64 KiB each in one
# cgroup, grown in steps; at 250, 500, 1000 and 2000 processes the hook
# (default engine, mems=set, no time budget) moves them all to the other
# node three times (there, back, there again: every run moves every page).
# The median time and the hook's peak RSS at each step.  Then, as baselines
# on the same processes: a shell loop of migratepages over them (the
# kernel's own cost of moving them one by one), and the hook asked for the
# node they are already on (its own cost per process: pinning, checks,
# placement reads, a migrate_pages call that finds nothing to move).
b_p6() {
	echo 100000 >/proc/sys/kernel/threads-max
	echo 4194304 >/proc/sys/kernel/pid_max
	conf=$NH_RUN/p6.conf
	# No time budget: at 2000 processes a run can take longer than the
	# default 50 s in this VM (see doc/benchmarks.md).
	V_CONF='time-budget-ms = none'
	bench_conf "$conf" "$NH_RUN/p6.log"
	cg=$NH_CG/p6
	have=0
	node=0
	threads=${P6_THREADS:-10}
	for n in ${P6_STEPS:-250 500 1000 2000}; do
		t0=$(now_ms)
		farm_up p6 $((n - have)) "$threads" "${P6_KIB:-64}" "$node"
		t1=$(now_ms)
		have=$n
		tasks=$(find "$cg" -name cgroup.threads -exec cat {} + | wc -l)
		for k in 1 2 3; do
			node=$((1 - node))
			before=$(cg_pages "$cg")
			hook_on p6 "$(head -n 1 "$cg/cgroup.procs")" "$conf" "\"oci-numa-hook/nodes\": \"$node\""
			after=$(cg_pages "$cg")
			record "p6_ms_$n" "$RUN_MS"
			record "p6_rss_$n" "$RUN_RSS"
			record "p6_left_$n" "$(field "N$((1 - node))" "$after")"
			bnote "$n processes ($tasks threads, grown in $(ms_between "$t0" "$t1") ms), run $k to node $node: $RUN_MS ms," \
				"peak RSS $RUN_RSS KiB; before $before; after $after; summary: $SUMMARY"
		done
		# The baselines (the loop takes about 0.1 s a process here) at the
		# first and the last step.
		case " ${P6_STEPS:-250 500 1000 2000} " in
		" $n "* | *" $n ") p6_baselines "$n" "$cg" "$conf" ;;
		esac
		ms=$(values "p6_ms_$n" | median)
		[ -z "$(values "p6_loop_ms_$n")" ] ||
			metric "p6_ratio_loop_$n" "$(ratio "$ms" "$(values "p6_loop_ms_$n" | median)")" x
		metric "p6_ms_$n" "$ms" ms
		metric "p6_ms_${n}_min" "$(values "p6_ms_$n" | minimum)" ms
		metric "p6_ms_${n}_max" "$(values "p6_ms_$n" | maximum)" ms
		metric "p6_rss_$n" "$(values "p6_rss_$n" | maximum)" KiB
		metric "p6_us_per_process_$n" "$(awk -v ms="$ms" -v n="$n" 'BEGIN { printf "%.0f\n", ms * 1000 / n }')" us
		metric "p6_left_$n" "$(values "p6_left_$n" | maximum)" pages
		metric "p6_threads_$n" "$tasks" threads
	done
}

# P6 baselines on the N processes of CGROUP, whose pages are all on $node:
# the migratepages loop moves them to the other node (and $node follows),
# then the hook is asked for that node, with nothing left to move.
p6_baselines() { # N CGROUP CONF
	node=$((1 - node))
	from=$((1 - node))
	# shellcheck disable=SC2016 # expanded by the timed shell
	timed -- /bin/sh -c 'for p in $(cat "$1/cgroup.procs"); do migratepages "$p" "$2" "$3" || exit 1; done' sh "$2" "$from" "$node"
	[ "$RUN_RC" = 0 ] || fail "migratepages loop over $1 processes exited $RUN_RC"
	record "p6_loop_ms_$1" "$RUN_MS"
	bnote "$1 processes: migratepages loop to node $node: $RUN_MS ms; after $(cg_pages "$2")"
	hook_on p6 "$(head -n 1 "$2/cgroup.procs")" "$3" "\"oci-numa-hook/nodes\": \"$node\", \"oci-numa-hook/from\": \"$from\""
	record "p6_idle_ms_$1" "$RUN_MS"
	bnote "$1 processes: the hook with nothing to move: $RUN_MS ms; summary: $SUMMARY"
	metric "p6_loop_ms_$1" "$(values "p6_loop_ms_$1" | median)" ms
	metric "p6_loop_us_per_process_$1" "$(awk -v ms="$(values "p6_loop_ms_$1" | median)" -v n="$1" 'BEGIN { printf "%.0f\n", ms * 1000 / n }')" us
	metric "p6_idle_us_per_process_$1" "$(awk -v ms="$(values "p6_idle_ms_$1" | median)" -v n="$1" 'BEGIN { printf "%.0f\n", ms * 1000 / n }')" us
}

# ------------------------------------------------------------------ main
bench_main() {
	mkdir -p "$NH_RUN" "$BENCH"
	cpuset_dir "$NH_CG"
	[ "$NH_CGV" = 1 ] || echo "+cpuset +memory +pids" >"$NH_CG/cgroup.subtree_control"
	echo "nh-bench: cgroup v$NH_CGV, kernel $(uname -r), nodes $(cat /sys/devices/system/node/online)," \
		"cpus $(cat /sys/devices/system/cpu/online), node memory" \
		"$(for n in /sys/devices/system/node/node[0-9]*; do sed -n 's/.*MemTotal: *\([0-9]*\) kB/\1/p' "$n/meminfo"; done | awk '{ printf "%s%d MiB", (NR > 1 ? " + " : ""), $1 / 1024 }')"
	# The first use of guest memory costs the host a fault per page: touch
	# most of every node once, so that the first round is not penalised.
	for n in /sys/devices/system/node/node[0-9]*; do
		free=$(sed -n 's/.*MemFree: *\([0-9]*\) kB/\1/p' "$n/meminfo")
		/nh/bench/nh-bench fill --node "${n##*node}" --mib $((free / 1024 - 200))
	done
	limit=$(nh_param timeout || echo 900)
	for name in $(nh_param bench | tr , ' '); do
		rm -f "$NH_RUN/reason"
		t0=$(now_ms)
		NH_TEST=$name timeout -s KILL "$limit" sh -c ". /nh/vm-lib.sh; . /nh/bench/vm-bench.sh; [ ! -f /nh/bench/vm-extra.sh ] || . /nh/bench/vm-extra.sh; set -u; b_$name"
		rc=$?
		t1=$(now_ms)
		case $rc in
		0) echo "bench: $name done in $(ms_between "$t0" "$t1") ms" ;;
		137) echo "bench: $name FAILED: timed out after ${limit}s" ;;
		*) echo "bench: $name FAILED: $(cat "$NH_RUN/reason" 2>/dev/null || echo "exit $rc")" ;;
		esac
		nh_cleanup
	done
	echo "nh-bench: done"
}
