#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run the libFuzzer harnesses. Prints one result line per harness:
#   PASS: fuzz/<harness> ... / FAIL: fuzz/<harness> — <why>
# and exits non-zero if any harness failed.
#
#   run.sh --mode run    --seconds N --bindir DIR --srcdir DIR HARNESS...
#       fuzz each harness N seconds, starting from the seed corpus
#       (SRCDIR/corpus/<h>, read only); new inputs go to BINDIR/scratch/<h>,
#       crashes to BINDIR/artifacts/<h>-*.
#   run.sh --mode replay --bindir DIR --srcdir DIR HARNESS...
#       run every input of the seed corpus once (regression check).
set -euo pipefail

mode=replay seconds=60 bindir='' srcdir=''
while [ $# -gt 0 ]; do
	case "$1" in
	--mode) mode=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--bindir) bindir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -z "$bindir" ] || [ -z "$srcdir" ] || [ $# -eq 0 ]; then
	echo "usage: run.sh --mode run|replay [--seconds N] --bindir DIR --srcdir DIR HARNESS..." >&2
	exit 2
fi
case "$seconds" in '' | *[!0-9]*) echo "run.sh: --seconds wants a number" >&2; exit 2 ;; esac

# Which dictionary helps which harness.
dict_of() {
	case "$1" in
	state | request) echo "$srcdir/dict/json.dict" ;;
	config) echo "$srcdir/dict/config.dict" ;;
	proc_cgroup) echo "$srcdir/dict/proc_cgroup.dict" ;;
	placement) echo "$srcdir/dict/numa_maps.dict" ;;
	runtime_state) echo "$srcdir/dict/runtime_state.dict" ;;
	container_files) echo "$srcdir/dict/container_files.dict" ;;
	walk_plan) echo "$srcdir/dict/walk_plan.dict" ;;
	nri) echo "$srcdir/dict/nri.dict" ;;
	base_spec) echo "$srcdir/dict/base_spec.dict" ;;
	*) echo "" ;;
	esac
}

failed=0
for h in "$@"; do
	bin=$bindir/fuzz_$h
	corpus=$srcdir/corpus/$h
	log=$bindir/$h-$mode.log
	if [ ! -x "$bin" ]; then
		echo "FAIL: fuzz/$h — harness $bin not built"
		failed=1
		continue
	fi
	if [ ! -d "$corpus" ]; then
		echo "FAIL: fuzz/$h — no seed corpus $corpus"
		failed=1
		continue
	fi
	opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
	dict=$(dict_of "$h")
	if [ -n "$dict" ] && [ -f "$dict" ]; then
		opts+=("-dict=$dict")
	fi
	rc=0
	if [ "$mode" = run ]; then
		mkdir -p "$bindir/scratch/$h" "$bindir/artifacts"
		"$bin" "${opts[@]}" -max_total_time="$seconds" \
			-artifact_prefix="$bindir/artifacts/$h-" \
			"$bindir/scratch/$h" "$corpus" >"$log" 2>&1 || rc=$?
	else
		mapfile -t inputs < <(find "$corpus" -type f | sort)
		if [ "${#inputs[@]}" -eq 0 ]; then
			echo "FAIL: fuzz/$h — seed corpus $corpus is empty"
			failed=1
			continue
		fi
		# Given files, libFuzzer runs each one once.
		"$bin" "${opts[@]}" "${inputs[@]}" >"$log" 2>&1 || rc=$?
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$mode" = replay ]; then
		execs=$(grep -c '^Executed ' "$log" || true)
	fi
	if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|assertion failed' "$log"; then
		why=$(grep -m1 -E 'ERROR:|runtime error:|assertion failed|SUMMARY' "$log" || echo "exit status $rc")
		echo "FAIL: fuzz/$h — $why (log: $log)"
		failed=1
	elif [ "$mode" = run ]; then
		echo "PASS: fuzz/$h — ${execs:-?} executions in ${seconds}s, no crash"
	else
		echo "PASS: fuzz/$h — ${execs} corpus inputs replayed"
	fi
done
exit "$failed"
