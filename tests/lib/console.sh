# SPDX-License-Identifier: Apache-2.0
# What a test VM's serial console says about a kernel oops: a one-line
# summary for failure messages, and whether the oops is QEMU's rather than
# the guest's (a stale breakpoint left by the kernel's own code patching).
# shellcheck shell=bash

# console_oops LOG: one line about the first oops or BUG in LOG: its first
# line, the faulting function and the first (reliable) frames of the call
# trace.
# Prints nothing when LOG has none.
console_oops() {
	tr -d '\r' <"$1" | awk '
		# The timestamp, and whatever the terminal left before it.
		function strip(s) { sub(/^.*\[ *[0-9]+\.[0-9]+\] +/, "", s); return s }
		!head && /(Oops: |BUG: |kernel BUG at |general protection fault)/ { head = strip($0); next }
		head && !rip && /RIP: [0-9a-f]+:/ { rip = strip($0); sub(/^RIP: [0-9a-f]+:/, "", rip) }
		head && /Call Trace:/ { trace = 1; next }
		head && trace && /(<\/IRQ>|<\/TASK>|end trace|Kernel panic)/ { trace = 0; done = 1 }
		head && trace && !done && n < 6 {
			f = strip($0); sub(/^ +/, "", f)   # "? f+0x..": an unreliable frame, skipped
			if (f ~ /^[A-Za-z_][A-Za-z0-9_.]*\+0x/) { sub(/\/.*/, "", f); frames = frames (n ? " < " : "") f; n++ }
		}
		END {
			if (!head) exit
			line = head
			if (rip != "") line = line " at " rip
			if (frames != "") line = line " (called from " frames ")"
			print line
		}'
}

# console_stale_int3 LOG: true when LOG's first oops is an int3 trap in
# kernel code whose byte is no longer 0xcc.  The test VMs set no kprobes
# and run no kernel debugger, so an int3 in kernel text can only be one the
# kernel's own text patching (static keys, alternatives) put there and
# took out again; a vCPU that still traps on it executed stale translated
# code.  Seen under QEMU 7.2's multi-threaded TCG with kernel 6.12 (e.g.
# in sched_clock_idle_wakeup_event, when sched_clock is marked stable).
console_stale_int3() {
	tr -d '\r' <"$1" | awk '
		!seen && /(Oops: |BUG: |kernel BUG at |general protection fault)/ { seen = 1; int3 = /Oops: int3/; next }
		seen && int3 && /Code: / {
			# The trapping int3 is the byte before the one in <>.
			if (match($0, / [0-9a-f][0-9a-f] <[0-9a-f][0-9a-f]>/)) {
				byte = substr($0, RSTART + 1, 2)
				stale = byte != "cc"
			}
			exit
		}
		END { exit !(int3 && stale) }'
}

# console_rerun_why LOG STARTED WHAT: prints why the tests a panicked VM left
# without a result get a fresh VM, or is false when they do not: a stale
# int3, or a panic while booting (STARTED empty: WHAT had not started).
# Any other panic once tests run is their result.
console_rerun_why() {
	if console_stale_int3 "$1"; then
		echo "the guest kernel trapped on an int3 that was no longer in its code (QEMU's TCG ran stale code after the kernel patched itself)"
	elif [ -z "$2" ]; then
		echo "the kernel panicked while booting, before $3 started"
	else
		return 1
	fi
}
