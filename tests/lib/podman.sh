# SPDX-License-Identifier: Apache-2.0
# A throw-away podman for tests: its own containers.conf and vfs storage in
# a temp dir (cgroupfs manager, file events, runc), a busybox root file
# system, crun's command line on hybrid hosts, and a clean-up that removes
# what the run created and nothing else.
# shellcheck shell=bash

# podman_sandbox DIR: configure podman to live in DIR (exports the env).
podman_sandbox() {
	local dir=$1 d
	mkdir -p "$dir/podman"
	export CONTAINERS_CONF=$dir/podman/containers.conf
	export CONTAINERS_STORAGE_CONF=$dir/podman/storage.conf
	PODMAN_SANDBOX=$dir
	PODMAN_PARENT_EXISTED=no
	for d in /sys/fs/cgroup/libpod_parent /sys/fs/cgroup/*/libpod_parent; do
		[ -d "$d" ] && PODMAN_PARENT_EXISTED=yes
	done
	cat >"$CONTAINERS_CONF" <<-EOF
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$dir/podman/events.log"
		runtime = "runc"
		tmp_dir = "$dir/podman/tmp"
		[network]
		network_config_dir = "$dir/podman/networks"
	EOF
	cat >"$CONTAINERS_STORAGE_CONF" <<-EOF
		[storage]
		driver = "vfs"
		runroot = "$dir/podman/run"
		graphroot = "$dir/podman/storage"
	EOF
}

# busybox_rootfs DIR: a root file system with a static busybox.
busybox_rootfs() {
	local root=$1 bb a
	bb=$(command -v busybox) || { echo "busybox is missing (Debian package busybox-static)"; return 1; }
	if ! grep -Eq 'not a dynamic executable|statically linked' <<<"$(LC_ALL=C ldd "$bb" 2>&1 || true)"; then
		echo "$bb is not statically linked (Debian package busybox-static)"
		return 1
	fi
	mkdir -p "$root"/{bin,proc,sys,dev,etc,tmp}
	cp "$bb" "$root/bin/busybox"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
}

# crun_hybrid_cmd DIR [CRUN-ARGS...]: sets CRUN to the command line that runs
# crun. crun refuses hybrid hosts; in a private mount namespace an empty file
# (DIR/empty) over unified/cgroup.controllers makes it see a v1 host.
crun_hybrid_cmd() {
	local dir=$1
	shift
	CRUN=(crun "$@")
	if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
		: >"$dir/empty"
		# shellcheck disable=SC2016 # expanded by that inner bash
		CRUN=(unshare -m --propagation private /bin/bash -c
			'mount --bind "$1" /sys/fs/cgroup/unified/cgroup.controllers && shift && exec "$@"'
			crun-hybrid "$dir/empty" crun "$@")
	fi
}

# podman_sandbox_cleanup: containers, podman's parent cgroup if this run made
# it, mounts under the sandbox, then the sandbox.
podman_sandbox_cleanup() {
	local d m
	[ -n "${PODMAN_SANDBOX:-}" ] || return 0
	podman rm -a -f -t 0 >/dev/null 2>&1
	if [ "$PODMAN_PARENT_EXISTED" = no ]; then
		for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	awk -v t="$PODMAN_SANDBOX" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$PODMAN_SANDBOX"
}
