#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tests of the Kubernetes installer: the manifests (yamllint, an offline schema
# check), the installer image built with podman (offline: FROM scratch), and
# what it does to a node: run with a temporary directory as /host, with the
# DaemonSet's security settings, it installs the hook and the hooks.d files
# with the right modes and content, a second run changes nothing, a changed
# file is replaced, nothing else is touched, and --sleep ends on SIGTERM.
#
#   check-kubernetes.sh --hook STATIC_HOOK --installer STATIC_INSTALLER
#                       --srcdir DIR --version V [--build-only --output FILE]
#
# --build-only: only build the image and save it as an OCI archive in FILE.
# Prints one "PASS: kubernetes/<name>", "FAIL: kubernetes/<name> — <why>" or
# "SKIP: kubernetes/<name> — <why>" line per test; exits 1 if any test failed.
# Podman runs with its own configuration and storage in a temporary directory
# (removed on exit); the host's images and containers are never touched.
set -euo pipefail

HOOK='' INSTALLER='' SRCDIR='' VERSION='' BUILD_ONLY=no OUTPUT='' TAG=''
usage() {
	echo "usage: $0 --hook BIN --installer BIN --srcdir DIR --version V [--build-only --output FILE] [--tag TAG]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--hook) HOOK=${2:-}; shift 2 || usage ;;
	--installer) INSTALLER=${2:-}; shift 2 || usage ;;
	--srcdir) SRCDIR=${2:-}; shift 2 || usage ;;
	--version) VERSION=${2:-}; shift 2 || usage ;;
	--output) OUTPUT=${2:-}; shift 2 || usage ;;
	--tag) TAG=${2:-}; shift 2 || usage ;;
	--build-only) BUILD_ONLY=yes; shift ;;
	*) usage ;;
	esac
done
if [ -z "$HOOK" ] || [ -z "$INSTALLER" ] || [ -z "$SRCDIR" ] || [ -z "$VERSION" ]; then usage; fi
K8S=$SRCDIR/contrib/kubernetes
TAG=${TAG:-localhost/oci-numa-hook-installer:$VERSION}
PY=/usr/bin/python3 # Debian's python, where python3-kubernetes is

NFAIL=0
pass() { echo "PASS: kubernetes/$1"; }
fail() { echo "FAIL: kubernetes/$1 — $2"; NFAIL=$((NFAIL + 1)); }
skip() { echo "SKIP: kubernetes/$1 — $2"; }
note() { echo "#   $*"; }

T=$(mktemp -d /tmp/oci-numa-hook-k8s.XXXXXX)
# shellcheck source=tests/lib/podman.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/podman.sh"
podman_sandbox "$T"
pm() { podman --runtime-flag "root=$T/podman/runc" "$@"; }
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	set +e
	local cid d
	if [ -e "${CONTAINERS_CONF:-}" ]; then
		# The cgroups of this script's containers (podman leaves them with cgroupfs).
		for cid in $(pm ps -a -q --no-trunc 2>/dev/null) $(cat "$T/cids" 2>/dev/null); do
			for d in /sys/fs/cgroup/*/libpod_parent/libpod-"$cid"* /sys/fs/cgroup/libpod_parent/libpod-"$cid"*; do
				[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			done
		done
		pm rm -a -f -t 0 >/dev/null 2>&1
		pm rmi -a -f >/dev/null 2>&1
	fi
	if [ "$PODMAN_PARENT_EXISTED" = no ]; then
		for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	local m
	awk -v t="$T" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT


# The build context: the two static binaries, the template, the licences.
build_image() {
	local ctx=$T/context
	mkdir -p "$ctx"
	install -m 0755 "$HOOK" "$ctx/oci-numa-hook"
	install -m 0755 "$INSTALLER" "$ctx/oci-numa-hook-install"
	install -m 0644 "$SRCDIR/contrib/hooks.d/oci-numa-hook.json.in" "$ctx/oci-numa-hook.json.in"
	install -m 0644 "$SRCDIR/LICENSE" "$SRCDIR/contrib/kubernetes/LGPL-2.1" \
		"$SRCDIR/contrib/kubernetes/NOTICE" "$ctx/"
	pm build --pull=never --network=none --build-arg "VERSION=$VERSION" \
		-f "$K8S/Containerfile" -t "$TAG" "$ctx" >"$T/build.log" 2>&1
}

# ---- manifests ------------------------------------------------------------------
manifests=("$K8S/daemonset.yaml" "$K8S/nri-plugin.yaml" "$K8S/example-pod.yaml")
if [ "$BUILD_ONLY" = no ]; then
	if command -v yamllint >/dev/null; then
		if out=$(yamllint -s -f parsable "${manifests[@]}" 2>&1); then
			pass yamllint
		else
			fail yamllint "$(head -n 3 <<<"$out" | tr '\n' ' ')"
		fi
	else
		skip yamllint "yamllint not installed (Debian package yamllint)"
	fi

	if "$PY" -c 'import kubernetes, yaml' 2>/dev/null; then
		"$PY" "$K8S/check-manifests.py" "${manifests[@]}" || true
		# The check itself: each of these broken manifests must be refused.
		mkdir -p "$T/bad"
		sed 's|oci-numa-hook/nodes: "1"|oci-numa-hook/nodes: 1|' "$K8S/example-pod.yaml" >"$T/bad/unquoted-annotation.yaml"
		sed 's|restartPolicy:|restartPolicyy:|' "$K8S/example-pod.yaml" >"$T/bad/unknown-field.yaml"
		sed 's|mountPath: /host/usr/libexec|mountPathx: /host/usr/libexec|' "$K8S/daemonset.yaml" >"$T/bad/missing-required.yaml"
		sed 's|apiVersion: apps/v1|apiVersion: apps/v9|' "$K8S/daemonset.yaml" >"$T/bad/unknown-version.yaml"
		bad_ok=yes
		for f in "$T"/bad/*.yaml; do
			if "$PY" "$K8S/check-manifests.py" "$f" | grep -q '^PASS'; then
				bad_ok=no
				fail schema-check-refuses "the schema check accepted $(basename "$f")"
			fi
		done
		[ "$bad_ok" = yes ] && pass schema-check-refuses
	else
		skip schema "the Kubernetes Python client is missing (Debian package python3-kubernetes)"
	fi
fi

# ---- the image --------------------------------------------------------------------
IMAGE_TESTS="image-build image-licences install-first install-again install-update sleep-terminates"
if [ "$(id -u)" != 0 ] || ! command -v podman >/dev/null; then
	[ "$BUILD_ONLY" = yes ] && { echo "make image needs root and podman" >&2; exit 1; }
	for t in $IMAGE_TESTS; do skip "$t" "needs root and podman"; done
	[ "$NFAIL" = 0 ]
	exit
fi
if ! build_image; then
	fail image-build "podman build failed: $(tail -n 3 "$T/build.log" | tr '\n' ' ')"
	for t in ${IMAGE_TESTS#image-build}; do skip "$t" "no image"; done
	exit 1
fi
if [ "$BUILD_ONLY" = yes ]; then
	OUTPUT=${OUTPUT:-oci-numa-hook-installer-$VERSION.tar}
	rm -f "$OUTPUT"
	pm save --format oci-archive -o "$OUTPUT" "$TAG" >/dev/null
	echo "image $TAG saved as OCI archive $OUTPUT (podman load -i $OUTPUT; skopeo copy oci-archive:$OUTPUT docker://REGISTRY/oci-numa-hook-installer:$VERSION)"
	exit 0
fi
layers=$(pm image inspect --format '{{len .RootFS.Layers}}' "$TAG")
size=$(pm image inspect --format '{{.Size}}' "$TAG")
pass image-build
note "image $TAG: $layers layer(s), $size bytes"

# The static hook carries LGPL-2.1 libraries: the image ships the licences
# and the notice that says where their source is.
lic_ok=yes
if cid=$(pm create "$TAG" 2>"$T/create.err") && pm cp "$cid:/licenses" "$T/licenses" 2>"$T/cp.err"; then
	for f in "$SRCDIR/LICENSE" "$K8S/LGPL-2.1" "$K8S/NOTICE"; do
		cmp -s "$f" "$T/licenses/$(basename "$f")" || { lic_ok=no; fail image-licences "/licenses/$(basename "$f") is missing or differs"; }
	done
	[ "$lic_ok" = yes ] && pass image-licences
else
	fail image-licences "cannot read /licenses from the image: $(cat "$T/create.err" "$T/cp.err" | head -n 2 | tr '\n' ' ')"
fi
[ -n "${cid:-}" ] && pm rm -f "$cid" >/dev/null 2>&1

HOST=$T/host
BIN_DIR=/usr/libexec/oci/hooks.d
HOOKS_DIR=/usr/share/containers/oci/hooks.d
# As the DaemonSet runs it: root without capabilities, read-only root file system.
run_installer() {
	rm -f "$T/cid"
	pm run --rm --cidfile "$T/cid" --network=none --read-only --cap-drop=all --security-opt no-new-privileges \
		--user 0:0 -v "$HOST$BIN_DIR:/host$BIN_DIR" -v "$HOST$HOOKS_DIR:/host$HOOKS_DIR" \
		"$TAG" --host-root /host
	local rc=$?
	[ -s "$T/cid" ] && { cat "$T/cid"; echo; } >>"$T/cids"
	return $rc
}
expected_json() { # stage
	sed -e "s|@HOOK_PATH@|$BIN_DIR/oci-numa-hook|g" -e "s|@STAGE@|$1|g" \
		"$SRCDIR/contrib/hooks.d/oci-numa-hook.json.in"
}
files=("$BIN_DIR/oci-numa-hook" "$HOOKS_DIR/oci-numa-hook-createRuntime.json" "$HOOKS_DIR/oci-numa-hook-poststart.json")
snapshot() { # inode, mode, mtime of every file under /host, sorted
	(cd "$HOST" && find . -printf '%p %i %m %T@\n' | sort)
}

# A node that already has its own things in these directories.
mkdir -p "$HOST$BIN_DIR" "$HOST$HOOKS_DIR"
echo '{"version": "1.0.0"}' >"$HOST$HOOKS_DIR/someone-else.json"
printf '#!/bin/sh\n' >"$HOST$BIN_DIR/other-hook"
chmod 0700 "$HOST$BIN_DIR/other-hook"
others() { (cd "$HOST" && find . \( -name someone-else.json -o -name other-hook \) -exec stat -c '%n %i %a %Y %s' {} + | sort); }
before_other=$(others)

check_installed() { # test-name
	local f mode want out
	for f in "${files[@]}"; do
		[ -f "$HOST$f" ] || { fail "$1" "$f is not installed"; return 1; }
		mode=$(stat -c %a "$HOST$f")
		want=644
		[[ $f == */oci-numa-hook ]] && want=755
		[ "$mode" = "$want" ] || { fail "$1" "$f has mode $mode, expected $want"; return 1; }
	done
	cmp -s "$HOOK" "$HOST$BIN_DIR/oci-numa-hook" || { fail "$1" "the installed binary differs from the static hook"; return 1; }
	for s in createRuntime poststart; do
		if ! expected_json "$s" | cmp -s - "$HOST$HOOKS_DIR/oci-numa-hook-$s.json"; then
			fail "$1" "oci-numa-hook-$s.json is not the template with path $BIN_DIR/oci-numa-hook and stage $s"
			return 1
		fi
	done
	if ! out=$("$HOST$BIN_DIR/oci-numa-hook" --version) || [ "$out" != "oci-numa-hook $VERSION" ]; then
		fail "$1" "the installed binary says '$out' to --version"
		return 1
	fi
	if [ "$(others)" != "$before_other" ]; then
		fail "$1" "files that are not the hook's were changed"
		return 1
	fi
	if [ -n "$(find "$HOST" -name '.*.tmp')" ]; then
		fail "$1" "temporary files left: $(find "$HOST" -name '.*.tmp' | tr '\n' ' ')"
		return 1
	fi
	return 0
}

# 1. First run: everything lands, with the right modes and content.
if out=$(run_installer 2>&1) && [ "$(grep -c '^installed ' <<<"$out")" = 3 ]; then
	check_installed install-first && pass install-first
else
	fail install-first "installer output: $(tr '\n' ' ' <<<"$out")"
fi
note "$(tr '\n' ';' <<<"$out")"

# 2. Second run: nothing is written (same inodes, modes, mtimes).
snap=$(snapshot)
sleep 1
if out=$(run_installer 2>&1) && [ "$(grep -c '^unchanged ' <<<"$out")" = 3 ] &&
	[ "$(snapshot)" = "$snap" ]; then
	pass install-again
else
	fail install-again "the second run changed something: $(tr '\n' ' ' <<<"$out")"
fi

# 3. A changed or wrong-mode file is replaced (a new inode: atomic rename), the others not.
echo '{}' >"$HOST$HOOKS_DIR/oci-numa-hook-poststart.json"
chmod 0700 "$HOST$BIN_DIR/oci-numa-hook"
old_json_inode=$(stat -c %i "$HOST$HOOKS_DIR/oci-numa-hook-poststart.json")
cr_inode=$(stat -c %i "$HOST$HOOKS_DIR/oci-numa-hook-createRuntime.json")
if out=$(run_installer 2>&1) && [ "$(grep -c '^installed ' <<<"$out")" = 2 ] &&
	[ "$(stat -c %i "$HOST$HOOKS_DIR/oci-numa-hook-poststart.json")" != "$old_json_inode" ] &&
	[ "$(stat -c %i "$HOST$HOOKS_DIR/oci-numa-hook-createRuntime.json")" = "$cr_inode" ]; then
	check_installed install-update && pass install-update
else
	fail install-update "installer output: $(tr '\n' ' ' <<<"$out")"
fi

# 4. The DaemonSet's --sleep: stays up, and ends with status 0 on SIGTERM (a
# process 1 without a handler would ignore it and be killed after the timeout).
if cid=$(pm run -d --network=none --read-only --cap-drop=all --user 0:0 \
	-v "$HOST$BIN_DIR:/host$BIN_DIR" -v "$HOST$HOOKS_DIR:/host$HOOKS_DIR" \
	"$TAG" --host-root /host --sleep 2>"$T/run.err"); then
	sleep 1
	running=$(pm inspect --format '{{.State.Running}}' "$cid")
	t0=$(date +%s%N)
	pm stop -t 10 "$cid" >/dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	code=$(pm inspect --format '{{.State.ExitCode}}' "$cid")
	echo "$cid" >>"$T/cids"
	pm rm -f "$cid" >/dev/null
	if [ "$running" = true ] && [ "$code" = 0 ] && [ "$ms" -lt 5000 ]; then
		pass sleep-terminates
	else
		fail sleep-terminates "running=$running, exit code $code, stop took $ms ms"
	fi
else
	fail sleep-terminates "podman run -d failed: $(tr '\n' ' ' <"$T/run.err")"
fi

[ "$NFAIL" = 0 ]
