#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build the NUMA test VM: a Debian cloud kernel and an initramfs holding
# busybox, runc, crun, numactl's migratepages, strace, the hook under test
# and the static helpers of this directory.  Everything is cached under
# CACHE and rebuilt only when an input changed.
#
#   build.sh --cache DIR [--kernel bookworm|trixie] [--hook PATH]
#            [--hook-static PATH | --no-hook-static WHY]
#
# --kernel: whose linux-image-cloud-amd64 the VM boots: Debian 12's
# (bookworm, the default: from the host's own apt sources) or Debian 13's
# (trixie: from the same archive through a private apt setup in the cache;
# the host's apt configuration is not changed).
# --hook-static: the fully static hook (make oci-numa-hook-static), put at
# /nh/bin/oci-numa-hook-static without any library; it must be static.
# --no-hook-static: why there is none (the static-hook test skips with it).
#
# Prints three lines: "kernel=PATH", "initramfs=PATH" (the initramfs with
# that kernel's loop module appended) and "kernel-package=NAME".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$here/$(basename "${BASH_SOURCE[0]}")
cache=
hook=
hook_static=
no_static_why=
suite=bookworm

usage() {
	echo "usage: $0 --cache DIR [--kernel bookworm|trixie] [--hook PATH-TO-oci-numa-hook] [--hook-static PATH-TO-oci-numa-hook-static | --no-hook-static WHY]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=${2:?}; shift 2 ;;
	--kernel) suite=${2:?}; shift 2 ;;
	--hook) hook=${2:?}; shift 2 ;;
	--hook-static) hook_static=${2:?}; shift 2 ;;
	--no-hook-static) no_static_why=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$cache" ] || usage
case $suite in bookworm | trixie) ;; *) usage ;; esac
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
if [ -n "$hook" ]; then
	[ -x "$hook" ] || { echo "build.sh: hook binary $hook is missing" >&2; exit 1; }
	hook=$(cd "$(dirname "$hook")" && pwd)/$(basename "$hook")
fi
if [ -n "$hook_static" ]; then
	[ -x "$hook_static" ] || { echo "build.sh: static hook binary $hook_static is missing" >&2; exit 1; }
	hook_static=$(cd "$(dirname "$hook_static")" && pwd)/$(basename "$hook_static")
fi

log() { echo "build.sh: $*" >&2; }
die() { echo "build.sh: error: $*" >&2; exit 1; }

need() {
	local tool=$1 pkg=$2
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found: install the Debian package $pkg (see tests/vm/packages)"
}

# ---------------------------------------------------------------- kernel
# Debian 12's kernel comes through the host's apt sources and lists, as
# they are; it is cached in kernel/PACKAGE.  Debian 13's comes through a
# private apt setup in apt-trixie/ (its own sources.list, lists and
# caches; the host's configuration files, lists and preferences are not
# read or changed): the trixie suite of the archive that the host's
# bookworm entry names.  It is cached in kernel-trixie/PACKAGE.
kernel_root=$cache/kernel
apt_opts=()
[ "$suite" = bookworm ] || kernel_root=$cache/kernel-$suite

# The archive of the host's "bookworm main" entry (any sources format).
host_archive() {
	# shellcheck disable=SC2016 # $(NAME) are apt's format fields
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' 2>/dev/null |
		awk '$2 == "bookworm" && $3 == "main" { print $1; exit }'
}

# Refresh the private package lists of SUITE; on failure (no network) the
# lists of the last success, if any, are used.
private_apt() {
	local dir=$cache/apt-$suite uri
	mkdir -p "$dir/lists/partial" "$dir/cache"
	: >"$dir/status"
	apt_opts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "Dir::State::status=$dir/status"
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
		-o APT::Sandbox::User=root)
	uri=$(host_archive)
	if [ -z "$uri" ]; then
		log "warning: the host's apt sources have no 'bookworm main' entry to take the archive from"
		return
	fi
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" >"$dir/sources.list"
	apt-get -q "${apt_opts[@]}" update >"$dir/update.log" 2>&1 ||
		log "warning: apt-get update for $suite failed (see $dir/update.log)"
}

# The newest linux-image-*-cloud-amd64 that the metapackage depends on.
kernel_package() {
	apt-cache "${apt_opts[@]}" depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\)$/\1/p' | head -n 1
}

build_kernel() {
	local pkg dir tmp version
	if [ "$suite" != bookworm ]; then
		private_apt
	fi
	pkg=$(kernel_package || true)
	if [ -z "$pkg" ] && [ "$suite" = bookworm ] && [ "$(id -u)" = 0 ]; then
		log "no package lists for linux-image-cloud-amd64: running apt-get update"
		apt-get update -q >/dev/null 2>&1 || true
		pkg=$(kernel_package || true)
	fi
	if [ -z "$pkg" ]; then
		# No package lists (apt-get update not run): fall back to a cached kernel.
		dir=$(find "$kernel_root" -mindepth 2 -maxdepth 2 -name vmlinuz -printf '%h\n' 2>/dev/null | sort -V | tail -n 1)
		[ -n "$dir" ] || die "cannot resolve $suite's linux-image-cloud-amd64 (run apt-get update) and no kernel is cached"
		log "warning: cannot resolve $suite's linux-image-cloud-amd64 (apt-get update?); using cached $(basename "$dir")"
		kernel=$dir/vmlinuz
		return
	fi
	version=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	dir=$kernel_root/$pkg
	kernel=$dir/vmlinuz
	# A new upload under the same package name is fetched again.
	[ -s "$kernel" ] && [ -e "$dir/complete" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ] && return
	need dpkg-deb dpkg
	need xz xz-utils
	log "fetching $pkg $version ($suite)"
	rm -f "$dir/complete"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/kernel-dl.XXXXXX")
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root "${apt_opts[@]}" download "$pkg" >&2) ||
		die "apt-get download $pkg failed"
	dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
	mkdir -p "$dir"
	rm -f "$dir/loop.ko" "$dir/modules.cpio.gz" "$dir/initramfs.gz"
	cp "$tmp"/x/boot/vmlinuz-* "$dir/vmlinuz.tmp"
	cp "$tmp"/x/boot/config-* "$dir/config"
	# loop.ko: the VM mounts container images from a loop device, so that
	# their page cache is allocated by the container (a cold image).
	# Debian 13 ships its modules in /usr/lib/modules, xz-compressed.
	find "$tmp/x/lib/modules" "$tmp/x/usr/lib/modules" -name 'loop.ko*' -exec cp {} "$dir/" \; 2>/dev/null || true
	[ ! -f "$dir/loop.ko.xz" ] || xz -d -f "$dir/loop.ko.xz"
	mv "$dir/vmlinuz.tmp" "$kernel"
	echo "$version" >"$dir/version"
	touch "$dir/complete"
	rm -rf "$tmp"
}

# ---------------------------------------------------------------- helpers
helpers=(nh-workload nh-pages nh-clock nh-nocap)

build_helpers() {
	local h src bin
	need gcc gcc
	mkdir -p "$cache/bin"
	for h in "${helpers[@]}"; do
		src=$here/$h.c
		bin=$cache/bin/$h
		if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$self" -nt "$bin" ]; then
			log "compiling $h"
			gcc -O2 -static -pthread -Wall -Wextra -Werror -o "$bin.tmp" "$src" ||
				die "cannot compile $src (static glibc: libc6-dev)"
			mv "$bin.tmp" "$bin"
		fi
	done
}

# ---------------------------------------------------------------- initramfs
# Binaries taken from the host, at the same path inside the VM.
host_binaries() {
	local tool pkg path
	for tool in busybox:busybox-static runc:runc crun:crun migratepages:numactl strace:strace; do
		pkg=${tool#*:}
		tool=${tool%%:*}
		path=$(command -v "$tool" 2>/dev/null) ||
			die "$tool not found: install the Debian package $pkg (see tests/vm/packages)"
		readlink -f "$path"
	done
}

# Shared libraries (and the loader) that ldd lists for a binary.
libraries_of() {
	ldd "$1" 2>/dev/null | sed -n -e 's/^.*=> \(\/[^ ]*\) .*$/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (.*$/\1/p'
}

# Copy a file to the same path under the staging root, keeping a symlink's
# name (the loader path /lib64/ld-linux-x86-64.so.2 is a link).
stage_file() {
	local src=$1 root=$2 dst
	dst=$root$src
	mkdir -p "$(dirname "$dst")"
	cp -L "$src" "$dst"
}

# The static hook must need no library at all: ldd says "not a dynamic
# executable" (-static) or "statically linked" (-static-pie) and lists
# nothing; the ELF has no program interpreter.
check_static() { # PATH
	local out
	out=$(LC_ALL=C ldd "$1" 2>&1 || true)
	case $out in
	*"not a dynamic executable"* | *"statically linked"*) ;;
	*) die "--hook-static $1 is not a static executable; ldd says: $(echo "$out" | tr '\n' ' ')" ;;
	esac
	[ -z "$(libraries_of "$1")" ] || die "--hook-static $1: ldd lists libraries: $(libraries_of "$1" | tr '\n' ' ')"
	if command -v readelf >/dev/null 2>&1 && LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		die "--hook-static $1 names a program interpreter (readelf -l): it is dynamic"
	fi
}

build_initramfs() {
	local root manifest stamp bin lib name
	need cpio cpio
	need gzip gzip
	need busybox busybox-static
	case $(ldd "$(command -v busybox)" 2>&1 || true) in
	*"not a dynamic"*) ;;
	*) die "busybox is not static: install busybox-static" ;;
	esac

	mapfile -t bins < <(host_binaries)
	[ -z "$hook" ] || bins+=("$hook")
	[ -z "$hook_static" ] || check_static "$hook_static"
	libs=()
	for bin in "${bins[@]}"; do
		while read -r lib; do libs+=("$lib"); done < <(libraries_of "$bin")
	done
	mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)

	# The stamp: every input's content, so that any change rebuilds.
	manifest=$(
		{
			sha256sum "${bins[@]}" "${libs[@]}" ${hook_static:+"$hook_static"} "$cache"/bin/* \
				"$here"/init.sh "$here"/vm-lib.sh "$here"/vm-tests.sh "$here"/vm-faults.sh "$here"/vm-static.sh "$here"/vm-demo.sh "$self"
			echo "hook=$hook"
			echo "hook-static=$hook_static"
			echo "no-hook-static=$no_static_why"
		} | sed "s|$cache||; s|$here||"
	)
	stamp=$(printf '%s\n' "$manifest" | sha256sum | cut -d' ' -f1)
	initramfs=$cache/initramfs.gz
	if [ -s "$initramfs" ] && [ "$(cat "$cache/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then
		return
	fi

	log "assembling initramfs"
	root=$cache/root
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,nh/bin,nh/rootfs/bin,nh/rootfs/tmp,nh/rootfs/proc,nh/rootfs/dev}

	for bin in "${bins[@]}" "${libs[@]}"; do
		case $bin in
		"$hook") cp "$bin" "$root/nh/bin/oci-numa-hook" ;;
		*) stage_file "$bin" "$root" ;;
		esac
	done
	# The loader under the name the binaries ask for.
	for lib in "${libs[@]}"; do
		case $lib in
		*/ld-linux*) [ -e "$root/lib64/$(basename "$lib")" ] || { mkdir -p "$root/lib64"; cp -L "$lib" "$root/lib64/"; } ;;
		esac
	done
	# busybox applets as links (busybox itself is /bin/busybox or /usr/bin/busybox).
	name=$(readlink -f "$(command -v busybox)")
	[ "$name" = /bin/busybox ] || cp "$root$name" "$root/bin/busybox"
	while read -r name; do
		[ -e "$root/$name" ] || ln -s /bin/busybox "$root/$name"
	done < <(busybox --list-full)

	cp "$cache"/bin/nh-* "$root/nh/bin/"
	# The static hook alone: none of its libraries (it has none) is staged.
	if [ -n "$hook_static" ]; then
		cp "$hook_static" "$root/nh/bin/oci-numa-hook-static"
	else
		echo "${no_static_why:-run.sh was not given --hook-static}" >"$root/nh/oci-numa-hook-static.missing"
	fi
	cp "$here/vm-lib.sh" "$here/vm-tests.sh" "$here/vm-faults.sh" "$here/vm-static.sh" "$here/vm-demo.sh" "$root/nh/"
	install -m 0755 "$here/init.sh" "$root/init"
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"

	# The container image: static busybox and the workload.
	cp "$root/bin/busybox" "$root/nh/rootfs/bin/busybox"
	for name in sh cat sleep ls echo; do ln -s busybox "$root/nh/rootfs/bin/$name"; done
	cp "$cache/bin/nh-workload" "$root/nh/rootfs/bin/"

	(cd "$root" && find . -print0 | cpio --null --create --format=newc --quiet) | gzip -1 >"$initramfs.tmp"
	mv "$initramfs.tmp" "$initramfs"
	echo "$stamp" >"$cache/initramfs.stamp"
	rm -rf "$root"
}

# The kernel's own part: its loop module, as a second cpio archive after
# the shared one (the kernel unpacks concatenated archives in order).  The
# shared initramfs holds nothing of the kernel, so one serves every kernel.
kernel_initramfs() {
	local dir mods
	dir=$(dirname "$kernel")
	mods=$dir/modules.cpio.gz
	if [ ! -s "$mods" ]; then
		rm -rf "$dir/root"
		mkdir -p "$dir/root/nh/modules"
		[ ! -f "$dir/loop.ko" ] || cp "$dir/loop.ko" "$dir/root/nh/modules/"
		(cd "$dir/root" && find . -print0 | cpio --null --create --format=newc --quiet) | gzip -1 >"$mods.tmp"
		mv "$mods.tmp" "$mods"
		rm -rf "$dir/root"
	fi
	if [ ! -s "$dir/initramfs.gz" ] || [ "$initramfs" -nt "$dir/initramfs.gz" ] || [ "$mods" -nt "$dir/initramfs.gz" ]; then
		cat "$initramfs" "$mods" >"$dir/initramfs.gz.tmp"
		mv "$dir/initramfs.gz.tmp" "$dir/initramfs.gz"
	fi
	initramfs=$dir/initramfs.gz
}

build_kernel
build_helpers
build_initramfs
kernel_initramfs
echo "kernel=$kernel"
echo "initramfs=$initramfs"
echo "kernel-package=$(basename "$(dirname "$kernel")")"
