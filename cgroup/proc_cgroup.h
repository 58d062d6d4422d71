/* SPDX-License-Identifier: Apache-2.0 */
/* Parser for /proc/<pid>/cgroup. libcgroup 2.0.2 cannot read the cgroup v2
 * "0::/path" line, so this is ours; it never looks at the runtime's
 * cgroupsPath text. */
#ifndef NH_PROC_CGROUP_H
#define NH_PROC_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct nh_proc_cgroup {
	char *cpuset_v1; /* path of the v1 hierarchy holding cpuset, or NULL */
	char *unified;   /* path of the "0::" line (cgroup v2), or NULL */
} nh_proc_cgroup_t;

/* Errors: NH_EXIT_SYSTEM with a message (the text comes from the kernel). */
int nh_proc_cgroup_parse(const char *text, size_t len, nh_proc_cgroup_t *out, nh_error_t *err);
void nh_proc_cgroup_free(nh_proc_cgroup_t *pc);

/* The path that holds the process's cpuset: the v1 cpuset hierarchy when
 * there is one (hybrid and v1 hosts), else the unified one. *v1 tells which. */
const char *nh_proc_cgroup_cpuset_path(const nh_proc_cgroup_t *pc, bool *v1);

/* A path as the kernel prints it: absolute, no empty, "." or ".." component. */
bool nh_cgroup_path_is_clean(const char *p, size_t len);

/* true if path is inside (or equal to) the cgroup at root. */
bool nh_cgroup_path_within(const char *path, const char *root);

#endif
