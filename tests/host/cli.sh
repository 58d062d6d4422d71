#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The operator commands against a real cgroup and a workload: status,
# migrate (dry run, real run, progress on a terminal), validate, and
# finding a container by id in a runtime state directory.
set -uo pipefail
. "${NH_SRCDIR:-$(dirname "$0")/../..}/tests/host/lib.sh"

need_host_cgroups
WORKLOAD="$NH_BUILDDIR/tests/host/workload"
tmp=$(mktemp -d)
# The fake runtime states below name containers abcdef123456 and fedcba987,
# and a runtime names a container's cgroup after its id (checked).
CG="$root/oci-numa-hook-cli-abcdef123456-fedcba987-$$"
cleanup() { remove_cgroup "$CG"; rm -rf "$tmp"; }
trap cleanup EXIT
make_cgroup "$CG"
v1=false; [ -f "$CG/cpuset.memory_migrate" ] && { v1=true; echo 0 > "$CG/cpuset.memory_migrate"; }
node=$(cut -d, -f1 /sys/devices/system/node/has_memory | cut -d- -f1)
cgpath=${CG#"$root"}

(echo "$BASHPID" > "$CG/cgroup.procs" && exec "$WORKLOAD" 32 2 "$tmp/ready") </dev/null >/dev/null 2>&1 &
wait_file "$tmp/ready" || bail "workload did not start"
pid=$(cat "$tmp/ready")
rss_mib=$(awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")

# --- status
out=$("$NH_BIN" status --pid "$pid" 2>&1); rc=$?
check "status --pid: exit 0" test "$rc" = 0
check "status: names the cgroup" grep -q "cgroup    $cgpath " <<<"$out"
check "status: shows cpuset.mems" grep -qE "^cpuset.mems $node " <<<"$out"
row=$(grep -E "^$pid +workload" <<<"$out")
total=$(awk '{print int($NF)}' <<<"$row")
check "status: a row for the workload whose total ($total MiB) matches VmRSS ($rss_mib MiB)" \
	test "$total" -ge $((rss_mib - 2)) -a "$total" -le $((rss_mib + 2))
json=$("$NH_BIN" status --cgroup "$cgpath" --json); rc=$?
check "status --cgroup --json: exit 0" test "$rc" = 0
jpages=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sum(p["pages"].get(sys.argv[3],0) for p in d["memory"]["processes"] if p["pid"]==int(sys.argv[2])))' "$json" "$pid" "$node" 2>/dev/null)
check "status --json: valid JSON with the workload's pages on node $node" test "${jpages:-0}" -ge $((rss_mib * 256 - 512))
check "status --json: cgroup and mems" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["cgroup"]==sys.argv[2] and d["cpuset_mems"]==sys.argv[3]' "$json" "$cgpath" "$node"

# --- a container by id in a runtime state directory
mkdir -p "$tmp/runc/abcdef123456" "$tmp/runc/abcxyz" "$tmp/crun/fedcba987"
printf '{"id":"abcdef123456","init_process_pid":%s,"config":{}}' "$pid" > "$tmp/runc/abcdef123456/state.json"
printf '{"id":"abcxyz","init_process_pid":1}' > "$tmp/runc/abcxyz/state.json"
printf '{"pid":%s,"cgroup-path":"x"}' "$pid" > "$tmp/crun/fedcba987/status"
out=$("$NH_BIN" status abcdef --root "$tmp/runc" 2>&1); rc=$?
check "status by unique id prefix (runc state.json): exit 0" test "$rc" = 0
check "status by id: names the full id" grep -q "^container abcdef123456" <<<"$out"
out=$("$NH_BIN" status fedc --root "$tmp/crun" 2>&1); rc=$?
check "status by id prefix (crun status file): exit 0" test "$rc" = 0
out=$("$NH_BIN" status abc --root "$tmp/runc" 2>&1); rc=$?
check "ambiguous id prefix: exit 1 with one line" test "$rc" = 1 -a "$(grep -c . <<<"$out")" = 1
check "ambiguous id prefix: says so" grep -q 'matches 2 containers' <<<"$out"
out=$("$NH_BIN" status nosuch --root "$tmp/runc" 2>&1); rc=$?
check "unknown id: exit 1 naming it" bash -c "test $rc = 1 && grep -q 'no container with id or name \"nosuch\"' <<<'$out'"
out=$("$NH_BIN" status ../etc --root "$tmp/runc" 2>&1); rc=$?
check "an id with a slash is refused" test "$rc" = 1
out=$("$NH_BIN" status --cgroup "$cgpath/../.." 2>&1); rc=$?
check "status --cgroup with '..': exit 1, refused" bash -c "test $rc = 1 && grep -q 'must be absolute, without' <<<'$out'"
out=$("$NH_BIN" status --cgroup /no-such-cgroup-here 2>&1); rc=$?
check "status --cgroup that does not exist: exit 2 naming it" bash -c "test $rc = 2 && grep -q 'cannot open cgroup .*/no-such-cgroup-here' <<<'$out'"
out=$("$NH_BIN" status 2>&1); rc=$?
check "status without TARGET: exit 1" test "$rc" = 1
out=$("$NH_BIN" status --pid 1 --cgroup /x 2>&1); rc=$?
check "status with two TARGETs: exit 1" test "$rc" = 1

# --- names (containers/storage), pods (CRI annotations in config.json)
mkdir -p "$tmp/storage/overlay-containers" "$tmp/b-ctd" "$tmp/b-crio" "$tmp/k8s/ctd0001" "$tmp/k8s/crio0002" "$tmp/k8s/pause0003"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\n' "$tmp" > "$tmp/storage.conf"
printf '[{"id":"abcdef123456","names":["web-1"],"image":""},{"id":"gone","names":["gone-1"]},7]' \
	> "$tmp/storage/overlay-containers/containers.json"
out=$(CONTAINERS_STORAGE_CONF=$tmp/storage.conf "$NH_BIN" status web-1 --root "$tmp/runc" 2>&1); rc=$?
check "status by Podman name (containers.json under storage.conf's graphroot): exit 0" test "$rc" = 0
check "status by name: names the id and the name" grep -q "^container abcdef123456 (web-1)" <<<"$out"
out=$(CONTAINERS_STORAGE_CONF=$tmp/storage.conf "$NH_BIN" status gone-1 --root "$tmp/runc" 2>&1); rc=$?
check "a name whose container is not running: exit 1, not found" bash -c "test $rc = 1 && grep -q 'no container with id or name \"gone-1\"' <<<'$out'"
# containerd's CRI annotations, CRI-O's, and a pod sandbox, all on the workload's pid
# (the cgroup names the ids: the state dirs are named after parts of it).
printf '{"annotations":{"io.kubernetes.cri.sandbox-namespace":"prod","io.kubernetes.cri.sandbox-name":"web","io.kubernetes.cri.container-name":"app","io.kubernetes.cri.container-type":"container","oci-numa-hook/nodes":"%s"}}' "$node" > "$tmp/b-ctd/config.json"
printf '{"annotations":{"io.kubernetes.pod.namespace":"prod","io.kubernetes.pod.name":"web","io.kubernetes.container.name":"sidecar","io.kubernetes.cri-o.ContainerType":"container"}}' > "$tmp/b-crio/config.json"
mkdir -p "$tmp/b-pause"
printf '{"annotations":{"io.kubernetes.cri.sandbox-namespace":"prod","io.kubernetes.cri.sandbox-name":"web","io.kubernetes.cri.container-type":"sandbox"}}' > "$tmp/b-pause/config.json"
mv "$tmp/k8s/ctd0001" "$tmp/k8s/abcdef123456"
mv "$tmp/k8s/crio0002" "$tmp/k8s/fedcba987"
mv "$tmp/k8s/pause0003" "$tmp/k8s/cli-abcdef"
printf '{"id":"abcdef123456","init_process_pid":%s,"config":{"labels":["x=y","bundle=%s/b-ctd"]}}' "$pid" "$tmp" > "$tmp/k8s/abcdef123456/state.json"
printf '{"pid":%s,"bundle":"%s/b-crio"}' "$pid" "$tmp" > "$tmp/k8s/fedcba987/status"
printf '{"pid":%s,"bundle":"%s/b-pause"}' "$pid" "$tmp" > "$tmp/k8s/cli-abcdef/status"
out=$("$NH_BIN" status --pod prod/web --container app --root "$tmp/k8s" 2>&1); rc=$?
check "status --pod --container (containerd's annotations): exit 0" test "$rc" = 0
check "status --pod: names the container and its pod" grep -q "^container abcdef123456 (prod/web/app)" <<<"$out"
out=$("$NH_BIN" status --pod prod/web --container sidecar --root "$tmp/k8s" 2>&1); rc=$?
check "status --pod --container (CRI-O's annotations)" bash -c "test $rc = 0 && grep -q '^container fedcba987 (prod/web/sidecar)' <<<'$out'"
out=$("$NH_BIN" status --pod prod/web --root "$tmp/k8s" 2>&1); rc=$?
check "a pod with two containers: exit 1, one line listing both (not the sandbox)" \
	bash -c "test $rc = 1 && test \$(grep -c . <<<'$out') = 1 && grep -q 'has 2 running containers: .*abcdef123456 (prod/web/app in .*fedcba987 (prod/web/sidecar in .*--container NAME' <<<'$out' && ! grep -q cli-abcdef <<<'$out'"
out=$("$NH_BIN" status --pod prod/web --container db --root "$tmp/k8s" 2>&1); rc=$?
check "a container the pod does not have: exit 1 naming the pod's containers" \
	bash -c "test $rc = 1 && grep -q 'has no running container named \"db\"; its containers: ' <<<'$out'"
out=$("$NH_BIN" status --pod web --root "$tmp/k8s" 2>&1); rc=$?
check "--pod without a namespace: exit 1" bash -c "test $rc = 1 && grep -q 'expects NAMESPACE/NAME' <<<'$out'"
out=$("$NH_BIN" status --container app --root "$tmp/k8s" 2>&1); rc=$?
check "--container without --pod: exit 1" test "$rc" = 1
out=$("$NH_BIN" migrate --pod prod/web --container app --root "$tmp/k8s" --to "$node" --dry-run --config /nonexistent 2>&1); rc=$?
check "migrate --pod --dry-run: exit 0 naming the container" bash -c "test $rc = 0 && grep -q '^container abcdef123456 (prod/web/app)' <<<'$out'"

# --- status --all (a fake state directory: every container is the workload)
out=$("$NH_BIN" status --all --root "$tmp/k8s" --json 2>&1); rc=$?
check "status --all --json: exit 0" test "$rc" = 0
check "status --all --json: the two containers, not the sandbox, with the workload's pages" \
	python3 -c '
import json, sys
d = json.loads(sys.argv[1]); pid = int(sys.argv[2]); node = sys.argv[3]; rss = int(sys.argv[4])
rows = {r["id"]: r for r in d["containers"]}
assert set(rows) == {"abcdef123456", "fedcba987"}, rows.keys()
a = rows["abcdef123456"]
assert a["pid"] == pid and a["pod"] == {"namespace": "prod", "name": "web", "container": "app"}
assert a["target"] == node and a["target_nodes"] == node and a["on_target_share"] == 1
assert abs(a["resident_bytes"][node] / 1048576 - rss) <= 2, a["resident_bytes"]
assert a["off_target_bytes"] == {} and rows["fedcba987"]["target"] is None
assert d["containers"][0]["id"] == "abcdef123456"  # a target sorts before none
' "$out" "$pid" "$node" "$rss_mib"
out=$("$NH_BIN" status --all --root "$tmp/k8s" 2>&1); rc=$?
check "status --all: a table with a row per container" bash -c "test $rc = 0 && test \$(grep -c . <<<'$out') = 3 && grep -q '^abcdef123456  prod/web/app ' <<<'$out'"
"$NH_BIN" status --all --root "$tmp/k8s" --prometheus >"$tmp/prom" 2>&1; rc=$?
check "status --all --prometheus: resident bytes per container and node" \
	bash -c "test $rc = 0 && grep -q '^oci_numa_hook_resident_bytes{container_id=\"abcdef123456\",name=\"\",namespace=\"prod\",pod=\"web\",container=\"app\",node=\"$node\"} [1-9]' '$tmp/prom' && grep -q '^# TYPE oci_numa_hook_off_target_bytes gauge' '$tmp/prom'"
out=$("$NH_BIN" status --all --pid "$pid" 2>&1); rc=$?
check "status --all with a TARGET: exit 1" test "$rc" = 1
out=$("$NH_BIN" status --pid "$pid" --prometheus 2>&1); rc=$?
check "--prometheus without --all: exit 1" test "$rc" = 1

# --- status is read-only: a process outside any container is shown alone
(echo "$BASHPID" > "$root/cgroup.procs" && exec sleep 60) </dev/null >/dev/null 2>&1 &
outside=$!
sleep 0.2
out=$("$NH_BIN" status --pid "$outside" 2>&1); rc=$?
check "status --pid of a process in the root cgroup: exit 0" test "$rc" = 0
check "status: such a process is shown alone" bash -c "grep -q 'not a container cgroup: this process only' <<<'$out' && test \$(grep -cE '^[0-9]+ ' <<<'$out') = 1"
out=$("$NH_BIN" migrate --pid "$outside" --to "$node" --dry-run --config /nonexistent 2>&1); rc=$?
check "migrate still refuses a process outside a container cgroup" bash -c "test $rc = 1 && grep -q 'not in a container cgroup' <<<'$out'"
kill "$outside" 2>/dev/null

# --- every command answers --help
for c in hook status migrate validate cdi-spec containerd-base-spec; do
	"$NH_BIN" "$c" --help >"$tmp/help" 2>&1; rc=$?
	check "$c --help: exit 0 with its usage" bash -c "test $rc = 0 && grep -q '^Usage: oci-numa-hook $c' '$tmp/help'"
done
"$NH_BIN" migrate abc --to 1 --help >"$tmp/help" 2>&1; rc=$?
check "--help anywhere on the line" bash -c "test $rc = 0 && grep -q '^Usage: oci-numa-hook migrate' '$tmp/help'"

# --- migrate
before_mems=$(cat "$CG/cpuset.mems")
out=$("$NH_BIN" migrate --pid "$pid" --to "$node" --from "$node" --dry-run --config /nonexistent 2>&1); rc=$?
check "migrate --dry-run: exit 0" test "$rc" = 0
check "migrate --dry-run: says what would move" grep -qE "^dry run: would move [0-9]+ pages .* of 1 processes" <<<"$out"
if $v1; then
	check "migrate --dry-run: changes no cgroup file" test "$(cat "$CG/cpuset.memory_migrate")" = 0
fi
strace -f -qq -e trace=migrate_pages -o "$tmp/dry.trace" "$NH_BIN" migrate --pid "$pid" --to "$node" \
	--from "$node" --dry-run --config /nonexistent >/dev/null 2>&1
check "migrate --dry-run: makes no migrate_pages call" test ! -s "$tmp/dry.trace"

strace -f -qq -e trace=migrate_pages -o "$tmp/mig.trace" "$NH_BIN" migrate --pid "$pid" \
	--to "$node" --from "$node" --config /nonexistent > "$tmp/mig.out" 2>&1; rc=$?
check "migrate: exit 0" test "$rc" = 0
check "migrate: migrate_pages called for the workload" grep -qE "migrate_pages\($pid," "$tmp/mig.trace"
check "migrate: before and after tables" bash -c "grep -q '^Before (MiB):' '$tmp/mig.out' && grep -q '^After (MiB):' '$tmp/mig.out'"
check "migrate: closing line with pages, time and rate" grep -qE '^migrate: moved [0-9]+ pages .* in [0-9]+ ms \(.* MiB/s, engine migrate_pages, longest call .* ms\); not moved 0$' "$tmp/mig.out"
check "migrate: cpuset.mems is the target" test "$(cat "$CG/cpuset.mems")" = "$node"
if $v1; then
	check "migrate: cpuset.memory_migrate set" test "$(cat "$CG/cpuset.memory_migrate")" = 1
fi
check "migrate: no progress line when stderr is not a terminal" bash -c "! grep -q 'ETA' '$tmp/mig.out'"
if command -v script >/dev/null; then
	script -qec "$NH_BIN migrate --pid $pid --to $node --from $node --config /nonexistent" "$tmp/tty.out" >/dev/null 2>&1
	check "migrate on a terminal: progress line with pages, rate and ETA" grep -qE 'moved [0-9]+ of [0-9]+ pages, [0-9.]+ MiB/s, ETA' "$tmp/tty.out"
else
	skip "migrate on a terminal" "script(1) from bsdutils is missing"
fi
out=$("$NH_BIN" migrate --pid "$pid" --to 1023 --config /nonexistent 2>&1); rc=$?
check "migrate to a node that does not exist: exit 1 with one line" test "$rc" = 1 -a "$(grep -c . <<<"$out")" = 1
printf 'allowed-nodes = 1023\n' > "$tmp/allow.conf"
out=$("$NH_BIN" migrate --pid "$pid" --to "$node" --config "$tmp/allow.conf" 2>&1); rc=$?
check "migrate: the admin allow-list applies" bash -c "test $rc = 1 && grep -q 'not allowed by the admin' <<<'$out'"
out=$("$NH_BIN" migrate --pid "$pid" 2>&1); rc=$?
check "migrate without --to: exit 1" test "$rc" = 1

# --- validate
sed -e "s|@HOOK_PATH@|$NH_BIN|" -e 's|@STAGE@|poststart|g' \
	"$NH_SRCDIR/contrib/hooks.d/oci-numa-hook.json.in" > "$tmp/good.json"
out=$("$NH_BIN" validate --config "$NH_SRCDIR/contrib/oci-numa-hook.conf" --hooks-json "$tmp/good.json" 2>&1); rc=$?
check "validate: the shipped config and hooks.d template pass" test "$rc" = 0
check "validate: reports each file ok" test "$(grep -c ': ok' <<<"$out")" = 2
bad_json() { # NAME SED-EXPRESSION PATTERN
	sed -e "$2" "$tmp/good.json" > "$tmp/bad.json"
	out=$("$NH_BIN" validate --config /nonexistent --hooks-json "$tmp/bad.json" 2>&1); rc=$?
	if [ "$rc" = 1 ] && grep -q -- "$3" <<<"$out"; then ok "validate refuses $1"; else not_ok "validate refuses $1" "exit $rc: $out"; fi
}
bad_json "an unanchored annotation pattern" 's|\^oci-numa-hook/nodes\$|oci-numa-hook/nodes|' "is not anchored"
bad_json "a pattern that never matches the annotation" 's|\^oci-numa-hook/nodes\$|^other$|' "no when.annotations pattern matches"
bad_json "another schema version" 's|"1.0.0"|"2.0.0"|' '"version" must be "1.0.0"'
bad_json "a path that does not exist" "s|\"path\": \"[^\"]*\"|\"path\": \"/nonexistent/hook\"|" "is not executable"
bad_json "a path with a newline, quoted on one line" "s|\"path\": \"[^\"]*\"|\"path\": \"/nonexistent/a\\\\nb\"|" 'hook.path "/nonexistent/a\\x0ab" is not executable'
check "the newline in a hook.path stays out of the error (one line)" \
	grep -q 'error: .*hook.path "/nonexistent/a\\x0ab" is not executable' <<<"$out"
long=/nonexistent/$(printf 'd%.0s' $(seq 1 120))/oci-numa-hook
bad_json "a long path, quoted whole" "s|\"path\": \"[^\"]*\"|\"path\": \"$long\"|" "hook.path \"$long\" is not executable"
bad_json "stages that differ from the args" 's|"stages": \["poststart"\]|"stages": ["createRuntime"]|' '"stages" must be \["poststart"\]'
bad_json "an unknown stage" 's|"hook", "poststart"|"hook", "poststop"|' "is not a stage"
bad_json "not JSON" 's|{|[|' "not"
printf 'bogus = 1\n' > "$tmp/bad.conf"
out=$("$NH_BIN" validate --config "$tmp/bad.conf" --hooks-json "$tmp/good.json" 2>&1); rc=$?
check "validate refuses a bad config naming file and line" bash -c "test $rc = 1 && grep -q 'bad.conf:1: unknown key' <<<'$out'"

tap_end
