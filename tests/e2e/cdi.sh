#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CDI: `oci-numa-hook cdi-spec` writes a Container Device Interface spec
# whose devices add the hook with --nodes; podman --device KIND=NAME then
# runs it with no hooks.d and no annotation. Prints PASS/FAIL lines.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/podman.sh"
HOOK=${1:?usage: cdi.sh HOOK-BINARY}
failed=0
pass() { echo "PASS: e2e/$1"; }
fail() { echo "FAIL: e2e/$1 — $2"; failed=1; }

[ "$(id -u)" = 0 ] || { echo "SKIP: e2e/cdi — needs root"; exit 0; }
command -v podman >/dev/null || { echo "SKIP: e2e/cdi — podman is not installed"; exit 0; }
T=$(mktemp -d)
SPEC=/var/run/cdi/oci-numa-hook-test-$$.json
cleanup() { rm -f "$SPEC"; podman_sandbox_cleanup; }
trap cleanup EXIT
podman_sandbox "$T"
busybox_rootfs "$T/rootfs" || { fail cdi "$(busybox_rootfs "$T/rootfs" 2>&1)"; exit 1; }
printf 'log-file = %s\n' "$T/hook.log" > "$T/hook.conf"

# The generated spec, checked for the CDI fields this hook relies on.
if "$HOOK" cdi-spec --hook-path "$HOOK" > "$T/spec.json" &&
	python3 - "$T/spec.json" "$HOOK" <<'PY'
import json, re, sys
spec = json.load(open(sys.argv[1]))
assert spec["cdiVersion"] == "0.5.0" and spec["kind"] == "oci-numa-hook.io/numa"
names = [d["name"] for d in spec["devices"]]
assert {"all", "auto"} <= set(names) and len(names) == len(set(names))
for d in spec["devices"]:
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.:-]*", d["name"]), d["name"]
    hooks = d["containerEdits"]["hooks"]
    assert [h["hookName"] for h in hooks] == ["createRuntime", "poststart"]
    for h in hooks:
        assert h["path"] == sys.argv[2]
        assert h["args"] == ["oci-numa-hook", "hook", h["hookName"], "--nodes", d["name"]]
PY
then pass cdi-spec-fields; else fail cdi-spec-fields "spec does not have the expected fields"; fi

mkdir -p /var/run/cdi
"$HOOK" cdi-spec --hook-path "$HOOK" --output "$SPEC" || fail cdi-spec-output "cdi-spec --output failed"
# The test's own log file, so that the run can be proven.
sed -i "s|\"--nodes\"|\"--config\", \"$T/hook.conf\", \"--nodes\"|" "$SPEC"
check_mode=$(stat -c %a "$SPEC")
[ "$check_mode" = 644 ] && pass cdi-spec-output || fail cdi-spec-output "mode $check_mode, expected 644"

out=$(timeout 120 podman run --rm --network=none --device oci-numa-hook.io/numa=0 \
	--rootfs "$T/rootfs" sh -c 'grep Mems_allowed_list /proc/self/status' 2>&1)
rc=$?
lines=$(grep -c 'summary stage=' "$T/hook.log" 2>/dev/null || true)
if [ "$rc" = 0 ] && grep -q 'Mems_allowed_list:.0$' <<<"$out" &&
	grep -q 'summary stage=createRuntime .*nodes=0 ' "$T/hook.log" &&
	grep -q 'summary stage=poststart .*nodes=0 ' "$T/hook.log" && [ "$lines" = 2 ]; then
	pass cdi-podman-device
else
	fail cdi-podman-device "podman exit $rc, $lines summary lines: $out"
fi

: > "$T/hook.log"
out=$(timeout 120 podman run --rm --network=none --device oci-numa-hook.io/numa=0 \
	--annotation oci-numa-hook/nodes=1 --rootfs "$T/rootfs" true 2>&1)
rc=$?
# Found before the config is read: the line is on podman's output.
if [ "$rc" != 0 ] && grep -q 'annotation oci-numa-hook/nodes="1" disagrees with the hook.s option --nodes 0' <<<"$out"; then
	pass cdi-annotation-disagrees
else
	fail cdi-annotation-disagrees "podman exit $rc: $out"
fi
exit $failed
