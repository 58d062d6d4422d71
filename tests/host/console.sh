#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test VMs' console reading (tests/lib/console.sh) and what the Debian 13
# test bed's runner (tests/distro/run.sh) does when the guest kernel panics:
# a stale int3 gets the tests without a result a fresh VM, any other panic
# fails them with the oops in the reason.  QEMU is replaced by a script that
# prints what a guest would.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/host/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib/console.sh
. "$here/../lib/console.sh"

# shellcheck disable=SC2317 # called through check
not() { ! "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# An oops as 6.12 prints it under QEMU's TCG: the int3 trapped on at
# sched_clock_idle_wakeup_event+0x4 is gone from memory (66, not cc).
oops_int3() { # BYTE: the byte before the one at RIP
	cat <<-EOF
		[    2.723513] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI
		[    2.723923] CPU: 0 UID: 0 PID: 0 Comm: swapper/0 Tainted: G        W          6.12.117+deb13-cloud-amd64 #1  Debian 6.12.117-1
		[    2.724097] RIP: 0010:sched_clock_idle_wakeup_event+0x5/0x40
		[    2.724147] Code: 48 89 c2 48 85 f6 7f c2 eb ca 48 89 c1 eb b6 66 0f 1f 44 00 00 90 90 90 90 f3 0f 1e fa $1 <90> c3 cc cc cc cc 8b 05
		[    2.724257] Call Trace:
		[    2.724351]  <IRQ>
		[    2.724361]  tick_irq_enter+0x88/0xa0
		[    2.724408]  sysvec_call_function_single+0x64/0x90
		[    2.724521]  </IRQ>
		[    2.724531]  <TASK>
		[    2.725118] Modules linked in:
		[    2.725490] ---[ end trace 0000000000000000 ]---
		[    2.725812] Kernel panic - not syncing: Fatal exception in interrupt
	EOF
}
oops_gpf() {
	cat <<-EOF
		[   71.800000] Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI
		[   71.800100] RIP: 0010:cpuset_migrate_mm_workfn+0x1d/0x60
		[   71.800200] Code: 00 00 0f 1f 44 00 00 <48> 8b 07
		[   71.800300] Call Trace:
		[   71.800310]  <TASK>
		[   71.800320]  ? die_addr+0x36/0x90
		[   71.800330]  process_one_work+0x177/0x330
		[   71.800340]  worker_thread+0x252/0x390
		[   71.800350]  </TASK>
		[   71.819042] Kernel panic - not syncing: Fatal exception in interrupt
	EOF
}

oops_int3 66 >"$tmp/stale.log"
# As a Debian 13 console had it: a terminal's escape sequence before the time.
printf '\033[!p\033]104\007\033[?7h' >"$tmp/escape.log"
oops_int3 66 >>"$tmp/escape.log"
oops_int3 cc >"$tmp/live.log"
oops_gpf >"$tmp/gpf.log"
printf '[    0.028880] WARNING: CPU: 1 PID: 0 at arch/x86/kernel/smpboot.c:350 topology_sane.isra.0+0x6a/0x70\r\nnh-distro: done\r\n' >"$tmp/clean.log"

s=$(console_oops "$tmp/stale.log")
check "console_oops: the first line, where and from where ($s)" \
	[ "$s" = "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI at sched_clock_idle_wakeup_event+0x5/0x40 (called from tick_irq_enter+0x88 < sysvec_call_function_single+0x64)" ]
check "console_stale_int3: an int3 no longer in memory" console_stale_int3 "$tmp/stale.log"
check "console_oops: escape sequences before the time are dropped" [ "$(console_oops "$tmp/escape.log")" = "$(console_oops "$tmp/stale.log")" ]
check "console_stale_int3: not an int3 still in memory (cc)" not console_stale_int3 "$tmp/live.log"
check "console_stale_int3: not another oops" not console_stale_int3 "$tmp/gpf.log"
s=$(console_oops "$tmp/gpf.log")
check "console_oops: a general protection fault, '?' frames skipped ($s)" \
	[ "$s" = "Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI at cpuset_migrate_mm_workfn+0x1d/0x60 (called from process_one_work+0x177 < worker_thread+0x252)" ]
check "console_oops: nothing for a console without an oops (a WARNING is not one)" [ -z "$(console_oops "$tmp/clean.log")" ]
check "console_stale_int3: false without an oops" not console_stale_int3 "$tmp/clean.log"

# --- tests/distro/run.sh against a QEMU that prints a guest's console ---
# FAKE_PANIC: what boot 1 does after its first test: "int3" (stale),
# "gpf" or "none"; "boot-gpf": it panics before the test unit starts.  Later
# boots pass all they are given.
mkdir -p "$tmp/bin" "$tmp/cache"
for f in vmlinuz initrd.img disk.img; do echo x >"$tmp/cache/$f"; done
cat >"$tmp/bin/qemu-system-x86_64" <<'EOF'
#!/usr/bin/env bash
append=
while [ $# -gt 0 ]; do [ "$1" = -append ] && append=$2; shift; done
tests=$(echo "$append" | tr ' ' '\n' | sed -n 's/^nh\.tests=//p' | tr , ' ')
echo "$tests" >>"$FAKE_DIR/boots"
boot=$(wc -l <"$FAKE_DIR/boots")
set -- $tests
if [ "$boot" = 1 ] && [ "${FAKE_PANIC#boot-}" != "$FAKE_PANIC" ]; then
	sed 's/$/\r/' "$FAKE_DIR/${FAKE_PANIC#boot-}.log"
	sleep 60
	exit 0
fi
printf 'nh-distro: start uptime=1 s\r\n'
if [ "$boot" = 1 ] && [ "$FAKE_PANIC" != none ]; then
	printf 'PASS: distro/%s\r\n' "$1"
	sed 's/$/\r/' "$FAKE_DIR/$FAKE_PANIC.log"
	sleep 60   # a panicked guest stays up (panic=-1): run.sh kills it
	exit 0
fi
for t; do printf 'PASS: distro/%s\r\n' "$t"; done
printf 'nh-distro: done\r\n'
EOF
chmod +x "$tmp/bin/qemu-system-x86_64"
cp "$tmp/stale.log" "$tmp/int3.log"

distro() { # PANIC
	rm -f "$tmp/boots"
	FAKE_DIR=$tmp FAKE_PANIC=$1 PATH="$tmp/bin:$PATH" \
		bash "$here/../distro/run.sh" --cache "$tmp/cache" --only package,podman-crun-control,nri-garbage >"$tmp/out" 2>&1
}

distro int3
rc=$?
check "distro: a stale int3 mid-run: the run passes (exit $rc)" [ "$rc" = 0 ]
check "distro: ... the second VM got the two tests without a result ($(tail -n 1 "$tmp/boots"))" \
	[ "$(cat "$tmp/boots")" = "$(printf 'package podman-crun-control nri-garbage\npodman-crun-control nri-garbage')" ]
check "distro: ... the run says why it booted again" \
	grep -q "^# distro: the guest kernel trapped on an int3 that was no longer in its code (QEMU.s TCG .*): Oops: int3: .* at sched_clock_idle_wakeup_event+0x5/0x40 .*a fresh VM for the 2 tests without a result" "$tmp/out"
check "distro: ... every test has its one result line" \
	[ "$(grep -c '^PASS: distro/' "$tmp/out")" = 3 ]

distro gpf
rc=$?
check "distro: another oops mid-run: the run fails (exit $rc)" [ "$rc" = 1 ]
check "distro: ... and boots no second VM" [ "$(wc -l <"$tmp/boots")" = 1 ]
check "distro: ... the tests without a result fail with the oops in the reason" \
	grep -q "^FAIL: distro/nri-garbage — the VM did not finish (the kernel panicked: .*Fatal exception in interrupt .*; Oops: general protection fault.* at cpuset_migrate_mm_workfn+0x1d/0x60 (called from process_one_work+0x177 < worker_thread+0x252)$" "$tmp/out"
check "distro: ... the test that finished keeps its result" grep -q '^PASS: distro/package$' "$tmp/out"

distro boot-gpf
rc=$?
check "distro: a panic while booting: the run passes (exit $rc)" [ "$rc" = 0 ]
check "distro: ... a second VM ran all tests" [ "$(sed -n 2p "$tmp/boots")" = "package podman-crun-control nri-garbage" ]
check "distro: ... the run says so, with the oops" \
	grep -q "^# distro: the kernel panicked while booting, before the test unit started: Oops: general protection fault" "$tmp/out"

distro none
rc=$?
check "distro: no panic: exit $rc" [ "$rc" = 0 ]
check "distro: ... one VM" [ "$(wc -l <"$tmp/boots")" = 1 ]
tap_end
