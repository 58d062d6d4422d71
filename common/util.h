/* SPDX-License-Identifier: Apache-2.0 */
#ifndef NH_UTIL_H
#define NH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

#include "common/error.h"

#define NH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void nh_freep(void *p) { free(*(void **)p); }
static inline void nh_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void nh_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_free_ __attribute__((cleanup(nh_freep)))
#define _cleanup_close_ __attribute__((cleanup(nh_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(nh_fclosep)))

#define NH_RETRY(expr)                                                                             \
	({                                                                                         \
		long _r;                                                                           \
		do                                                                                 \
			_r = (long)(expr);                                                         \
		while (_r == -1 && errno == EINTR);                                                \
		_r;                                                                                \
	})

/* Take ownership out of a cleanup variable. */
#define NH_STEAL(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})

/* Read all of fd into a NUL-terminated buffer of at most max bytes.
 * More than max bytes: E2BIG. */
int nh_read_all(int fd, size_t max, char **out, size_t *len);

/* Read a whole (small) file, relative to dirfd, not following a symlink in
 * the last component. */
int nh_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len);

/* Write a string to a file relative to dirfd, not following symlinks. */
int nh_write_file_at(int dirfd, const char *name, const char *value);

/* Strict decimal: digits only, no sign, no spaces, value <= max. */
bool nh_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/* Remove leading and trailing ASCII white space in place; return s. */
char *nh_strip(char *s);

/* The base page size, in which the kernel counts pages. */
size_t nh_page_size(void);
/* pages of the base page size, in MiB. */
double nh_pages_mib(uint64_t pages);

/* Whether a pinned process still exists (a zombie counts as gone). The pin
 * is a pidfd (pidfd_open(2), Linux 5.3) or, where there is none (-1: an older
 * kernel, a seccomp filter or a tool such as valgrind refusing the call),
 * the process's /proc/<pid> directory, opened while it was the process
 * meant: that directory stops resolving once the process is reaped, and its
 * pid cannot be reused before. Neither given (-1, -1): true. */
bool nh_process_alive(int pidfd, int procfd);

/* Monotonic milliseconds. */
uint64_t nh_now_ms(void);

/* Shorten s for an error message: at most max bytes, control and non-ASCII
 * bytes escaped, "..." when cut. Returns a static buffer per slot (0..3). */
const char *nh_quote(const char *s, size_t len, int slot);
/* The same for a name an operator must be able to copy (a path, an id):
 * escaped but whole, up to NH_QUOTE_WHOLE_MAX bytes (PATH_MAX). Not for
 * hostile input, which nh_quote() keeps short. */
#define NH_QUOTE_WHOLE_MAX 4096
const char *nh_quote_whole(const char *s, int slot);



/* Take ownership of an fd out of a _cleanup_close_ variable. */
#define NH_STEAL_FD(fd)                                                                            \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})
#endif
