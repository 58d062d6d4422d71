#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The operator commands find real containers where their runtimes keep them,
# without --root: runc (/run/runc), crun (/run/crun), Podman (runc's root,
# by name too), containerd's runc shims (/run/containerd/runc/NAMESPACE), and
# Kubernetes pods by the CRI annotations in a container's config.json (set
# here with ctr, as containerd's CRI writes them). status --all shows each of
# them once, with the pid its runtime reports, sorted off-target first, as a
# table, JSON and Prometheus text. Prints PASS/FAIL/SKIP lines.
#
#   find.sh HOOK-BINARY
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/podman.sh"
HOOK=${1:?usage: find.sh HOOK-BINARY}
HOOK=$(realpath -e "$HOOK")
failed=0
pass() { echo "PASS: e2e/find-$1"; }
fail() { echo "FAIL: e2e/find-$1 — $2"; failed=1; }
skip() { echo "SKIP: e2e/find-$1 — $2"; }
check() { # NAME COMMAND...: pass when the command succeeds
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name" "$(tail -c 600 "$T/out" 2>/dev/null | tr '\n' ' ')"; fi
}
run() { "$HOOK" "$@" >"$T/out" 2>&1; }

TESTS="runc-by-id crun-by-prefix podman-by-name containerd-by-id containerd-other-namespace
	pod pod-container pod-ambiguous pod-unknown migrate-pod-dry-run all-json all-sorted
	all-table all-prometheus"
if [ "$(id -u)" != 0 ]; then
	for t in $TESTS; do skip "$t" "needs root"; done
	exit 0
fi
for tool in runc crun podman containerd ctr jq; do
	if ! command -v "$tool" >/dev/null; then
		for t in $TESTS; do skip "$t" "$tool is not installed (tests/e2e/packages)"; done
		exit 0
	fi
done

T=$(mktemp -d /tmp/oci-numa-hook-find.XXXXXX)
ID=nhfind$$
CGP=oci-numa-hook-find-$$
CTD=(ctr -a "$T/containerd.sock")
cgroup_dirs() { # every cgroup directory NAME below a hierarchy root
	local d
	for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do [ -d "$d" ] && echo "$d"; done
}
NS_EXISTED=$(cgroup_dirs k8s.io; cgroup_dirs default)
cleanup() {
	set +e
	runc delete -f "$ID-runc" >/dev/null 2>&1
	rc_crun delete -f "$ID-crun" >/dev/null 2>&1
	local ns c d
	for ns in k8s.io default; do
		for c in $("${CTD[@]}" -n "$ns" c ls -q 2>/dev/null); do
			"${CTD[@]}" -n "$ns" t kill -s KILL "$c" >/dev/null 2>&1
			"${CTD[@]}" -n "$ns" t rm -f "$c" >/dev/null 2>&1
			"${CTD[@]}" -n "$ns" c rm "$c" >/dev/null 2>&1
		done
	done
	[ -n "${CTD_PID:-}" ] && kill "$CTD_PID" 2>/dev/null && wait "$CTD_PID" 2>/dev/null
	podman_sandbox_cleanup
	for d in $(cgroup_dirs "$CGP"); do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done
	for d in $(cgroup_dirs k8s.io) $(cgroup_dirs default); do
		grep -qxF "$d" <<<"$NS_EXISTED" || rmdir "$d" 2>/dev/null
	done
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
podman_sandbox "$T"
busybox_rootfs "$T/rootfs" >/dev/null || { fail setup "no busybox root file system"; exit 1; }

crun_hybrid_cmd "$T"
rc_crun() { "${CRUN[@]}" "$@"; }

# A shell holding 8 MiB, then sleeping (bounded; the echo keeps the shell,
# and its string, from being replaced by sleep).
WORK='a=$(head -c 8388608 /dev/zero | tr "\000" x); sleep 300; echo ${#a}'

bundle() { # ENGINE ID ANNOTATIONS-JSON
	local b=$T/bundles/$2
	mkdir -p "$b"
	"$1" spec --bundle "$b"
	jq --arg root "$T/rootfs" --arg cg "/$CGP/$2" --argjson ann "$3" --arg cmd "$WORK" '
		.process.terminal = false | .process.args = ["sh", "-c", $cmd] |
		.root = {path: $root, readonly: true} | .linux.cgroupsPath = $cg |
		.annotations = $ann' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
	echo "$b"
}
wait_rss() { # PID: until it holds 8 MiB (the workload has filled its string)
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null)" -gt 8200 ] 2>/dev/null && return 0
		sleep 0.1
	done
}

# ---- the containers
b=$(bundle runc "$ID-runc" '{"oci-numa-hook/nodes": "7"}')
runc run -d --bundle "$b" "$ID-runc" >"$T/runc.log" 2>&1 </dev/null || { fail setup "runc run: $(cat "$T/runc.log")"; exit 1; }
RUNC_PID=$(runc state "$ID-runc" | jq -r .pid)
b=$(bundle crun "$ID-crun" '{"oci-numa-hook/nodes": "0"}')
rc_crun run -d --bundle "$b" "$ID-crun" >"$T/crun.log" 2>&1 </dev/null || { fail setup "crun run: $(cat "$T/crun.log")"; exit 1; }
CRUN_PID=$(rc_crun state "$ID-crun" | jq -r .pid)
podman run -d --name "$ID-web" --network=none --cgroup-parent "/$CGP" --rootfs "$T/rootfs" sh -c "$WORK" >"$T/podman.id" 2>"$T/podman.log" ||
	{ fail setup "podman run: $(cat "$T/podman.log")"; exit 1; }
PODMAN_ID=$(cat "$T/podman.id")
PODMAN_PID=$(podman inspect -f '{{.State.Pid}}' "$PODMAN_ID")

cat >"$T/containerd.toml" <<EOF
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
EOF
containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
CTD_PID=$!
for ((i = 0; i < 100; i++)); do "${CTD[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
ctd_run() { # NAMESPACE ID [ctr run options]
	local ns=$1 id=$2
	shift 2
	"${CTD[@]}" -n "$ns" run -d --rootfs "$@" "$T/rootfs" "$id" /bin/sh -c "$WORK" >>"$T/ctr.log" 2>&1 </dev/null
}
cri() { # ID POD-NAMESPACE POD CONTAINER [TYPE]: annotated as containerd's CRI does
	ctd_run k8s.io "$1" --annotation "io.kubernetes.cri.sandbox-namespace=$2" \
		--annotation "io.kubernetes.cri.sandbox-name=$3" \
		--annotation "io.kubernetes.cri.container-name=$4" \
		--annotation "io.kubernetes.cri.container-type=${5:-container}"
}
ctd_pid() { "${CTD[@]}" -n "$1" t ls | awk -v id="$2" '$1 == id { print $2 }'; }
cri "$ID-pause" prod web POD sandbox &&
	cri "$ID-app" prod web app &&
	cri "$ID-side" prod web sidecar &&
	ctd_run default "$ID-plain" ||
	{ fail setup "ctr run: $(tail -n 3 "$T/ctr.log")"; exit 1; }
APP_PID=$(ctd_pid k8s.io "$ID-app")
SIDE_PID=$(ctd_pid k8s.io "$ID-side")
PLAIN_PID=$(ctd_pid default "$ID-plain")
for p in "$RUNC_PID" "$CRUN_PID" "$PODMAN_PID" "$APP_PID" "$SIDE_PID" "$PLAIN_PID"; do wait_rss "$p"; done

# ---- one container, no --root
shows() { # ID [LABEL]: the header names the container and its cgroup names the id
	grep -qF "container $1${2:+ ($2)}" "$T/out" && grep -q "^cgroup .*$1" "$T/out"
}
run status "$ID-runc"
check runc-by-id shows "$ID-runc"
run status "${ID}-cr"
check crun-by-prefix shows "$ID-crun"
run status "$ID-web"
check podman-by-name shows "$PODMAN_ID" "$ID-web"
run status "$ID-app" --json
check containerd-by-id jq -e --arg id "$ID-app" --argjson pid "$APP_PID" \
	'.container == $id and .name == "prod/web/app" and any(.memory.processes[]; .pid == $pid)' "$T/out"
run status "$ID-plain"
check containerd-other-namespace shows "$ID-plain"
run status --pod prod/web --container app
check pod shows "$ID-app" prod/web/app
run status --pod prod/web --container sidecar --json
check pod-container jq -e --argjson pid "$SIDE_PID" 'any(.memory.processes[]; .pid == $pid)' "$T/out"
run status --pod prod/web
check pod-ambiguous bash -c "grep -q 'pod \"prod/web\" has 2 running containers: .*$ID-app (prod/web/app in /run/containerd/runc/k8s.io).*--container NAME' '$T/out' && [ \$(wc -l <'$T/out') = 1 ]"
run status --pod prod/nope
check pod-unknown bash -c "grep -q 'no running container of pod \"prod/nope\"' '$T/out' && [ \$(wc -l <'$T/out') = 1 ]"
run migrate --pod prod/web --container app --to 0 --dry-run --config /nonexistent
check migrate-pod-dry-run grep -q "^container $ID-app (prod/web/app)" "$T/out"

# ---- the whole node
"$HOOK" status --all --json >"$T/all.json" 2>"$T/all.err"
cp "$T/all.json" "$T/out"
check all-json jq -e --arg id "$ID" --arg pid "$PODMAN_ID" \
	--argjson runc "$RUNC_PID" --argjson crun "$CRUN_PID" --argjson podman "$PODMAN_PID" \
	--argjson app "$APP_PID" --argjson side "$SIDE_PID" --argjson plain "$PLAIN_PID" '
	def row($i): [.containers[] | select(.id == $i)];
	(row($id + "-runc") | length == 1 and .[0].pid == $runc and .[0].target == "7") and
	(row($id + "-crun") | length == 1 and .[0].pid == $crun and .[0].on_target_share == 1) and
	(row($pid) | length == 1 and .[0].pid == $podman and .[0].name == ($id + "-web")) and
	(row($id + "-app") | length == 1 and .[0].pid == $app and .[0].pod.container == "app") and
	(row($id + "-side") | length == 1 and .[0].pid == $side) and
	(row($id + "-plain") | length == 1 and .[0].pid == $plain and .[0].pod == null) and
	(row($id + "-pause") | length == 0) and
	all(.containers[] | select(.id | startswith($id)); .resident_bytes["0"] > 8388608)' "$T/all.json"
# Off target first (nodes=7 has all its memory off target), no target last.
check all-sorted jq -e --arg id "$ID" '
	[.containers[] | select((.id | startswith($id)) or (.name // "" | startswith($id))) | .target] as $t |
	$t[0] == "7" and $t[1] == "0" and ($t[2:] | all(. == null))' "$T/all.json"
"$HOOK" status --all >"$T/out" 2>&1
short=$ID-runc
short=${short:0:12} # the table's short id
check all-table bash -c "head -n 1 '$T/out' | grep -q '^CONTAINER .*NAME .*TARGET .*MEMS .*N0 MiB .*ON-TARGET' &&
	sed -n 2p '$T/out' | grep -Eq '^$short +- +7 +0 .* 0\.0%' && grep -q ' prod/web/app ' '$T/out'"
"$HOOK" status --all --prometheus >"$T/out" 2>&1
# Debian's python3 (python3-prometheus-client), whatever python3 PATH finds.
PY=/usr/bin/python3
if "$PY" -c 'import prometheus_client' 2>/dev/null; then
	check all-prometheus "$PY" - "$T/out" "$ID" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = {f.name: f for f in text_string_to_metric_families(text)}
res = [s for s in fams["oci_numa_hook_resident_bytes"].samples if s.labels["container_id"] == sys.argv[2] + "-app"]
assert len(res) >= 1 and res[0].labels["pod"] == "web" and res[0].labels["namespace"] == "prod", res
assert res[0].value > 8388608, res
off = [s for s in fams["oci_numa_hook_off_target_bytes"].samples if s.labels["container_id"] == sys.argv[2] + "-runc"]
assert off and sum(s.value for s in off) > 8388608, off
PY
else
	skip all-prometheus "python3-prometheus-client is not installed"
fi
exit "$failed"
