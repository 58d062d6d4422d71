# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# The static hook in the NUMA test VM (issue 7): oci-numa-hook-static,
# staged by build.sh --hook-static without any library, run from a chroot
# that holds nothing but the binary and the mount points of /proc, /sys and
# /sys/fs/cgroup: no /lib, no loader, no libc, no /etc, no /dev.
# Sourced after vm-lib.sh, like vm-tests.sh.  C_* variables are read by
# container_up and config_write (vm-lib.sh); the single-quoted scripts are
# expanded by the shells they are given to.
# shellcheck disable=SC2034,SC2016

NH_STATIC_ROOT=$NH_RUN/static-root

# Run CMD in a mount namespace of its own in which NH_STATIC_ROOT has /proc,
# /sys and /sys/fs/cgroup bound in (the cgroup tree recursively, for v1's
# hierarchies).  The mounts end with the namespace: nothing to clean up, and
# no other test sees them.  Exit 125 if a mount fails.
static_ns() { # CMD...
	unshare -m --propagation private sh -c '
		r=$0
		mount -o bind /proc "$r/proc" && mount -o bind /sys "$r/sys" &&
			mount -o rbind /sys/fs/cgroup "$r/sys/fs/cgroup" || exit 125
		exec "$@"' "$NH_STATIC_ROOT" "$@"
}

# Run PROGRAM of the chroot as a runtime runs a hook: empty environment,
# stdin passed through; chroot leaves the working directory at its /.
in_static_root() { # PROGRAM ARGS...
	static_ns env -i /bin/busybox chroot "$NH_STATIC_ROOT" "$@"
}

# The static hook copied alone into an empty directory and run there with
# chroot: the dynamic hook does not even start there (negative control),
# the static one prints its version and, for poststart with runc's state on
# stdin, moves a running container's pages from node 0 to node 1.  The
# evidence is read from outside: nh-pages and cpuset.mems.
t_static_hook() {
	if [ ! -x "$NH_HOOK_STATIC" ]; then
		skip "no static hook in the VM image: $(cat /nh/oci-numa-hook-static.missing 2>/dev/null || echo "build.sh was not given --hook-static")"
	fi
	root=$NH_STATIC_ROOT
	mkdir -p "$root" || fail "cannot create $root"
	cp "$NH_HOOK_STATIC" "$root/oci-numa-hook" || fail "cannot copy $NH_HOOK_STATIC"
	mkdir "$root/proc" "$root/sys"

	# Negative control: the dynamic build in the same chroot finds no loader.
	if [ -x "$NH_HOOK" ]; then
		cp "$NH_HOOK" "$root/oci-numa-hook-dynamic"
		rc=0
		out=$(in_static_root /oci-numa-hook-dynamic --version 2>&1) || rc=$?
		rm -f "$root/oci-numa-hook-dynamic"
		note "dynamic hook in the chroot: exit $rc: $(echo "$out" | head -n 1)"
		[ "$rc" = 125 ] && fail "cannot mount /proc, /sys or /sys/fs/cgroup into $root"
		[ "$rc" != 0 ] || fail "the dynamic hook ran in the chroot ('$out'): the chroot is not empty of libraries"
	else
		note "dynamic hook not in the VM image: no negative control"
	fi

	# The chroot: its own file system holds the binary and three mount points.
	own=$(static_ns sh -c 'cd "$0" && find . -xdev | sort | tr "\n" " "' "$root") ||
		fail "cannot list $root in its mount namespace"
	listing=$(static_ns ls -a "$root" | tr '\n' ' ')
	mounts=$(static_ns sh -c 'grep " $0/" /proc/self/mounts | cut -d" " -f2,3 | sed "s|^$0||" | tr "\n" " "' "$root")
	note "chroot: ls -a: $listing; files: $own; mounts: $mounts"
	[ "$own" = ". ./oci-numa-hook ./proc ./sys " ] ||
		fail "the chroot holds more than the hook and the mount points: $own"
	case $mounts in
	"/proc proc /sys sysfs /sys/fs/cgroup cgroup"*) ;;
	*) fail "unexpected mounts in the chroot: $mounts" ;;
	esac

	rc=0
	version=$(in_static_root /oci-numa-hook --version 2>&1) || rc=$?
	note "--version in the chroot: exit $rc: $version"
	[ "$rc" = 0 ] || fail "the static hook failed in the chroot: exit $rc: $version"
	case $version in
	"oci-numa-hook "[0-9]*) ;;
	*) fail "--version in the chroot printed '$version'" ;;
	esac

	# A real migration.  The state names the bundle, which does not exist
	# in the chroot: the hook must not need it.
	C_MEMS=0
	C_ANNOT='"oci-numa-hook/nodes": "1"'
	container_up runc static --anon 64 --threads 2 --child 8
	before=$(cg_pages "$CG")
	state=$(runc --root /run/runc state static) || fail "runc state static failed"
	rc=0
	t0=$(now_ms)
	printf '%s' "$state" | in_static_root /oci-numa-hook hook poststart 2>"$NH_RUN/hook.err" || rc=$?
	t1=$(now_ms)
	after=$(cg_pages "$CG")
	mems=$(cat "$CG/cpuset.mems")
	note "before: $before; after: $after in $(ms_between "$t0" "$t1") ms; cpuset.mems=$mems; exit $rc; $(summary_of "$NH_RUN/hook.err" | sed 's/.*summary //')"
	[ "$rc" = 0 ] || fail "the static hook failed in the chroot: exit $rc: $(hook_error "$NH_RUN/hook.err")"
	summary_of "$NH_RUN/hook.err" | grep -q 'stage=poststart' ||
		fail "no poststart summary from the static hook: $(tail -n 2 "$NH_RUN/hook.err")"
	[ "$(field N0 "$after")" = 0 ] || fail "the static hook left pages on node 0: $after"
	[ "$(field N1 "$after")" -gt 0 ] || fail "no page on node 1 after the static hook: $after"
	[ "$mems" = 1 ] || fail "cpuset.mems is '$mems', want 1"
}
