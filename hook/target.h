/* SPDX-License-Identifier: Apache-2.0 */
/* Finding a running container for the operator commands: by id or unique id
 * prefix in the runtimes' state directories. */
#ifndef NH_TARGET_H
#define NH_TARGET_H

#include <sys/types.h>

#include "common/error.h"

/* Runtime state directories searched when no --root is given. */
#define NH_RUNTIME_ROOTS { "/run/runc", "/run/crun" }

/* Find the container whose id is prefix or starts with it, in root (or in
 * every default root when root is NULL); fill its full id (malloc'd) and
 * init pid. No path is built from the prefix: it is only compared with the
 * names the directories list. */
int nh_target_find(const char *root, const char *prefix, char **id, pid_t *pid, nh_error_t *err);

#endif
