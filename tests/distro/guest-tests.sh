#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2317 # the t_* functions are called by name
# The tests inside the Debian 13 test bed (tests/distro/README.md), run by
# nh-distro-tests.service once systemd has brought the system up.  The
# package is installed (apt, from its .deb); Podman finds its hooks.d files
# in /usr/share/containers/oci/hooks.d by itself: no --hooks-dir anywhere.
#
# The host names the tests on the kernel command line (nh.tests=a,b and
# nh.timeout=SECONDS per test).  One line per test on stdout (the serial
# console): "PASS: distro/NAME", "FAIL: distro/NAME — why" or
# "SKIP: distro/NAME — why"; "# distro/NAME: ..." lines are measurements;
# "nh-distro: done results=N" ends the run.  Each test runs in a process of
# its own ("guest-tests.sh --one NAME") under a time limit.
# Page counts come from nh-pages (move_pages with nodes=NULL), cgroup files
# and the journal: never from the hook's own report.
set -u
export PATH=/opt/nh-distro/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8
IMAGE=localhost/nh-busybox:latest
HOOK=/usr/libexec/oci/hooks.d/oci-numa-hook
HOOKS_D=/usr/share/containers/oci/hooks.d
RUN=/run/nh-distro
CG=/sys/fs/cgroup

cmdline_word() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# ---------------------------------------------------------------- one test
if [ "${1:-}" = --one ]; then
	NAME=$2
	note() { echo "# distro/$NAME: $*"; }
	fail() { echo "FAIL: distro/$NAME — $*"; exit 1; }
	skip() { echo "SKIP: distro/$NAME — $*"; exit 0; }

	wait_file() { # PATH SECONDS
		local i=0
		while [ ! -s "$1" ]; do
			i=$((i + 1)); [ "$i" -le $(($2 * 10)) ] || return 1; sleep 0.1
		done
	}
	# ctr_cgroup NAME: the cgroup (under /sys/fs/cgroup) of a container's init.
	ctr_pid() { podman inspect -f '{{.State.Pid}}' "$1"; }
	ctr_cgroup() { sed -n 's/^0:://p' "/proc/$(ctr_pid "$1")/cgroup"; }
	# expect_on_node NODE PCT "N0=.. N1=.. pages=.." WHAT
	expect_on_node() {
		local on total
		on=$(field "N$1" "$3"); total=$(field pages "$3")
		[ -n "$total" ] && [ "$total" -gt 0 ] || fail "$4: no resident pages counted ($3)"
		[ $((${on:-0} * 100)) -ge $(($2 * total)) ] || fail "$4: ${on:-0} of $total pages on node $1, want >= $2 % ($3)"
	}
	# Every level from the container's cgroup up to the root: cpuset.mems,
	# cpuset.mems.effective.
	cgroup_levels() { # CGROUP
		local p=$1
		while [ -n "$p" ] && [ "$p" != / ]; do
			note "  $p: cpuset.mems='$(cat "$CG$p/cpuset.mems" 2>/dev/null || echo -)' effective='$(cat "$CG$p/cpuset.mems.effective" 2>/dev/null || echo -)'"
			p=$(dirname "$p")
		done
	}
	# The hook's syslog lines (tag oci-numa-hook) since a cursor.
	# Once the workload of DIR (pid PID, cgroup CGP) reported ready: its
	# memory allocated after start ($pages), every resident page of the
	# container ($total) and cpuset.mems ($mems), noted.
	measure_after_start() { # DIR PID CGP
		anon=$(field anon "$(cat "$1/ready")")
		pages=$(nh-pages --range "$anon" "$2" | sed -n 's/^total //p')
		total=$(nh-pages --cgroup "$CG$3" | sed -n 's/^total //p')
		mems=$(cat "$CG$3/cpuset.mems")
		note "memory allocated after start (anon $anon): $pages"
		note "every resident page of the container: $total"
		note "cpuset.mems of $3: '$mems' (effective '$(cat "$CG$3/cpuset.mems.effective")')"
	}
	journal_since() { journalctl -q -o cat -t oci-numa-hook --after-cursor="$1" 2>/dev/null; }
	journal_cursor() { journalctl -q -n 0 --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p'; }

	# Scenario 1: podman run --annotation oci-numa-hook/nodes=1 with RUNTIME
	# (crun is podman's default).  The workload allocates 64 MiB only after
	# the container has started (it waits for a file): those pages must be
	# >= 99 % on node 1, and the container cgroup's cpuset.mems must be 1.
	# The container runs on node 0's CPU (--cpuset-cpus 0, no --cpuset-mems),
	# so that without the hook the kernel's local allocation would put the
	# pages on node 0: the control (ANNOTATE=no) shows that it does, and that
	# the hooks.d files do not fire without the annotation.
	podman_nodes1() { # RUNTIME ANNOTATE(yes|no)
		local rt=$1 annotate=$2 name dir pid cgp ready anon pages total mems cursor hooklines ann=()
		[ "$annotate" = yes ] && ann=(--annotation oci-numa-hook/nodes=1)
		name=nodes1-$rt; [ "$annotate" = yes ] || name=control-$rt
		dir=$RUN/$name; rm -rf "$dir"; mkdir -p "$dir"
		podman rm -f "$name" >/dev/null 2>&1
		cursor=$(journal_cursor)
		t0=$(date +%s%N)
		podman run -d --name "$name" --runtime "$rt" --network=none --cpuset-cpus 0 -v "$dir:/x" \
			"${ann[@]}" "$IMAGE" \
			/bin/nh-workload --anon 64 --threads 2 --wait /x/go --ready /x/ready \
			>"$dir/run.out" 2>&1 || fail "podman run failed: $(tail -n 3 "$dir/run.out")"
		note "podman run -d took $((($(date +%s%N) - t0) / 1000000)) ms"
		note "runtime: $(podman inspect -f '{{.OCIRuntime}}' "$name"); annotations: $(podman inspect -f '{{json .Config.Annotations}}' "$name")"
		pid=$(ctr_pid "$name"); cgp=$(ctr_cgroup "$name")
		note "workload pid $pid, /proc/$pid/cgroup: $(tr '\n' ' ' <"/proc/$pid/cgroup")"
		note "cgroup levels (before the workload allocates):"; cgroup_levels "$cgp"
		note "conmon: $(tr '\n' ' ' <"/proc/$(podman inspect -f '{{.State.ConmonPid}}' "$name")/cgroup")"
		hooklines=$(journal_since "$cursor")
		note "hook lines in the journal: $(echo "$hooklines" | tr '\n' '|')"
		touch "$dir/go"
		wait_file "$dir/ready" 120 || fail "workload not ready after 120 s: $(podman logs "$name" 2>&1 | tail -n 3)"
		measure_after_start "$dir" "$pid" "$cgp"
		note "cgroup levels (after):"; cgroup_levels "$cgp"
		podman rm -f -t 0 "$name" >/dev/null 2>&1
		if [ "$annotate" = yes ]; then
			expect_on_node 1 99 "$pages" "memory allocated after start"
			[ "$mems" = 1 ] || fail "cpuset.mems of $cgp is '$mems', want 1"
		else
			[ -z "$hooklines" ] || fail "the hook ran for a container without the annotation: $hooklines"
			expect_on_node 0 99 "$pages" "memory allocated after start, without the hook"
		fi
	}

	# nodes=7 on a 2-node machine: `podman run` must fail, and no container
	# may be left running.  Where does the hook's one-line reason reach the
	# user?  The terminal (podman's stderr), `podman logs`, the journal.
	podman_nodes7() { # RUNTIME
		local rt=$1 name=nodes7-${1:-default} dir rc cursor line where=
		dir=$RUN/$name; rm -rf "$dir"; mkdir -p "$dir"
		podman rm -f "$name" >/dev/null 2>&1
		cursor=$(journal_cursor)
		podman run --name "$name" ${rt:+--runtime "$rt"} --network=none \
			--annotation oci-numa-hook/nodes=7 "$IMAGE" /bin/sh -c 'echo workload-ran' \
			>"$dir/stdout" 2>"$dir/stderr"
		rc=$?
		note "podman run exit status: $rc"
		while read -r l; do note "  terminal (stderr): $l"; done <"$dir/stderr"
		while read -r l; do note "  terminal (stdout): $l"; done <"$dir/stdout"
		podman logs "$name" >"$dir/logs" 2>&1; note "podman logs exit status: $?"
		while read -r l; do note "  podman logs: $l"; done <"$dir/logs"
		journal_since "$cursor" >"$dir/journal"
		while read -r l; do note "  journalctl -t oci-numa-hook: $l"; done <"$dir/journal"
		note "podman ps -a: $(podman ps -a --filter "name=$name" --format '{{.Names}} {{.Status}}' | tr '\n' ' ')"
		# The hook's reason: its error line in the journal.
		line=$(grep -m1 -i 'error' "$dir/journal" | sed 's/^.*error: //')
		if [ -n "$line" ]; then
			grep -qF -- "$line" "$dir/stderr" && where="$where terminal"
			grep -qF -- "$line" "$dir/logs" && where="$where podman-logs"
			where="$where journal"
			note "the hook's reason ('$line') reaches:$where"
		else
			note "the hook's reason is not in the journal"
		fi
		running=$(podman ps --filter "name=$name" -q)
		podman rm -f -t 0 "$name" >/dev/null 2>&1
		if [ "$rt" = crun ]; then
			# crun discards a hook's output unless told where to put it.
			podman run --rm --runtime crun --network=none --annotation oci-numa-hook/nodes=7 \
				--annotation run.oci.hooks.stderr=/dev/stderr "$IMAGE" /bin/true >/dev/null 2>"$dir/stderr2"
			note "with --annotation run.oci.hooks.stderr=/dev/stderr: exit $?; terminal (stderr): $(tr '\n' '|' <"$dir/stderr2")"
		fi
		# Every journal line (any identifier) that carries the reason.
		journalctl -q -o short --after-cursor="$cursor" 2>/dev/null | grep -F 'node 7' |
			while read -r l; do note "  journal (any identifier): $l"; done
		[ "$rc" != 0 ] || fail "podman run exited 0 with nodes=7"
		! grep -q workload-ran "$dir/stdout" || fail "the workload ran"
		[ -z "$running" ] || fail "the container is running"
		grep -q 7 "$dir/journal" || fail "no line naming node 7 from the hook in the journal (journalctl -t oci-numa-hook)"
	}

	# Facts: what `podman run --cpuset-mems 0` writes at each cgroup level
	# under systemd, and what happens when the hook (nodes=1) then writes
	# cpuset.mems below it.
	podman_cpuset_mems() { # RUNTIME
		local rt=$1 name=cpuset0-$1 cgp scope rc cursor eff
		podman rm -f "$name" "$name-hook" >/dev/null 2>&1
		podman run -d --name "$name" --runtime "$rt" --network=none --cpuset-mems 0 "$IMAGE" /bin/sleep 1000 >/dev/null 2>&1 ||
			fail "podman run --cpuset-mems 0 failed"
		cgp=$(ctr_cgroup "$name")
		note "--cpuset-mems 0: container cgroup $cgp"; cgroup_levels "$cgp"
		scope=$(echo "$cgp" | tr / '\n' | grep '\.scope$' | tail -n 1)
		[ -n "$scope" ] && note "systemctl show $scope: $(systemctl show "$scope" -p AllowedMemoryNodes -p EffectiveMemoryNodes -p Delegate -p DelegateSubgroup 2>&1 | tr '\n' ' ')"
		eff=$(cat "$CG$cgp/cpuset.mems.effective")
		# What a plain write of another node gives at this level (what the
		# hook would write, had it not refused first).
		if echo 1 >"$CG$cgp/cpuset.mems" 2>"$RUN/write.err"; then
			note "echo 1 > $cgp/cpuset.mems: accepted; now cpuset.mems='$(cat "$CG$cgp/cpuset.mems")' effective='$(cat "$CG$cgp/cpuset.mems.effective")'"
		else
			note "echo 1 > $cgp/cpuset.mems: refused: $(cat "$RUN/write.err")"
		fi
		podman rm -f -t 0 "$name" >/dev/null 2>&1
		[ "$eff" = 0 ] || fail "--cpuset-mems 0 gave the container effective mems '$eff'"

		name=$name-hook
		dir=$RUN/$name; rm -rf "$dir"; mkdir -p "$dir"
		cursor=$(journal_cursor)
		podman run -d --name "$name" --runtime "$rt" --network=none --cpuset-mems 0 --annotation oci-numa-hook/nodes=1 \
			-v "$dir:/x" "$IMAGE" /bin/nh-workload --anon 16 --threads 1 --wait /x/go --ready /x/ready >"$dir/out" 2>&1
		rc=$?
		note "--cpuset-mems 0 --annotation oci-numa-hook/nodes=1: podman run exit $rc: $(tr '\n' ' ' <"$dir/out" | cut -c1-400)"
		while read -r l; do note "  journal: $l"; done < <(journal_since "$cursor")
		if [ "$rc" = 0 ]; then
			cgp=$(ctr_cgroup "$name"); cgroup_levels "$cgp"
			touch "$dir/go"
			if wait_file "$dir/ready" 60; then
				note "pages allocated after start: $(nh-pages --range "$(field anon "$(cat "$dir/ready")")" "$(ctr_pid "$name")" | sed -n 's/^total //p')"
			fi
			scope=$(echo "$cgp" | tr / '\n' | grep '\.scope$' | tail -n 1)
			[ -n "$scope" ] && note "systemctl show $scope: $(systemctl show "$scope" -p AllowedMemoryNodes -p EffectiveMemoryNodes 2>&1 | tr '\n' ' ')"
		fi
		podman rm -f -t 0 "$name" >/dev/null 2>&1
		true
	}

	# containerd's CRI, configured as a user would (README, "3. containerd"):
	# the systemd cgroup driver, and the runc handler (the default) with the
	# base spec that `oci-numa-hook containerd-base-spec` writes (containerd's
	# default spec with the hook at createRuntime and poststart), and the pod
	# annotations let through.  Two more handlers for cri-base-spec:
	# runc-plain without a base spec, runc-ctr with `ctr oci spec` as it is.
	# The images (no registry): the test image and a "pause" image (the
	# same tarball with a command), saved by podman and imported with
	# `ctr -n k8s.io images import`.  Done once, by the first CRI test.
	CRI=/opt/nh-distro/nh-cri.py
	CRI_IMAGE=localhost/nh-busybox:latest
	PAUSE_IMAGE=localhost/nh-pause:latest
	BASE_SPEC=/etc/containerd/oci-numa-hook-base.json
	CTR_SPEC=/etc/containerd/ctr-oci-spec.json
	cri_setup() {
		local t0 base=$BASE_SPEC
		[ -e "$RUN/cri-ready" ] && return 0
		t0=$(date +%s%N)
		oci-numa-hook containerd-base-spec -o "$base" 2>"$RUN/base-spec.err" ||
			fail "oci-numa-hook containerd-base-spec -o $base: $(cat "$RUN/base-spec.err")"
		ctr --namespace k8s.io oci spec >"$CTR_SPEC" || fail "ctr oci spec failed"
		cat >/etc/containerd/config.toml <<-EOF
		version = 2

		[plugins]
		  [plugins."io.containerd.grpc.v1.cri"]
		    sandbox_image = "$PAUSE_IMAGE"
		    [plugins."io.containerd.grpc.v1.cri".cni]
		      bin_dir = "/usr/lib/cni"
		      conf_dir = "/etc/cni/net.d"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		      runtime_type = "io.containerd.runc.v2"
		      base_runtime_spec = "$base"
		      pod_annotations = ["oci-numa-hook/*"]
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
		        SystemdCgroup = true
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-plain]
		      runtime_type = "io.containerd.runc.v2"
		      pod_annotations = ["oci-numa-hook/*"]
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-plain.options]
		        SystemdCgroup = true
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-ctr]
		      runtime_type = "io.containerd.runc.v2"
		      base_runtime_spec = "$CTR_SPEC"
		      pod_annotations = ["oci-numa-hook/*"]
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-ctr.options]
		        SystemdCgroup = true
		  [plugins."io.containerd.internal.v1.opt"]
		    path = "/var/lib/containerd/opt"
		EOF
		systemctl restart containerd || fail "systemctl restart containerd: $(journalctl -q -u containerd -n 5 | tr '\n' '|')"
		local i=0
		until ctr version >/dev/null 2>&1; do
			i=$((i + 1)); [ "$i" -le 600 ] || fail "containerd does not answer after 60 s"; sleep 0.1
		done
		note "containerd (re)started with the CRI configuration in $((($(date +%s%N) - t0) / 1000000)) ms"
		t0=$(date +%s%N)
		tar -C "$RUN/image" -c . | podman import --change 'CMD ["/bin/sleep", "2147483647"]' - "$PAUSE_IMAGE" >/dev/null 2>"$RUN/pause.err" ||
			fail "podman import of the pause image: $(tail -n 2 "$RUN/pause.err")"
		for im in "$CRI_IMAGE" "$PAUSE_IMAGE"; do
			rm -f "$RUN/save.tar"
			podman save --format docker-archive -o "$RUN/save.tar" "$im" >"$RUN/save.err" 2>&1 ||
				fail "podman save $im: $(tail -n 2 "$RUN/save.err")"
			ctr -n k8s.io images import "$RUN/save.tar" >"$RUN/import.err" 2>&1 ||
				fail "ctr -n k8s.io images import ($im): $(tail -n 2 "$RUN/import.err" | tr '\n' ' ')"
		done
		note "images saved by podman and imported by ctr in $((($(date +%s%N) - t0) / 1000000)) ms: $(ctr -n k8s.io images ls -q | tr '\n' ' ')"
		touch "$RUN/cri-ready"
	}
	# The init pid and cgroup of a container of containerd's runc shim.
	cri_pid() { jq -r .init_process_pid "/run/containerd/runc/k8s.io/$1/state.json"; }
	cri_cgroup() { sed -n 's/^0:://p' "/proc/$(cri_pid "$1")/cgroup"; }

	# A pod with one container through the CRI, as kubelet starts it: the
	# pod's cgroup parent is a kubepods slice (systemd driver), the
	# container runs on node 0's CPU.  ANNOTATE: the value of the pod
	# annotation oci-numa-hook/nodes, or "" for none.  HANDLER: the runtime
	# handler (a RuntimeClass's), default containerd's default (runc).
	# Sets pod, uid, sandbox, container, dir; leaves the output in $dir/up.
	cri_up() { # NAME ANNOTATE [HANDLER]
		local ann=()
		pod=$1; uid=$(cat /proc/sys/kernel/random/uuid)
		[ -n "$2" ] && ann=(--annotation "oci-numa-hook/nodes=$2")
		[ -n "${3:-}" ] && ann+=(--runtime-handler "$3")
		dir=$RUN/$pod; rm -rf "$dir"; mkdir -p "$dir"
		mkdir -p "/var/log/pods/default_${pod}_$uid"
		t0=$(date +%s%N)
		python3 "$CRI" up --name "$pod" --namespace default --uid "$uid" --container workload \
			--image "$CRI_IMAGE" --cgroup-parent "kubepods-besteffort-pod${uid//-/_}.slice" \
			--log-dir "/var/log/pods/default_${pod}_$uid" --cpuset-cpus 0 --mount "$dir:/x" "${ann[@]}" \
			-- /bin/nh-workload --anon 64 --threads 2 --wait /x/go --ready /x/ready >"$dir/up" 2>&1
		rc=$?
		note "nh-cri.py up (RunPodSandbox, CreateContainer, StartContainer): exit $rc in $((($(date +%s%N) - t0) / 1000000)) ms"
		while read -r l; do note "  $l"; done <"$dir/up"
		sandbox=$(sed -n 's/^sandbox=//p' "$dir/up"); container=$(sed -n 's/^container=//p' "$dir/up")
	}
	cri_down() {
		[ -n "$sandbox" ] || return 0
		python3 "$CRI" down "$sandbox" ${container:+"$container"} >"$dir/down" 2>&1 ||
			note "nh-cri.py down: $(tr '\n' ' ' <"$dir/down")"
	}

	cri_nodes1() { # ANNOTATE(yes|no)
		local annotate=$1 name pid cgp spid ready anon pages total mems cursor hooklines out json
		name=cri-nodes1; [ "$annotate" = yes ] || name=cri-control
		cri_setup
		cursor=$(journal_cursor)
		cri_up "$name" "$([ "$annotate" = yes ] && echo 1)"
		trap cri_down EXIT
		[ "$rc" = 0 ] || fail "the pod did not start: $(tail -n 1 "$dir/up")"
		pid=$(cri_pid "$container"); cgp=$(cri_cgroup "$container")
		spid=$(cri_pid "$sandbox")
		note "workload pid $pid, /proc/$pid/cgroup: $(tr '\n' ' ' <"/proc/$pid/cgroup")"
		note "pause (sandbox) pid $spid, /proc/$spid/cgroup: $(tr '\n' ' ' <"/proc/$spid/cgroup")"
		note "shim: $(tr '\n' ' ' <"/proc/$(ps -o ppid= -p "$pid" | tr -d ' ')/cgroup")"
		note "annotations in the container's config.json: $(jq -c .annotations "/run/containerd/io.containerd.runtime.v2.task/k8s.io/$container/config.json" 2>&1)"
		note "hooks in the container's config.json: $(jq -c '.hooks // {} | map_values(length)' "/run/containerd/io.containerd.runtime.v2.task/k8s.io/$container/config.json" 2>&1); in the sandbox's: $(jq -c '.hooks // {} | map_values(length)' "/run/containerd/io.containerd.runtime.v2.task/k8s.io/$sandbox/config.json" 2>&1)"
		note "cgroup levels (before the workload allocates):"; cgroup_levels "$cgp"
		hooklines=$(journal_since "$cursor")
		note "hook lines in the journal: $(echo "$hooklines" | tr '\n' '|')"
		touch "$dir/go"
		wait_file "$dir/ready" 120 || fail "workload not ready after 120 s"
		measure_after_start "$dir" "$pid" "$cgp"
		if [ "$annotate" = no ]; then
			[ -z "$hooklines" ] || fail "the hook logged for a pod without the annotation: $hooklines"
			expect_on_node 0 99 "$pages" "memory allocated after start, without the annotation"
			return
		fi
		expect_on_node 1 99 "$pages" "memory allocated after start"
		[ "$mems" = 1 ] || fail "cpuset.mems of $cgp is '$mems', want 1"
		# The operator command finds the container created through the CRI.
		out=$(oci-numa-hook status --pod "default/$name" --container workload 2>&1) ||
			fail "oci-numa-hook status --pod default/$name --container workload: $(echo "$out" | tail -n 2)"
		while read -r l; do note "  status --pod: $l"; done <<<"$out"
		grep -q "${container:0:12}" <<<"$out" || fail "status --pod does not name container ${container:0:12}"
		grep -qF "default/$name/workload" <<<"$out" || fail "status --pod does not name default/$name/workload"
		json=$(oci-numa-hook status --all --json 2>&1) || fail "oci-numa-hook status --all --json: $(echo "$json" | tail -n 2)"
		note "status --all --json, this container: $(jq -c --arg id "$container" '.containers[] | select(.id as $x | $id | startswith($x)) | {id, pod, state_dir, cgroup, target, target_nodes, cpuset_mems, on_target_share}' <<<"$json" 2>&1)"
		note "status --all: $(oci-numa-hook status --all 2>&1 | tr '\n' '|')"
		jq -e --arg id "$container" --arg pod "$name" '[.containers[] | select((.id as $x | $id | startswith($x)) and .pod == {"namespace": "default", "name": $pod, "container": "workload"} and .target == "1")] | length == 1' \
			<<<"$json" >/dev/null || fail "status --all --json does not list $container with pod default/$name/workload and target \"1\""
	}

	cri_nodes7() {
		local cursor reason details running
		cri_setup
		cursor=$(journal_cursor)
		cri_up cri-nodes7 7
		trap cri_down EXIT
		details=$(sed -n 's/^error: //p' "$dir/up")
		journal_since "$cursor" >"$dir/journal"
		while read -r l; do note "  journalctl -t oci-numa-hook: $l"; done <"$dir/journal"
		[ "$rc" != 0 ] || fail "the pod started with oci-numa-hook/nodes=7"
		[ -n "$details" ] || fail "no gRPC error from the client: $(tail -n 1 "$dir/up")"
		reason=$(grep -m1 'error: ' "$dir/journal" | sed 's/^.*error: //')
		note "the hook's reason in the journal: '$reason'"
		[ -n "$reason" ] || fail "no error line from the hook in the journal"
		grep -q 7 <<<"$reason" || fail "the hook's reason does not name node 7: $reason"
		grep -qF -- "$reason" <<<"$details" || fail "the gRPC error does not carry the hook's reason: $details"
		! grep -q '^started' "$dir/up" || fail "StartContainer succeeded"
		[ -n "$container" ] && running=$(ctr -n k8s.io task ls 2>/dev/null | awk -v id="$container" '$1 == id {print $3}')
		note "task of the container after the failure: '${running:-none}'"
		[ "${running:-}" != RUNNING ] || fail "the container's task is running"
		[ ! -e "$dir/ready" ] || fail "the workload ran"
	}

	# containerd-base-spec changes nothing but the hooks.  The same
	# unannotated pod three times, through three handlers: runc-plain (no base
	# spec: containerd's own default), runc (the command's base spec) and
	# runc-ctr (`ctr oci spec` as it is).  The workload's config.json, once
	# what must differ per pod is replaced (container and sandbox ids, pod
	# name and uid, the sandbox's pid in the namespace paths) and the hooks
	# left out, must be the same for runc as for runc-plain, and so must
	# /proc/PID/limits.  runc-ctr shows what the command removes, and that the
	# comparison sees a difference where there is one.
	cri_base_spec() {
		local h i n=0 pods=() sb=() ct=() pids=() uids=() spids=() cfg norm
		cri_setup
		note "$(containerd --version); $(runc --version | head -n 1)"
		note "ctr oci spec -> the base spec (jq -S, '<' only in ctr oci spec):"
		diff <(jq -S . "$CTR_SPEC") <(jq -S . "$BASE_SPEC") | grep '^[<>]' | while read -r l; do note "  $l"; done
		jq -e --arg h "$HOOK" '[.hooks.createRuntime, .hooks.poststart] ==
			[[{"path": $h, "args": ["oci-numa-hook", "hook", "createRuntime"], "timeout": 60}],
			 [{"path": $h, "args": ["oci-numa-hook", "hook", "poststart"], "timeout": 60}]]' \
			"$BASE_SPEC" >/dev/null || fail "the base spec does not list $HOOK at createRuntime and poststart"
		cri_base_spec_down() {
			for i in "${!pods[@]}"; do
				sandbox=${sb[$i]}; container=${ct[$i]}; dir=$RUN/${pods[$i]}; cri_down
			done
		}
		trap cri_base_spec_down EXIT
		for h in runc-plain runc runc-ctr; do
			cri_up "cri-bs-$h" "" "$h"
			pods+=("$pod"); sb+=("$sandbox"); ct+=("$container"); uids+=("$uid")
			[ "$rc" = 0 ] || fail "the pod of handler $h did not start: $(tail -n 1 "$dir/up")"
			pids+=("$(cri_pid "$container")"); spids+=("$(cri_pid "$sandbox")")
			n=$((n + 1))
		done
		# What must differ per pod, replaced by names; the hooks left out.
		# shellcheck disable=SC2016 # jq's variables, not the shell's
		norm='walk(if type == "string" then
			gsub($c; "CONTAINER_ID") | gsub($s; "SANDBOX_ID") | gsub($u; "POD_UID")
			| gsub($u | gsub("-"; "_"); "POD_UID") | gsub($p; "POD_NAME")
			| gsub("^/proc/" + $sp + "/"; "/proc/SANDBOX_PID/") else . end) | del(.hooks)'
		for i in 0 1 2; do
			cfg=/run/containerd/io.containerd.runtime.v2.task/k8s.io/${ct[$i]}/config.json
			[ -s "$cfg" ] || fail "no $cfg"
			cp "$cfg" "$RUN/bs-$i.json"
			jq -S --arg c "${ct[$i]}" --arg s "${sb[$i]}" --arg u "${uids[$i]}" --arg p "${pods[$i]}" \
				--arg sp "${spids[$i]}" "$norm" "$cfg" >"$RUN/bs-$i.norm" || fail "jq over $cfg failed"
			note "${pods[$i]}: container ${ct[$i]:0:12}, pid ${pids[$i]}, hooks $(jq -c '.hooks // {} | map_values(map(.path))' "$cfg"), Max open files: $(grep '^Max open files' "/proc/${pids[$i]}/limits" | tr -s ' ')"
			cat "/proc/${pids[$i]}/limits" >"$RUN/bs-$i.limits"
		done
		jq -e '(.hooks // {}) == {}' "$RUN/bs-0.json" >/dev/null || fail "the container of runc-plain has hooks: $(jq -c .hooks "$RUN/bs-0.json")"
		jq -e --arg h "$HOOK" '[.hooks.createRuntime[].path, .hooks.poststart[].path] == [$h, $h] and
			(.hooks | keys) == ["createRuntime", "poststart"]' "$RUN/bs-1.json" >/dev/null ||
			fail "the container of runc does not have exactly the hook at createRuntime and poststart: $(jq -c .hooks "$RUN/bs-1.json")"
		note "config.json, runc-ctr (ctr oci spec as base spec) against runc-plain:"
		diff -u "$RUN/bs-0.norm" "$RUN/bs-2.norm" | tail -n +3 | grep '^[-+]' | while read -r l; do note "  $l"; done
		note "/proc/PID/limits, runc-ctr against runc-plain:"
		diff "$RUN/bs-0.limits" "$RUN/bs-2.limits" | grep '^[<>]' | while read -r l; do note "  $l"; done
		note "config.json, runc (containerd-base-spec) against runc-plain:"
		diff -u "$RUN/bs-0.norm" "$RUN/bs-1.norm" | tail -n +3 | grep '^[-+]' | while read -r l; do note "  $l"; done
		note "/proc/PID/limits, runc against runc-plain:"
		diff "$RUN/bs-0.limits" "$RUN/bs-1.limits" | grep '^[<>]' | while read -r l; do note "  $l"; done
		# The comparison must see what `ctr oci spec` brings, or it proves nothing.
		! cmp -s "$RUN/bs-0.norm" "$RUN/bs-2.norm" || fail "runc-ctr's config.json equals runc-plain's: the comparison sees nothing"
		cmp -s "$RUN/bs-0.norm" "$RUN/bs-1.norm" ||
			fail "the container of the base spec differs from the one without (config.json; the diff is above)"
		cmp -s "$RUN/bs-0.limits" "$RUN/bs-1.limits" ||
			fail "the workload's /proc/PID/limits differ with and without the base spec (the diff is above)"
	}

	# The installed package, as a Debian 13 user has it.
	t_package() {
		dpkg -s oci-numa-hook >/dev/null 2>&1 || fail "package oci-numa-hook not installed"
		note "$(dpkg-query -W -f='${Package} ${Version} ${Architecture}' oci-numa-hook); $($HOOK --version 2>&1 | head -n 1)"
		note "kernel $(uname -r); $(systemctl --version | head -n 1); $(podman --version); $(crun --version | head -n 1); $(runc --version | head -n 1); $(containerd --version 2>/dev/null)"
		note "PID 1: $(cat /proc/1/comm); cgroup: $(stat -f -c %T /sys/fs/cgroup); controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
		note "nodes with memory: $(cat /sys/devices/system/node/has_memory); cpus of node 1: $(cat /sys/devices/system/node/node1/cpulist)"
		note "podman: cgroup manager $(podman info -f '{{.Host.CgroupManager}}'), runtime $(podman info -f '{{.Host.OCIRuntime.Name}}'), cgroups $(podman info -f '{{.Host.CgroupsVersion}}')"
		for f in oci-numa-hook-createRuntime.json oci-numa-hook-poststart.json; do
			[ -f "$HOOKS_D/$f" ] || fail "$HOOKS_D/$f missing"
		done
		[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
		[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || fail "/sys/fs/cgroup is not a pure cgroup v2 mount"
		$HOOK validate >"$RUN/validate.out" 2>&1 || fail "oci-numa-hook validate: $(tail -n 2 "$RUN/validate.out")"
	}
	t_podman_crun_control() { podman_nodes1 crun no; }
	t_podman_crun_nodes1() { podman_nodes1 crun yes; }
	t_podman_runc_nodes1() { podman_nodes1 runc yes; }
	t_podman_crun_nodes7() { podman_nodes7 crun; }
	t_podman_runc_nodes7() { podman_nodes7 runc; }
	t_podman_crun_cpuset_mems() { podman_cpuset_mems crun; }
	t_podman_runc_cpuset_mems() { podman_cpuset_mems runc; }
	t_cri_runc_control() { cri_nodes1 no; }
	t_cri_runc_nodes1() { cri_nodes1 yes; }
	t_cri_runc_nodes7() { cri_nodes7; }
	t_cri_base_spec() { cri_base_spec; }

	fn=t_$(echo "$NAME" | tr - _)
	declare -F "$fn" >/dev/null || fail "no such test"
	"$fn"
	echo "PASS: distro/$NAME"
	exit 0
fi

# ---------------------------------------------------------------- the run
# (A newline first: the console may begin with the terminal's reset codes.)
echo
echo "nh-distro: start uptime=$(cut -d' ' -f1 /proc/uptime) s; systemd: $(systemctl is-system-running 2>&1)"
tests=$(cmdline_word nh.tests | tr , ' ')
limit=$(cmdline_word nh.timeout); limit=${limit:-300}
mkdir -p "$RUN"
# Automatic NUMA balancing moves pages by itself: off, as in tests/vm.
echo 0 >/proc/sys/kernel/numa_balancing 2>/dev/null || true

# The container image: busybox-static and the workload, imported from a
# tarball (no registry is reachable).
setup_error=
img=$RUN/image
mkdir -p "$img/bin" "$img/proc" "$img/sys" "$img/dev" "$img/tmp" "$img/etc" "$img/x"
cp "$(command -v busybox)" "$img/bin/busybox" && for a in sh sleep cat ls true echo; do ln -sf busybox "$img/bin/$a"; done
cp /opt/nh-distro/bin/nh-workload "$img/bin/"
t0=$(date +%s%N)
if ! tar -C "$img" -c . | podman import - "$IMAGE" >"$RUN/import.out" 2>&1; then
	setup_error="podman import of the test image failed: $(tail -n 2 "$RUN/import.out" | tr '\n' ' ')"
fi
echo "# distro: podman import took $((($(date +%s%N) - t0) / 1000000)) ms"

n=0
for t in $tests; do
	if [ -n "$setup_error" ]; then
		echo "FAIL: distro/$t — $setup_error"
	else
		timeout -k 10 "$limit" "$0" --one "$t" 2>&1 | tee "$RUN/$t.out"
		grep -qE "^(PASS|FAIL|SKIP): distro/$t( |$)" "$RUN/$t.out" ||
			echo "FAIL: distro/$t — no result within $limit s (timed out or died; last line: $(tail -n 1 "$RUN/$t.out"))"
	fi
	n=$((n + 1))
done
echo "nh-distro: done results=$n uptime=$(cut -d' ' -f1 /proc/uptime) s"
# Power off now.  SuccessAction= alone did not power the VM off within 3
# minutes (seen once, cause not investigated: containers' conmon processes
# stay in this unit's cgroup, listed below).  The disk is a snapshot.
left=$(while read -r p; do [ "$p" = $$ ] || printf '%s ' "$p:$(cat "/proc/$p/comm" 2>/dev/null)"; done \
	</sys/fs/cgroup/system.slice/nh-distro-tests.service/cgroup.procs 2>/dev/null)
echo "# distro: processes left in the test unit: ${left:-none}"
systemctl poweroff --force --force
