/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the unit tests. Every row of a test table becomes one
 * cmocka test, so that each case is one counted TAP result under
 * `make check`; names are made safe for a TAP line. */
#ifndef NH_UNIT_H
#define NH_UNIT_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>

#include "common/error.h"

typedef struct ut_list {
	struct CMUnitTest *tests;
	size_t n, cap;
} ut_list_t;

/* Add one test; state is handed to fn as *state. The name is printf-like. */
void ut_add(ut_list_t *l, CMUnitTestFunction fn, const void *state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Run every test of l as one group and free l; returns the process status. */
int ut_run(const char *group, ut_list_t *l);

/* s as it may appear in a test name: printable ASCII, anything else (and
 * '#', which TAP would read as a directive) as \xNN, cut after 48 bytes.
 * The buffer is reused after 8 calls. */
const char *ut_show(const char *s, size_t len);
#define ut_show_str(s) ut_show((s), strlen(s))

/* Explain a failure: a TAP comment, in order with the results, when cmocka
 * writes TAP; else cmocka's error output. */
void ut_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The error must be set with this exit status and no errno, and its message
 * must contain every needle. */
void ut_expect_error(const nh_error_t *err, int status, const char *const *needles,
		     const char *file, int line);
#define UT_EXPECT_ERROR(err, status, ...)                                                          \
	ut_expect_error((err), (status), (const char *const[]){ __VA_ARGS__, NULL }, __FILE__,     \
			__LINE__)
/* No error may be set; if one is, its message is shown. */
void ut_expect_no_error(const nh_error_t *err, const char *file, int line);
#define UT_EXPECT_NO_ERROR(err) ut_expect_no_error((err), __FILE__, __LINE__)
/* haystack must contain needle. */
void ut_expect_contains(const char *haystack, const char *needle, const char *file, int line);
#define UT_EXPECT_CONTAINS(h, n) ut_expect_contains((h), (n), __FILE__, __LINE__)

/* A fixture under tests/unit/data: its path (in $NH_SRCDIR, which
 * `make check` sets) and its whole content, NUL-terminated. */
char *ut_data_path(const char *name);
char *ut_read_data(const char *name, size_t *len);

/* A fresh directory under $TMPDIR, files in it (parents made as needed),
 * and its removal with everything inside. */
char *ut_mkdtemp(const char *what);
void ut_write_file(const char *dir, const char *rel, const char *content);
void ut_rmtree(const char *dir);

/* A printf'd string on the heap (aborts on failure). */
char *ut_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
