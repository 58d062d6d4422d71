/* SPDX-License-Identifier: Apache-2.0 */
/* Files of container runtimes that the operator commands read: a runtime's
 * own state file (to find a container's process) and hooks.d JSON (to
 * validate an installation). */
#ifndef NH_RUNTIME_FILES_H
#define NH_RUNTIME_FILES_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* The init pid from runc's state.json ("init_process_pid") or crun's status
 * file ("pid"). text is NUL-terminated at text[len]. */
int nh_runtime_state_pid(const char *text, size_t len, const char *name, pid_t *pid,
			 nh_error_t *err);

/* Check a hooks.d 1.0.0 file meant for this hook: version, hook.path (must
 * exist and be executable), args ("oci-numa-hook hook STAGE"), stages (known,
 * and the one in args), when.annotations (anchored regexes that match
 * oci-numa-hook/nodes), timeout. Returns 0 and the stage in *stage (static
 * string), or -1 with the first problem. */
int nh_hooks_json_check(const char *text, size_t len, const char *name, const char **stage,
			nh_error_t *err);

#endif
