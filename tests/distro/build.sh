#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2016 # the sh -c scripts take their arguments as $1, $2
# Builds the Debian 13 (trixie) test bed of tests/distro (README.md there),
# from Debian packages only, into a cache directory.  Each stage is rebuilt
# only when one of its inputs changed (a hash of the inputs is kept beside
# each output):
#
#   buildroot.tar   a trixie build chroot (mmdebstrap, buildd variant, the
#                   package's Build-Depends)
#   deb/*.deb       the project's Debian package, built natively in that
#                   chroot with dpkg-buildpackage (its `make check` included)
#                   from `make distdir` of the build tree
#   base.tar        the guest's root: trixie with systemd, podman, crun, runc,
#                   containerd, numactl, python3-grpcio and jq (the CRI
#                   tests), uidmap, dbus-user-session and libpam-systemd
#                   (rootless Podman), the cloud kernel and its initrd
#   vmlinuz, initrd.img   taken from base.tar's /boot
#   bin/            static helpers of tests/vm (nh-pages, nh-workload) and
#                   bench/nh-bench.c (the prober of the NRI update tests)
#   disk.img        ext4 (mkfs.ext4 -d) of base.tar + the .deb installed
#                   with apt + the helpers, the test unit and script
#
#   build.sh --cache DIR --builddir DIR
#
# The archive: NH_DISTRO_MIRROR, else the first Debian URI of this host's
# apt sources, else http://deb.debian.org/debian.  Needs root (chroot,
# device nodes in the image) and mmdebstrap, e2fsprogs, gcc, libc6-dev.
set -euo pipefail

CACHE='' BUILDDIR=''
usage() { echo "usage: $0 --cache DIR --builddir DIR" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--cache) CACHE=${2:-}; shift 2 || usage ;;
	--builddir) BUILDDIR=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
[ -n "$CACHE" ] && [ -n "$BUILDDIR" ] || usage
[ "$(id -u)" = 0 ] || { echo "build.sh: needs root (chroot, mkfs of a root file system)" >&2; exit 1; }
for tool in mmdebstrap mkfs.ext4 gcc; do
	command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (tests/distro/packages)" >&2; exit 1; }
done
HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
BUILDDIR=$(realpath -e "$BUILDDIR")
mkdir -p "$CACHE"
CACHE=$(realpath -e "$CACHE")
SUITE=trixie

log() { echo "# distro-build: $*"; }
hash_of() { sha256sum | cut -c1-16; }
# up_to_date STAMP KEY: the output of STAMP was made from inputs KEY.
up_to_date() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# The archive this host already uses (deb822 .sources or one-line .list).
mirror() {
	if [ -n "${NH_DISTRO_MIRROR:-}" ]; then echo "$NH_DISTRO_MIRROR"; return; fi
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' |
		grep -v -e security -e '^cdrom:' | head -n 1 || true)
	[ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) {print $i; break}}' |
		grep -v security | head -n 1 || true)
	echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=$(mirror)
SOURCES="deb $MIRROR $SUITE main"

# --- the build chroot: trixie + the Build-Depends of debian/control
build_deps() {
	sed -n '/^Build-Depends:/,/^[A-Z]/p' "$SRCDIR/debian/control" | sed '1s/^Build-Depends://;/^[A-Z]/d' |
		tr ',' '\n' | sed 's/<[^>]*>//g; s/([^)]*)//g; s/[[:space:]]//g' | grep . | sort -u
}
BUILD_PKGS=$(build_deps | tr '\n' ',' | sed 's/,$//')
key=$(printf '%s\n' "$SOURCES" "$BUILD_PKGS" buildd v1 | hash_of)
if ! up_to_date "$CACHE/buildroot.tar.key" "$key"; then
	log "build chroot: mmdebstrap $SUITE --variant=buildd + $BUILD_PKGS"
	t0=$SECONDS
	rm -f "$CACHE/buildroot.tar" "$CACHE/buildroot.tar.key"
	mmdebstrap --quiet --variant=buildd --include="$BUILD_PKGS" "$SUITE" "$CACHE/buildroot.tar" "$SOURCES"
	echo "$key" >"$CACHE/buildroot.tar.key"
	log "build chroot: $((SECONDS - t0)) s"
fi

# --- the Debian package, built in that chroot from the distributed tree
rm -rf "$CACHE/src"
${MAKE:-make} -s -C "$BUILDDIR" distdir distdir="$CACHE/src" >"$CACHE/distdir.log" 2>&1 ||
	{ echo "build.sh: make distdir failed (see $CACHE/distdir.log)" >&2; exit 1; }
# (The package build does not read tests/distro: editing the test bed does
# not rebuild the package.)
src_key=$( (cd "$CACHE/src" && find . -path ./tests/distro -prune -o -type f -print0 | sort -z | xargs -0 sha256sum) | hash_of)
key=$(printf '%s\n' "$(cat "$CACHE/buildroot.tar.key")" "$src_key" | hash_of)
if ! up_to_date "$CACHE/deb.key" "$key" || ! ls "$CACHE"/deb/oci-numa-hook_*.deb >/dev/null 2>&1; then
	log "package: dpkg-buildpackage in the $SUITE chroot (make check included)"
	t0=$SECONDS
	rm -rf "$CACHE/deb" "$CACHE/deb.key" "$CACHE/buildroot"
	mkdir -p "$CACHE/buildroot" "$CACHE/deb"
	tar -C "$CACHE/buildroot" -xf "$CACHE/buildroot.tar"
	mkdir -p "$CACHE/buildroot/build"
	cp -a "$CACHE/src" "$CACHE/buildroot/build/oci-numa-hook"
	# A chroot with /proc but without /sys: no cgroups, as in a package
	# build on a build daemon.  A mount namespace of its own, so that nothing
	# stays mounted.  As root, but the build must not need it (the host
	# tests skip, saying why).
	if ! unshare --mount --propagation private sh -c '
		mount -t proc proc "$1/proc" &&
		exec chroot "$1" sh -c "cd /build/oci-numa-hook && dpkg-buildpackage -b -us -uc"' \
		sh "$CACHE/buildroot" >"$CACHE/deb.log" 2>&1; then
		echo "build.sh: dpkg-buildpackage failed in the $SUITE chroot; last lines of $CACHE/deb.log:" >&2
		tail -n 30 "$CACHE/deb.log" >&2
		exit 1
	fi
	cp "$CACHE"/buildroot/build/oci-numa-hook_*.deb "$CACHE/deb/"
	grep -E '^(# )?(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS|# TOTAL|# PASS|# SKIP|# FAIL)' "$CACHE/deb.log" |
		grep -E '^# (TOTAL|PASS|SKIP|FAIL):|^SKIP:' >"$CACHE/deb.check" || true
	rm -rf "$CACHE/buildroot"
	echo "$key" >"$CACHE/deb.key"
	log "package: $(basename "$(ls "$CACHE"/deb/*.deb)") in $((SECONDS - t0)) s"
fi
DEB=$(ls "$CACHE"/deb/oci-numa-hook_*.deb | head -n 1)

# --- the guest's root file system, with the kernel and the initrd it made
IMAGE_PKGS="systemd,systemd-sysv,dbus,udev,kmod,procps,util-linux,iproute2,
linux-image-cloud-amd64,initramfs-tools,
podman,crun,runc,conmon,containers-storage,golang-github-containers-common,netavark,catatonit,
containerd,numactl,busybox-static,strace,python3-grpcio,jq,
uidmap,dbus-user-session,libpam-systemd,
libcgroup3,libyajl2,libnuma1,libprotobuf-c1"
IMAGE_PKGS=$(echo "$IMAGE_PKGS" | tr -d '\n ')
key=$(printf '%s\n' "$SOURCES" "$IMAGE_PKGS" base v1 | hash_of)
if ! up_to_date "$CACHE/base.tar.key" "$key"; then
	log "guest root: mmdebstrap $SUITE + $IMAGE_PKGS"
	t0=$SECONDS
	rm -f "$CACHE/base.tar" "$CACHE/base.tar.key" "$CACHE/vmlinuz" "$CACHE/initrd.img"
	# No recommends: what podman needs for `--network=none` containers is
	# listed above; the rest (buildah, slirp4netns, ...) is not needed.
	mmdebstrap --quiet --variant=minbase --include="$IMAGE_PKGS" \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		"$SUITE" "$CACHE/base.tar" "$SOURCES"
	echo "$key" >"$CACHE/base.tar.key"
	log "guest root: $((SECONDS - t0)) s, $(du -m "$CACHE/base.tar" | cut -f1) MiB"
fi
if [ ! -s "$CACHE/vmlinuz" ] || [ ! -s "$CACHE/initrd.img" ] || ! up_to_date "$CACHE/kernel.key" "$(cat "$CACHE/base.tar.key")"; then
	rm -rf "${CACHE:?}/boot"
	mkdir -p "$CACHE/boot"
	tar -C "$CACHE/boot" -xf "$CACHE/base.tar" --wildcards './boot/vmlinuz-*' './boot/initrd.img-*'
	kver=$(ls "$CACHE/boot/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n 1)
	[ -n "$kver" ] && [ -s "$CACHE/boot/boot/initrd.img-$kver" ] ||
		{ echo "build.sh: no kernel or initrd in the guest root's /boot" >&2; exit 1; }
	mv "$CACHE/boot/boot/vmlinuz-$kver" "$CACHE/vmlinuz"
	mv "$CACHE/boot/boot/initrd.img-$kver" "$CACHE/initrd.img"
	echo "$kver" >"$CACHE/kernel-version"
	cat "$CACHE/base.tar.key" >"$CACHE/kernel.key"
	rm -rf "${CACHE:?}/boot"
	log "kernel $kver and its initrd"
fi

# --- static helpers
mkdir -p "$CACHE/bin"
for h in nh-pages nh-workload; do
	if [ ! -x "$CACHE/bin/$h" ] || [ "$CACHE/bin/$h" -ot "$SRCDIR/tests/vm/$h.c" ]; then
		gcc -static -O2 -Wall -o "$CACHE/bin/$h" "$SRCDIR/tests/vm/$h.c" -lpthread
	fi
done
# The prober of the NRI update tests: bench/nh-bench.c's "starter" (P8's).
if [ ! -x "$CACHE/bin/nh-bench" ] || [ "$CACHE/bin/nh-bench" -ot "$SRCDIR/bench/nh-bench.c" ]; then
	gcc -static -O2 -Wall -o "$CACHE/bin/nh-bench" "$SRCDIR/bench/nh-bench.c" -lpthread
fi

# --- the disk image
GUEST_FILES=("$HERE/guest-tests.sh" "$HERE/nh-distro-tests.service" "$HERE/nh-cri.py" "$HERE/nh-fake-nri.py")
key=$( (cat "$CACHE/base.tar.key"; sha256sum "$DEB" "$CACHE"/bin/* "${GUEST_FILES[@]}" | cut -d' ' -f1; echo disk v1) | hash_of)
if ! up_to_date "$CACHE/disk.img.key" "$key"; then
	log "disk image: base + $(basename "$DEB") + tests"
	t0=$SECONDS
	rm -rf "$CACHE/root" "$CACHE/disk.img" "$CACHE/disk.img.key"
	mkdir -p "$CACHE/root"
	tar -C "$CACHE/root" -xf "$CACHE/base.tar"
	R=$CACHE/root
	mkdir -p "$R/opt/nh-distro/bin"
	cp "$DEB" "$R/opt/nh-distro/"
	# Installed the way a user installs a downloaded package (its
	# dependencies are in the root already: nothing is downloaded).
	unshare --mount --propagation private sh -c '
		mount -t proc proc "$1/proc" &&
		exec chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/opt/nh-distro/$2"' \
		sh "$R" "$(basename "$DEB")" >"$CACHE/install.log" 2>&1 ||
		{ echo "build.sh: installing the package in the guest root failed:" >&2; tail -n 20 "$CACHE/install.log" >&2; exit 1; }
	cp "$CACHE"/bin/* "$R/opt/nh-distro/bin/"
	install -m 755 "$HERE/guest-tests.sh" "$R/opt/nh-distro/guest-tests.sh"
	install -m 755 "$HERE/nh-cri.py" "$R/opt/nh-distro/nh-cri.py"
	install -m 755 "$HERE/nh-fake-nri.py" "$R/opt/nh-distro/nh-fake-nri.py"
	install -m 644 "$HERE/nh-distro-tests.service" "$R/etc/systemd/system/nh-distro-tests.service"
	ln -sf /etc/systemd/system/nh-distro-tests.service "$R/etc/systemd/system/multi-user.target.wants/nh-distro-tests.service"
	# The console belongs to the tests: no login prompt on it.
	ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$R/etc/systemd/system/getty@tty1.service"
	# Not needed for the tests, slow under TCG: started by a test that needs it.
	rm -f "$R/etc/systemd/system/multi-user.target.wants/containerd.service"
	rm -f "$R"/etc/systemd/system/timers.target.wants/*
	echo nh-distro >"$R/etc/hostname"
	echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$R/etc/fstab"
	: >"$R/etc/machine-id"
	# Podman without a network: containers run with --network=none.
	rm -rf "$R/var/cache/apt/archives/"*.deb "$R/var/lib/apt/lists/"*
	size=$(( $(du -sm "$R" | cut -f1) + 1024 ))
	mkfs.ext4 -q -F -L nh-distro -d "$R" "$CACHE/disk.img" "${size}M"
	rm -rf "$R"
	echo "$key" >"$CACHE/disk.img.key"
	log "disk image: ${size} MiB in $((SECONDS - t0)) s"
fi
log "ready: $CACHE/vmlinuz $CACHE/initrd.img $CACHE/disk.img"
