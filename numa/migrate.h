/* SPDX-License-Identifier: Apache-2.0 */
/* The migrate_pages(2) engine: one call per thread group. */
#ifndef NH_MIGRATE_H
#define NH_MIGRATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "numa/nodeset.h"

/* Move the pages of process pid that sit on nodes in from to the nodes in to
 * (relative topology kept, as the kernel does). Retries up to retries more
 * times while pages are left. Returns the pages not moved (>= 0), -ESRCH if
 * the process is gone (no error set), or -1 with err filled. */
long nh_migrate_process(pid_t pid, const nh_nodeset_t *from, const nh_nodeset_t *to,
			unsigned retries, nh_error_t *err);

/* Whether this process has CAP_SYS_NICE in its effective set: without it the
 * kernel silently skips pages that other processes map too, and refuses
 * target nodes outside the target's cpuset. */
bool nh_has_cap_sys_nice(void);

#endif
