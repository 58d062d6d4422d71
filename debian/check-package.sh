#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tests of the Debian package: builds it with dpkg-buildpackage from a copy of
# the distributed tree (make distdir), runs lintian, checks its contents,
# installs it with dpkg -i, checks the installed files, then proves with podman
# (no --hooks-dir) that the installed hooks.d files fire the hook for an
# annotated container and not for another, and purges the package.
#
#   check-package.sh --builddir DIR
#
# DIR is a configured build tree (its `make distdir` provides the sources).
# The package build sets DEB_BUILD_OPTIONS=nocheck: `make check` is run by the
# test suite itself, not a second time inside the package build.
# The install tests need root. The machine is left as found: a file that was
# at one of the package's paths before is put back, /etc/oci-numa-hook.conf
# is restored, the package is purged; if the package was installed before,
# the install tests are skipped rather than touching it.
# Prints one "PASS: package/<name>", "FAIL: package/<name> — <why>" or
# "SKIP: package/<name> — <why>" line per test; exits 1 if any test failed.
set -euo pipefail

BUILDDIR=
usage() { echo "usage: $0 --builddir DIR" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) BUILDDIR=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
[ -n "$BUILDDIR" ] || usage
BUILDDIR=$(realpath -e "$BUILDDIR")

PKG=oci-numa-hook
HOOK=/usr/libexec/oci/hooks.d/oci-numa-hook
JSON_DIR=/usr/share/containers/oci/hooks.d
CONF=/etc/oci-numa-hook.conf
FILES=("$HOOK" "$JSON_DIR/oci-numa-hook-createRuntime.json" "$JSON_DIR/oci-numa-hook-poststart.json"
	"$CONF" /usr/share/man/man1/oci-numa-hook.1.gz /usr/share/man/man5/oci-numa-hook.conf.5.gz
	/usr/share/doc/oci-numa-hook/copyright /usr/lib/systemd/system/oci-numa-hook-nri.service)
INSTALL_TESTS=(install installed-files validate man podman-hook-fires podman-unannotated purge)

NFAIL=0
pass() { echo "PASS: package/$1"; }
fail() { echo "FAIL: package/$1 — $2"; NFAIL=$((NFAIL + 1)); }
skip() { echo "SKIP: package/$1 — $2"; }
skip_rest() { local t; for t in "$@"; do skip "$t" "$REASON"; done; }
note() { echo "#   $*"; }
finish() { [ "$NFAIL" = 0 ]; exit; }
elapsed() { echo "$(( ($(date +%s%N) - $1) / 1000000 )) ms"; }

T=$(mktemp -d /tmp/oci-numa-hook-package.XXXXXX)
INSTALLED=no    # this script installed the package
CONF_SAVED=no   # $T/conf.orig holds the installed conffile while the test edits it
# shellcheck source=tests/lib/podman.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/podman.sh"
PODMAN_PARENT_EXISTED=no
for d in /sys/fs/cgroup/libpod_parent /sys/fs/cgroup/*/libpod_parent; do
	[ -d "$d" ] && PODMAN_PARENT_EXISTED=yes
done

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	set +e
	if [ -e "${CONTAINERS_CONF:-}" ]; then
		podman --runtime-flag "root=$T/podman/runc" rm -a -f -t 0 >/dev/null 2>&1
	fi
	# The cgroups of this script's containers (podman leaves them with cgroupfs).
	local cid d
	[ -f "$T/cids" ] && while read -r cid; do
		for d in /sys/fs/cgroup/*/libpod_parent/libpod-"$cid"* /sys/fs/cgroup/libpod_parent/libpod-"$cid"*; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done <"$T/cids"
	if [ "$PODMAN_PARENT_EXISTED" = no ]; then
		for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	[ "$CONF_SAVED" = yes ] && cp -p "$T/conf.orig" "$CONF"
	if [ "$INSTALLED" = yes ]; then
		dpkg --purge "$PKG" >/dev/null 2>&1
	fi
	# Files that were at the package's paths before it was installed.
	if [ -d "$T/backup" ]; then
		(cd "$T/backup" && find . -type f) | while read -r f; do
			mkdir -p "$(dirname "/${f#./}")"
			cp -p "$T/backup/$f" "/${f#./}"
		done
	fi
	local m
	awk -v t="$T" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ------------------------------------------------------------------------
for tool in dpkg-buildpackage dh; do
	if ! command -v "$tool" >/dev/null; then
		REASON="$tool not installed (Debian packages dpkg-dev, debhelper)"
		skip_rest build lintian contents "${INSTALL_TESTS[@]}"
		finish
	fi
done
VERSION=$(sed -n 's/^PACKAGE_VERSION = //p' "$BUILDDIR/Makefile")
SRC=$T/src/$PKG-$VERSION
mkdir -p "$T/src"
t0=$(date +%s%N)
if ! make -s -C "$BUILDDIR" distdir distdir="$SRC" >"$T/distdir.log" 2>&1; then
	fail build "make distdir failed: $(tail -n 3 "$T/distdir.log" | tr '\n' ' ')"
	REASON="the package was not built"
	skip_rest lintian contents "${INSTALL_TESTS[@]}"
	finish
fi
if ! missing=$(cd "$SRC" && dpkg-checkbuilddeps 2>&1); then
	fail build "build dependencies missing: $missing"
	REASON="the package was not built"
	skip_rest lintian contents "${INSTALL_TESTS[@]}"
	finish
fi
if (cd "$SRC" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1; then
	DEB=$(ls "$T"/src/"${PKG}"_*.deb)
	CHANGES=$(ls "$T"/src/"${PKG}"_*.changes)
	pass build
	note "built $(basename "$DEB") in $(elapsed "$t0")"
else
	tail -n 20 "$T/build.log" | sed 's/^/#     /'
	fail build "dpkg-buildpackage -us -uc -b failed (log above)"
	REASON="the package was not built"
	skip_rest lintian contents "${INSTALL_TESTS[@]}"
	finish
fi

# ---- lintian ----------------------------------------------------------------------
if command -v lintian >/dev/null; then
	# lintian refuses nothing as root, it only says it is not recommended.
	lintian --info --display-info "$CHANGES" 2>&1 | grep -v 'running with root privileges' >"$T/lintian.log" || true
	sed 's/^/#     lintian: /' "$T/lintian.log"
	errors=$(grep -c '^E: ' "$T/lintian.log" || true)
	if [ "$errors" = 0 ]; then
		pass lintian
		note "lintian: no error, $(grep -c '^W: ' "$T/lintian.log" || true) warning(s)"
	else
		fail lintian "$errors error(s): $(grep '^E: ' "$T/lintian.log" | head -n 3 | tr '\n' ' ')"
	fi
else
	skip lintian "lintian not installed (Debian package lintian)"
fi

# ---- contents ---------------------------------------------------------------------
contents=$(dpkg-deb -c "$DEB" | awk '{ print $1, substr($6, 2) }')
conffiles=$(dpkg-deb -I "$DEB" conffiles 2>/dev/null || true)
bad=
for f in "${FILES[@]}"; do
	want=-rw-r--r--
	[ "$f" = "$HOOK" ] && want=-rwxr-xr-x
	grep -qxF -- "$want $f" <<<"$contents" || bad="$bad $f($want)"
done
if [ -n "$bad" ]; then
	fail contents "missing or wrong mode in the .deb:$bad"
elif [ "$conffiles" != "$CONF" ]; then
	fail contents "conffiles is '$(tr '\n' ' ' <<<"$conffiles")', expected $CONF"
elif dpkg-deb -x "$DEB" "$T/x" && ! grep -qF "\"path\": \"$HOOK\"" "$T/x$JSON_DIR/oci-numa-hook-createRuntime.json"; then
	fail contents "the hooks.d file does not point at $HOOK"
else
	pass contents
fi

# ---- install ----------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	REASON="needs root (dpkg -i, podman)"
	skip_rest "${INSTALL_TESTS[@]}"
	finish
fi
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed'; then
	REASON="$PKG is already installed on this machine; the test does not touch it"
	skip_rest "${INSTALL_TESTS[@]}"
	finish
fi
for f in "${FILES[@]}"; do
	if [ -e "$f" ]; then
		mkdir -p "$(dirname "$T/backup$f")"
		cp -p "$f" "$T/backup$f"
		note "saved $f (not from the package) to put it back afterwards"
	fi
done
INSTALLED=yes
# A config left by `make install` is kept (it is not overwritten); answer dpkg's
# question about it non-interactively.
if dpkg -i --force-confdef --force-confold "$DEB" >"$T/install.log" 2>&1; then
	pass install
else
	fail install "dpkg -i failed: $(tail -n 3 "$T/install.log" | tr '\n' ' ')"
	REASON="the package is not installed"
	skip_rest installed-files validate man podman-hook-fires podman-unannotated
	dpkg --purge "$PKG" >/dev/null 2>&1 || true
	finish
fi

bad=
for f in "${FILES[@]}"; do [ -f "$f" ] || bad="$bad $f"; done
[ -x "$HOOK" ] || bad="$bad $HOOK(not executable)"
# Operators find the commands in PATH.
[ "$(readlink -f /usr/bin/oci-numa-hook)" = "$HOOK" ] || bad="$bad /usr/bin/oci-numa-hook(not a link to $HOOK)"
owned=$(dpkg -L "$PKG")
for f in "${FILES[@]}"; do grep -qxF "$f" <<<"$owned" || bad="$bad $f(not owned)"; done
if [ -n "$bad" ]; then
	fail installed-files "missing after dpkg -i:$bad"
elif ! out=$("$HOOK" --version) || [ "$out" != "oci-numa-hook $VERSION" ]; then
	fail installed-files "$HOOK --version says '$out'"
else
	pass installed-files
fi

# The installed config and hooks.d files pass the hook's own checks.
if out=$(oci-numa-hook validate 2>&1) && [ "$(grep -c ': ok' <<<"$out")" = 3 ]; then
	pass validate
else
	fail validate "oci-numa-hook validate: $(tr '\n' ' ' <<<"$out")"
fi

if command -v man >/dev/null && out=$(man -w oci-numa-hook 2>&1) && [ "$out" = /usr/share/man/man1/oci-numa-hook.1.gz ] &&
	[ "$(man -w 5 oci-numa-hook.conf 2>&1)" = /usr/share/man/man5/oci-numa-hook.conf.5.gz ] &&
	[ -z "$(MANWIDTH=80 man --warnings oci-numa-hook 2>&1 >/dev/null)" ]; then
	pass man
elif ! command -v man >/dev/null; then
	skip man "man not installed (Debian package man-db)"
else
	fail man "man -w oci-numa-hook: $out"
fi

# ---- podman, with the installed hooks.d files (no --hooks-dir) ---------------------
podman_tests() {
	local bb a log=$T/hook.log rootfs=$T/rootfs cid out n s rc
	if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
		REASON="podman or runc not installed (Debian packages podman, runc)"
		skip_rest podman-hook-fires podman-unannotated
		return
	fi
	bb=$(command -v busybox || true)
	if [ -z "$bb" ] || ! grep -Eq 'not a dynamic executable|statically linked' <<<"$(LC_ALL=C ldd "$bb" 2>&1 || true)"; then
		REASON="no static busybox for the root file system (Debian package busybox-static)"
		skip_rest podman-hook-fires podman-unannotated
		return
	fi
	busybox_rootfs "$rootfs"
	# Podman's own configuration and storage, in the temp dir; hooks_dir is
	# not set, so podman reads its default hooks directories.
	podman_sandbox "$T"
	# The installed conffile, with a log file for the proof; restored afterwards.
	cp -p "$CONF" "$T/conf.orig"
	CONF_SAVED=yes
	printf '\n# check-package.sh (temporary)\nlog-file = %s\n' "$log" >>"$CONF"
	: >"$log"

	run() { # annotation-args... : a container that lives one second
		timeout 120 podman --runtime-flag "root=$T/podman/runc" run --rm --cidfile "$T/cid" \
			--network=none "$@" --rootfs "$rootfs" sh -c 'sleep 1; echo done' 2>&1
	}
	rm -f "$T/cid"
	out=$(run --annotation oci-numa-hook/nodes=0) && rc=0 || rc=$?
	[ -s "$T/cid" ] && { cat "$T/cid"; echo; } >>"$T/cids"
	if [ "$rc" != 0 ]; then
		fail podman-hook-fires "podman run failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
		sed 's/^/#     log: /' "$log"
	else
		cid=$(cat "$T/cid")
		bad=
		for s in createRuntime poststart; do
			n=$(grep -cF "oci-numa-hook[${cid:0:12}]: info: summary stage=$s " "$log" || true)
			[ "$n" = 1 ] || bad="$bad $n summary line(s) for stage=$s;"
		done
		if [ -z "$bad" ] && grep -qF "nodes=0 " "$log"; then
			pass podman-hook-fires
			grep -F "summary" "$log" | sed 's/^/#     log: /'
		else
			sed 's/^/#     log: /' "$log"
			fail podman-hook-fires "in $log:$bad"
		fi
	fi
	: >"$log"
	rm -f "$T/cid"
	out=$(run --annotation other/key=1) && rc=0 || rc=$?
	[ -s "$T/cid" ] && { cat "$T/cid"; echo; } >>"$T/cids"
	if [ "$rc" != 0 ]; then
		fail podman-unannotated "podman run failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
	elif [ -s "$log" ]; then
		fail podman-unannotated "the hook logged for a container without the annotation: $(head -n 1 "$log")"
	else
		pass podman-unannotated
	fi
	cp -p "$T/conf.orig" "$CONF"
	CONF_SAVED=no
}
podman_tests

# ---- purge ------------------------------------------------------------------------
if dpkg --purge "$PKG" >"$T/purge.log" 2>&1; then
	INSTALLED=no
	left=
	for f in "${FILES[@]}"; do [ -e "$f" ] && left="$left $f"; done
	[ -L /usr/bin/oci-numa-hook ] && left="$left /usr/bin/oci-numa-hook"
	if [ -n "$left" ]; then
		fail purge "left after dpkg --purge:$left"
	else
		pass purge
	fi
else
	fail purge "dpkg --purge failed: $(tail -n 3 "$T/purge.log" | tr '\n' ' ')"
fi
finish
