/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

int nh_read_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, used = 0;
	_cleanup_free_ char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (used == cap) {
			char *bigger;

			if (cap > max)
				return -E2BIG;
			cap *= 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger)
				return -ENOMEM;
			buf = bigger;
		}
		n = NH_RETRY(read(fd, buf + used, cap - used));
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return -E2BIG;
	}
	buf[used] = '\0';
	*out = NH_STEAL(buf);
	if (len)
		*len = used;
	return 0;
}

int nh_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	return nh_read_all(fd, max, out, len);
}

int nh_write_file_at(int dirfd, const char *name, const char *value)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = NH_RETRY(write(fd, value, len));
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

bool nh_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		/* d > max: max - d would wrap around and let any digit through. */
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

char *nh_strip(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
			   s[len - 1] == '\r'))
		s[--len] = '\0';
	return s;
}

size_t nh_page_size(void)
{
	static size_t size;

	if (!size) {
		long s = sysconf(_SC_PAGESIZE);

		size = s > 0 ? (size_t)s : 4096;
	}
	return size;
}

double nh_pages_mib(uint64_t pages)
{
	return (double)pages * (double)nh_page_size() / (1024.0 * 1024.0);
}

bool nh_process_alive(int pidfd, int procfd)
{
	char buf[512];
	const char *paren;
	ssize_t n;
	int fd;

	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		return NH_RETRY(poll(&p, 1, 0)) == 0;
	}
	if (procfd < 0)
		return true;
	/* The state follows the last ')' of stat (the name may hold one). */
	fd = openat(procfd, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = NH_RETRY(read(fd, buf, sizeof(buf) - 1));
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X' &&
	       paren[2] != '\0';
}

uint64_t nh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* s[0..len) escaped into buf, at most shown bytes of it, "..." when cut. */
static const char *quote_into(char *buf, const char *s, size_t len, size_t shown)
{
	size_t o = 0;

	for (size_t i = 0; i < len && i < shown; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
	}
	if (len > shown) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *nh_quote_whole(const char *s, int slot)
{
	static __thread char bufs[4][NH_QUOTE_WHOLE_MAX * 4 + 8];

	return quote_into(bufs[slot & 3], s, strnlen(s, NH_QUOTE_WHOLE_MAX + 1), NH_QUOTE_WHOLE_MAX);
}

const char *nh_quote(const char *s, size_t len, int slot)
{
	enum { SHOWN = 40 };
	static __thread char bufs[4][SHOWN * 4 + 8];

	return quote_into(bufs[slot & 3], s, len, SHOWN);
}
