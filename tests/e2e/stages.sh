#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What each hook stage sees, measured with the runtimes of this host (the
# README's "Stages" says what follows from it): a hook that records the
# state's pid, that process's command and resident memory at createRuntime
# and poststart, for a workload that fills 8 MiB as soon as it runs.
#   runc: both stages see runc's own init (runc:[2:INIT]); the workload has
#         not been exec'd yet (runc runs poststart inside runc create/run).
#   crun: createRuntime sees crun's init, poststart the workload itself.
# A runtime that behaves otherwise fails its test: the README must change.
#   stages.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/podman.sh"
failed=0
pass() { echo "PASS: e2e/$1"; }
fail() { echo "FAIL: e2e/$1 — $2"; failed=1; }
skip() { echo "SKIP: e2e/$1 — $2"; }
if [ "$(id -u)" != 0 ]; then
	skip stages-runc "needs root"; skip stages-crun "needs root"; exit 0
fi
T=$(mktemp -d /tmp/oci-numa-hook-stages.XXXXXX)
trap 'rm -rf --one-file-system "$T"' EXIT
busybox_rootfs "$T/rootfs" >/dev/null || { fail stages-runc "no busybox root file system"; exit 1; }
cat >"$T/record.sh" <<'SH'
#!/bin/sh
state=$(cat)
pid=$(printf '%s' "$state" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
echo "$1 comm=$(cat "/proc/$pid/comm" 2>/dev/null) rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)" >>"$2"
SH
chmod +x "$T/record.sh"
crun_hybrid_cmd "$T" --root "$T/crun"
run_one() { # ENGINE
	local eng=$1 b=$T/b-$1 out=$T/$1.out
	mkdir -p "$b"
	"$eng" spec --bundle "$b"
	jq --arg root "$T/rootfs" --arg h "$T/record.sh" --arg out "$out" --arg cg "/oci-numa-hook-stages-$$-$eng" '
		.process.terminal = false |
		.process.args = ["sh", "-c", "a=$(head -c 8388608 /dev/zero | tr \"\\000\" x); sleep 1; echo ${#a}"] |
		.root = {path: $root, readonly: true} | .linux.cgroupsPath = $cg |
		.hooks = {createRuntime: [{path: $h, args: ["record", "createRuntime", $out]}],
		          poststart: [{path: $h, args: ["record", "poststart", $out]}]}' \
		"$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
	case $eng in
	runc) runc --root "$T/runc" run --bundle "$b" "stages-$$" >"$T/$eng.log" 2>&1 </dev/null ;;
	crun) "${CRUN[@]}" run --bundle "$b" "stages-$$" >"$T/$eng.log" 2>&1 </dev/null ;;
	esac
	echo "#   $eng $("$eng" --version | head -n 1): $(tr '\n' ';' <"$out" 2>/dev/null)"
}
for eng in runc crun; do
	command -v "$eng" >/dev/null || { skip "stages-$eng" "$eng is not installed"; continue; }
	run_one "$eng"
	out=$T/$eng.out
	case $eng in
	runc) want_post='runc:\[2:INIT\]' ;;
	crun) want_post='sh' ;;
	esac
	if grep -q '^createRuntime comm=' "$out" 2>/dev/null && grep -Eq "^poststart comm=$want_post " "$out"; then
		pass "stages-$eng"
	else
		fail "stages-$eng" "poststart did not see $want_post: $(tr '\n' ';' <"$out" 2>/dev/null) $(tail -n 2 "$T/$eng.log")"
	fi
done
exit "$failed"
