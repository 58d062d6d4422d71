/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/unit/unit.h"

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("unit test setup: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(99); /* a hard error for automake's test drivers */
}

char *ut_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	return s;
}

void ut_add(ut_list_t *l, CMUnitTestFunction fn, const void *state, const char *fmt, ...)
{
	va_list ap;
	char *name;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct CMUnitTest *t = realloc(l->tests, cap * sizeof(*t));

		if (!t)
			die("out of memory");
		l->tests = t;
		l->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&name, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	l->tests[l->n++] = (struct CMUnitTest){
		.name = name,
		.test_func = fn,
		.initial_state = (void *)(uintptr_t)state,
	};
}

int ut_run(const char *group, ut_list_t *l)
{
	int r = _cmocka_run_group_tests(group, l->tests, l->n, NULL, NULL);

	for (size_t i = 0; i < l->n; i++)
		free((char *)l->tests[i].name);
	free(l->tests);
	l->tests = NULL;
	l->n = l->cap = 0;
	return r == 0 ? 0 : 1;
}

const char *ut_show(const char *s, size_t len)
{
	enum { SHOWN = 48 };
	static char bufs[8][SHOWN * 4 + 4];
	static unsigned next;
	char *buf = bufs[next++ % 8];
	size_t o = 0;

	for (size_t i = 0; i < len && i < SHOWN; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '#' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
	}
	if (len > SHOWN) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* A failure's explanation: a TAP comment in order with the results when
 * cmocka writes TAP, else cmocka's error output. */
void ut_diag(const char *fmt, ...)
{
	const char *out = getenv("CMOCKA_MESSAGE_OUTPUT");
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (out && strcasecmp(out, "TAP") == 0) {
		for (char *line = strtok(msg, "\n"); line; line = strtok(NULL, "\n"))
			printf("# %s\n", line);
		fflush(stdout);
	} else {
		print_error("%s\n", msg);
	}
}

void ut_expect_error(const nh_error_t *err, int status, const char *const *needles,
		     const char *file, int line)
{
	if (err->status == 0) {
		ut_diag("expected an error (exit status %d), got none", status);
		_fail(file, line);
	}
	if (err->status != status) {
		ut_diag("expected exit status %d, got %d: %s", status, err->status, err->msg);
		_fail(file, line);
	}
	if (err->errnum != 0) {
		ut_diag("expected no errno, got %d: %s", err->errnum, err->msg);
		_fail(file, line);
	}
	for (; *needles; needles++)
		ut_expect_contains(err->msg, *needles, file, line);
}

void ut_expect_no_error(const nh_error_t *err, const char *file, int line)
{
	if (err->status != 0 || err->msg[0] != '\0') {
		ut_diag("unexpected error (exit status %d): %s", err->status, err->msg);
		_fail(file, line);
	}
}

void ut_expect_contains(const char *haystack, const char *needle, const char *file, int line)
{
	if (!strstr(haystack, needle)) {
		ut_diag("\"%s\" does not contain \"%s\"", haystack, needle);
		_fail(file, line);
	}
}

char *ut_data_path(const char *name)
{
	const char *src = getenv("NH_SRCDIR");

	/* Run by hand from the source tree when make check did not set it. */
	return ut_strdupf("%s/tests/unit/data/%s", src && *src ? src : ".", name);
}

char *ut_read_data(const char *name, size_t *len)
{
	_cleanup_free_ char *path = ut_data_path(name);
	char *text;
	int r = nh_read_file_at(AT_FDCWD, path, 16 * 1024 * 1024, &text, len);

	if (r < 0)
		die("cannot read %s: %s (set NH_SRCDIR to the source tree)", path, strerror(-r));
	return text;
}

char *ut_mkdtemp(const char *what)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = ut_strdupf("%s/nh-unit-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", what);

	if (!mkdtemp(dir))
		die("mkdtemp %s: %s", dir, strerror(errno));
	return dir;
}

static void mkdir_parents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
}

void ut_write_file(const char *dir, const char *rel, const char *content)
{
	_cleanup_free_ char *path = ut_strdupf("%s/%s", dir, rel);
	_cleanup_fclose_ FILE *f = NULL;
	size_t len = strlen(content);

	mkdir_parents(path);
	f = fopen(path, "we");
	if (!f)
		die("create %s: %s", path, strerror(errno));
	if (fwrite(content, 1, len, f) != len || fflush(f) != 0)
		die("write %s: %s", path, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (remove(path) < 0)
		fprintf(stderr, "unit test cleanup: remove %s: %s\n", path, strerror(errno));
	return 0;
}

void ut_rmtree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
