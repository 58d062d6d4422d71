/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

int nh_fail(nh_error_t *err, int status, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->status != 0)
		return -1;
	err->status = status;
	err->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (errnum != 0) {
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(errnum));
	}
	return -1;
}

int nh_prefix(nh_error_t *err, const char *fmt, ...)
{
	char msg[NH_ERROR_MSG_MAX];
	size_t used;
	va_list ap;
	int n;

	if (!err || err->status == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	used = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	if (used + 2 < sizeof(msg)) {
		/* The old message, cut if the whole does not fit. */
		size_t old = strnlen(err->msg, sizeof(err->msg));

		memcpy(msg + used, ": ", 2);
		used += 2;
		if (old > sizeof(msg) - used - 1)
			old = sizeof(msg) - used - 1;
		memcpy(msg + used, err->msg, old);
		used += old;
	}
	msg[used] = '\0';
	memcpy(err->msg, msg, sizeof(msg));
	return -1;
}

void nh_error_clear(nh_error_t *err)
{
	memset(err, 0, sizeof(*err));
}
