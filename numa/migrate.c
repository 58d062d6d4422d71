/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <linux/capability.h>
#include <numaif.h>
#include <sys/syscall.h>

#include "common/util.h"
#include "numa/migrate.h"

/* libnuma's numaif.h declares the call; the hook issues it directly so that
 * it need not load libnuma (whose constructor scans /proc and /sys). The
 * kernel reads maxnode - 1 bits. */
static long sys_migrate_pages(int pid, unsigned long maxnode, const unsigned long *old_nodes,
			      const unsigned long *new_nodes)
{
	return syscall(SYS_migrate_pages, pid, maxnode, old_nodes, new_nodes);
}

bool nh_has_cap_sys_nice(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_SYS_NICE)].effective & CAP_TO_MASK(CAP_SYS_NICE)) != 0;
}

long nh_migrate_process(pid_t pid, const nh_nodeset_t *from, const nh_nodeset_t *to,
			unsigned retries, nh_error_t *err)
{
	/* Only as many bits as the sets span: the kernel refuses bits above
	 * its own MAX_NUMNODES. */
	unsigned long maxnode = (unsigned long)nh_nodeset_span(from);
	long left = 0;

	if (nh_nodeset_span(to) > maxnode)
		maxnode = nh_nodeset_span(to);
	maxnode += 1;
	for (unsigned attempt = 0; attempt <= retries; attempt++) {
		left = NH_RETRY(sys_migrate_pages(pid, maxnode, from->bits, to->bits));
		if (left < 0) {
			switch (errno) {
			case ESRCH:
				return -ESRCH;
			case EPERM:
				return nh_fail(err, NH_EXIT_SYSTEM, EPERM,
					       "migrate_pages of process %d refused (the hook needs "
					       "CAP_SYS_NICE, or the same user as the process)",
					       (int)pid);
			case EINVAL:
				return nh_fail(err, NH_EXIT_SYSTEM, EINVAL,
					       "migrate_pages of process %d: the kernel refused the "
					       "node sets (a node offline, without memory, or outside "
					       "the hook's own cpuset)",
					       (int)pid);
			default:
				return nh_fail(err, NH_EXIT_SYSTEM, errno,
					       "migrate_pages of process %d", (int)pid);
			}
		}
		if (left == 0)
			break;
	}
	return left;
}
