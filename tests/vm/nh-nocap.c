/* SPDX-License-Identifier: Apache-2.0 */
/* nh-nocap: run a command without CAP_SYS_NICE.
 *
 *   nh-nocap CMD [ARG]...
 *
 * Drops CAP_SYS_NICE from the bounding set (PR_CAPBSET_DROP), clears the
 * ambient set, and removes it from the effective, permitted and inheritable
 * sets (capset), then execs CMD.  A root process that execs a program gets
 * its bounding set as permitted and effective capabilities, so the bounding
 * set is what keeps CAP_SYS_NICE away from CMD; the capset makes sure that
 * this process itself no longer has it either.  Checks both before the exec.
 * Static, no libcap: the VM has no libraries for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "nh-nocap: %s: %s\n", what, strerror(errno));
	exit(127);
}

static void caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	if (syscall(SYS_capget, &hdr, data) != 0)
		die("capget");
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	const unsigned word = CAP_SYS_NICE / 32, bit = 1u << (CAP_SYS_NICE % 32);

	if (argc < 2) {
		fputs("usage: nh-nocap CMD [ARG]...\n"
		      "  runs CMD without CAP_SYS_NICE (bounding, ambient, effective,\n"
		      "  permitted and inheritable sets)\n",
		      stderr);
		return 2;
	}
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_NICE, 0, 0, 0) != 0)
		die("prctl(PR_CAPBSET_DROP, CAP_SYS_NICE)");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		die("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	caps_get(data);
	data[word].effective &= ~bit;
	data[word].permitted &= ~bit;
	data[word].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data) != 0)
		die("capset");

	caps_get(data);
	if (prctl(PR_CAPBSET_READ, CAP_SYS_NICE, 0, 0, 0) != 0 ||
	    (data[word].effective | data[word].permitted | data[word].inheritable) & bit) {
		errno = EPERM;
		die("CAP_SYS_NICE is still there");
	}
	execvp(argv[1], argv + 1);
	die(argv[1]);
}
