/* SPDX-License-Identifier: Apache-2.0 */
/* Running a helper program (systemctl) with a time limit. */
#ifndef NH_RUN_H
#define NH_RUN_H

#include <stddef.h>

#include "common/error.h"

/* Run argv[0], an absolute path, with argv, stdin from /dev/null and an
 * environment of PATH and LC_ALL=C only, for at most timeout_ms. Its stdout
 * goes to *out (NUL-terminated, at most max bytes, the rest discarded) when
 * out is not NULL; its stderr to *errout the same way. Returns its exit
 * status (0-255), or -1 with err set when it cannot be started, is killed
 * by a signal or runs out of time (then it is killed). */
int nh_run(const char *const argv[], int timeout_ms, char **out, char **errout, size_t max,
	   nh_error_t *err);

#endif
