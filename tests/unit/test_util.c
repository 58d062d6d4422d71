/* SPDX-License-Identifier: Apache-2.0 */
/* common/util and common/error: the strict number parser, strip, quote,
 * bounded reads, and the error idiom. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/run.h"
#include "common/util.h"
#include "tests/unit/unit.h"

struct u64_case {
	const char *in;
	uint64_t max;
	bool ok;
	uint64_t value;
};

static const struct u64_case u64_cases[] = {
	{ "0", 10, true, 0 },
	{ "7", 10, true, 7 },
	{ "10", 10, true, 10 },
	{ "11", 10, false, 0 },
	{ "1023", 1023, true, 1023 },
	{ "1024", 1023, false, 0 },
	{ "007", 10, true, 7 }, /* leading zeros are the caller's business */
	{ "", 10, false, 0 },
	{ "-1", 10, false, 0 },
	{ "+1", 10, false, 0 },
	{ " 1", 10, false, 0 },
	{ "1 ", 10, false, 0 },
	{ "0x1", 10, false, 0 },
	{ "1.0", 10, false, 0 },
	/* max below 9: a single digit above max must still be refused */
	{ "0", 0, true, 0 },
	{ "1", 0, false, 0 },
	{ "9", 0, false, 0 },
	{ "3", 3, true, 3 },
	{ "4", 3, false, 0 },
	{ "5", 3, false, 0 },
	{ "9", 8, false, 0 },
	{ "8", 8, true, 8 },
	{ "10", 8, false, 0 },
	/* the whole range, and overflow */
	{ "18446744073709551615", UINT64_MAX, true, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, false, 0 },
	{ "18446744073709551620", UINT64_MAX, false, 0 },
	{ "99999999999999999999", UINT64_MAX, false, 0 },
	{ "184467440737095516150", UINT64_MAX, false, 0 },
	{ "4294967296", UINT32_MAX, false, 0 },
	{ "4294967295", UINT32_MAX, true, UINT32_MAX },
	{ "36028797018963967", UINT64_MAX / 512, true, UINT64_MAX / 512 },
	{ "36028797018963968", UINT64_MAX / 512, false, 0 },
};

static void check_u64(void **state)
{
	const struct u64_case *c = *state;
	uint64_t v = 424242;

	assert_int_equal(nh_parse_u64(c->in, strlen(c->in), c->max, &v), c->ok);
	if (c->ok)
		assert_int_equal(v, c->value);
	else
		assert_int_equal(v, 424242); /* untouched on failure */
}

/* Only len bytes are read: no NUL needed after them. */
static void u64_reads_only_len_bytes(void **state)
{
	uint64_t v;

	assert_true(nh_parse_u64("12abc", 2, 100, &v));
	assert_int_equal(v, 12);
	assert_false(nh_parse_u64("12abc", 3, 100, &v));
}

struct strip_case {
	const char *in, *out;
};

static const struct strip_case strip_cases[] = {
	{ "", "" },
	{ "a", "a" },
	{ " a", "a" },
	{ "a ", "a" },
	{ " \t\r\na b\r\n", "a b" },
	{ "   ", "" },
	{ "\v a", "\v a" }, /* only space, tab, CR, LF */
};

static void check_strip(void **state)
{
	const struct strip_case *c = *state;
	char *copy = strdup(c->in);

	assert_non_null(copy);
	assert_string_equal(nh_strip(copy), c->out);
	free(copy);
}

struct quote_case {
	const char *in;
	size_t len;
	const char *out;
};

static const struct quote_case quote_cases[] = {
	{ "abc", 3, "abc" },
	{ "", 0, "" },
	{ "a\"b", 3, "a\\x22b" },
	{ "a\\b", 3, "a\\x5cb" },
	{ "\n\t\x1b", 3, "\\x0a\\x09\\x1b" },
	{ "\xff\x80", 2, "\\xff\\x80" },
	{ "a\0b", 3, "a\\x00b" },
	{ "0123456789012345678901234567890123456789", 40,
	  "0123456789012345678901234567890123456789" },
	{ "01234567890123456789012345678901234567890", 41,
	  "0123456789012345678901234567890123456789..." },
};

static void check_quote(void **state)
{
	const struct quote_case *c = *state;

	assert_string_equal(nh_quote(c->in, c->len, 0), c->out);
}

/* The worst case, 40 bytes each shown as \xNN plus "...", fits. */
static void quote_worst_case_fits(void **state)
{
	char in[100];
	const char *q;

	memset(in, 0xff, sizeof(in));
	q = nh_quote(in, sizeof(in), 2);
	assert_int_equal(strlen(q), 40 * 4 + 3);
	assert_string_equal(q + 160, "...");
}

static void quote_slots_are_independent(void **state)
{
	const char *a = nh_quote("first", 5, 0);
	const char *b = nh_quote("second", 6, 1);

	assert_string_equal(a, "first");
	assert_string_equal(b, "second");
	assert_ptr_equal(nh_quote("x", 1, 4), nh_quote("y", 1, 0)); /* slots wrap at 4 */
}

static int pipe_with(const char *data, size_t len)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	return fds[0];
}

struct read_case {
	size_t len, max;
	int ret;
};

static const struct read_case read_cases[] = {
	{ 0, 10, 0 },	     { 10, 10, 0 },	     { 11, 10, -E2BIG },
	{ 4096, 4096, 0 },   { 4097, 4096, -E2BIG }, { 8192, 4096, -E2BIG },
	{ 60000, 65536, 0 }, { 65536, 65536, 0 },    { 65537, 65536, -E2BIG },
};

static void check_read_all(void **state)
{
	const struct read_case *c = *state;
	_cleanup_free_ char *data = malloc(c->len + 1), *out = NULL;
	_cleanup_fclose_ FILE *f = tmpfile(); /* a file: a pipe holds only 64 KiB */
	size_t len = 12345;

	assert_non_null(f);
	assert_non_null(data);
	for (size_t i = 0; i < c->len; i++)
		data[i] = (char)('a' + i % 26);
	assert_int_equal(write(fileno(f), data, c->len), (ssize_t)c->len);
	assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
	assert_int_equal(nh_read_all(fileno(f), c->max, &out, &len), c->ret);
	if (c->ret == 0) {
		assert_int_equal(len, c->len);
		assert_int_equal(out[len], '\0');
		assert_memory_equal(out, data, c->len);
	} else {
		assert_null(out);
	}
}

static void read_all_from_pipe(void **state)
{
	_cleanup_close_ int fd = pipe_with("{\"id\":\"x\"}", 10);
	_cleanup_free_ char *out = NULL;
	size_t len;

	assert_int_equal(nh_read_all(fd, 1024, &out, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(out, "{\"id\":\"x\"}");
}

static void read_file_at_refuses_symlink(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("util");
	_cleanup_free_ char *link = ut_strdupf("%s/link", dir);
	_cleanup_free_ char *out = NULL;
	_cleanup_close_ int dfd = -1;
	size_t len;

	ut_write_file(dir, "target", "data");
	assert_int_equal(symlink("target", link), 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(nh_read_file_at(dfd, "target", 100, &out, &len), 0);
	assert_string_equal(out, "data");
	free(NH_STEAL(out));
	assert_int_equal(nh_read_file_at(dfd, "link", 100, &out, &len), -ELOOP);
	assert_int_equal(nh_read_file_at(dfd, "missing", 100, &out, &len), -ENOENT);
	ut_rmtree(dir);
}

static void write_file_at(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("util");
	_cleanup_free_ char *out = NULL;
	_cleanup_close_ int dfd = -1;
	size_t len;

	ut_write_file(dir, "f", "old");
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(nh_write_file_at(dfd, "f", "0-1"), 0);
	assert_int_equal(nh_read_file_at(dfd, "f", 100, &out, &len), 0);
	assert_string_equal(out, "0-1"); /* no O_CREAT, no O_TRUNC: cgroup files are special */
	assert_int_equal(nh_write_file_at(dfd, "missing", "1"), -ENOENT);
	ut_rmtree(dir);
}

static void fail_first_error_wins(void **state)
{
	nh_error_t err = { 0 };

	assert_int_equal(nh_fail(&err, NH_EXIT_INVALID, 0, "first %d", 1), -1);
	assert_int_equal(nh_fail(&err, NH_EXIT_SYSTEM, EPERM, "second"), -1);
	assert_int_equal(err.status, NH_EXIT_INVALID);
	assert_int_equal(err.errnum, 0);
	assert_string_equal(err.msg, "first 1");
	assert_int_equal(nh_fail(NULL, NH_EXIT_INVALID, 0, "no error object"), -1);
}

static void fail_appends_strerror(void **state)
{
	nh_error_t err = { 0 };

	nh_fail(&err, NH_EXIT_SYSTEM, ENOENT, "cannot open %s", "/x");
	assert_int_equal(err.errnum, ENOENT);
	assert_string_equal(err.msg, "cannot open /x: No such file or directory");
}

static void fail_long_message_is_cut(void **state)
{
	nh_error_t err = { 0 };
	char big[NH_ERROR_MSG_MAX + 1000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nh_fail(&err, NH_EXIT_SYSTEM, EACCES, "%s", big);
	assert_int_equal(strlen(err.msg), NH_ERROR_MSG_MAX - 1);
}

static void prefix_puts_context_in_front(void **state)
{
	nh_error_t err = { 0 };

	assert_int_equal(nh_prefix(&err, "ctx"), -1); /* nothing to prefix */
	assert_string_equal(err.msg, "");
	nh_fail(&err, NH_EXIT_INVALID, 0, "old");
	nh_prefix(&err, "cgroup %s", "/a");
	assert_string_equal(err.msg, "cgroup /a: old");
	assert_int_equal(err.status, NH_EXIT_INVALID);
}

static void prefix_long_message_is_cut(void **state)
{
	nh_error_t err = { 0 };
	char big[NH_ERROR_MSG_MAX + 100];

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nh_fail(&err, NH_EXIT_INVALID, 0, "%s", big);
	nh_prefix(&err, "ctx");
	assert_int_equal(strlen(err.msg), NH_ERROR_MSG_MAX - 1);
	assert_int_equal(strncmp(err.msg, "ctx: bbb", 8), 0);

	nh_error_clear(&err);
	nh_fail(&err, NH_EXIT_INVALID, 0, "old");
	nh_prefix(&err, "%s", big); /* the prefix alone is too long */
	assert_int_equal(strlen(err.msg), NH_ERROR_MSG_MAX - 1);
}

/* A child, its pidfd (when the kernel has pidfd_open) and its /proc
 * directory, through its life: running, zombie, reaped. */
static void process_alive_through_life(void **state)
{
	int fds[2], pidfd, procfd;
	char path[32], c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		_exit(read(fds[0], &c, 1) < 0);
	}
	close(fds[0]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(procfd >= 0);
	assert_true(nh_process_alive(-1, -1));
	assert_true(nh_process_alive(-1, procfd));
	if (pidfd >= 0)
		assert_true(nh_process_alive(pidfd, procfd));
	close(fds[1]); /* the child exits: a zombie until waited for */
	for (int i = 0; i < 5000 && nh_process_alive(-1, procfd); i++)
		usleep(1000);
	assert_false(nh_process_alive(-1, procfd));
	if (pidfd >= 0)
		assert_false(nh_process_alive(pidfd, -1));
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_false(nh_process_alive(-1, procfd));
	if (pidfd >= 0) {
		assert_false(nh_process_alive(pidfd, -1));
		close(pidfd);
	}
	close(procfd);
}

/* nh_run: status, output, the environment, a time limit, a missing program. */
static void run_collects_output(void **state)
{
	const char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	char *out = NULL, *errout = NULL;
	nh_error_t err = { 0 };

	(void)state;
	assert_int_equal(nh_run(argv, 10000, &out, &errout, 4096, &err), 3);
	UT_EXPECT_NO_ERROR(&err);
	assert_string_equal(out, "out\n");
	assert_string_equal(errout, "err\n");
	free(out);
	free(errout);
}

static void run_bounds_output(void **state)
{
	const char *argv[] = { "/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x", NULL };
	char *out = NULL;
	nh_error_t err = { 0 };

	(void)state;
	assert_int_equal(nh_run(argv, 10000, &out, NULL, 10, &err), 0);
	assert_string_equal(out, "xxxxxxxxxx");
	free(out);
}

static void run_clean_environment(void **state)
{
	const char *argv[] = { "/bin/sh", "-c", "env | grep -v '^PWD=\\|^SHLVL=\\|^_=' | sort", NULL };
	char *out = NULL;
	nh_error_t err = { 0 };

	(void)state;
	setenv("NH_TEST_SECRET", "x", 1);
	assert_int_equal(nh_run(argv, 10000, &out, NULL, 4096, &err), 0);
	assert_string_equal(out, "LC_ALL=C\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
	free(out);
}

static void run_kills_after_timeout(void **state)
{
	const char *argv[] = { "/bin/sleep", "30", NULL };
	nh_error_t err = { 0 };
	uint64_t t0 = nh_now_ms();

	(void)state;
	assert_int_equal(nh_run(argv, 200, NULL, NULL, 0, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_SYSTEM, "/bin/sleep did not finish within 200 ms");
	/* Not a timing test: only that it did not wait for the 30 s. */
	assert_true(nh_now_ms() - t0 < 20000);
}

static void run_missing_program(void **state)
{
	const char *argv[] = { "/nonexistent/program", NULL };
	nh_error_t err = { 0 };

	(void)state;
	assert_int_equal(nh_run(argv, 10000, NULL, NULL, 0, &err), 127);
}

int main(void)
{
	ut_list_t l = { 0 };

	ut_add(&l, run_collects_output, NULL, "run: status, stdout and stderr");
	ut_add(&l, run_bounds_output, NULL, "run: output cut at max");
	ut_add(&l, run_clean_environment, NULL, "run: PATH and LC_ALL only");
	ut_add(&l, run_kills_after_timeout, NULL, "run: killed after its time");
	ut_add(&l, run_missing_program, NULL, "run: a missing program exits 127");

	for (size_t i = 0; i < NH_ARRAY_SIZE(u64_cases); i++)
		ut_add(&l, check_u64, &u64_cases[i], "parse_u64 \"%s\" max %llu -> %s",
		       ut_show_str(u64_cases[i].in), (unsigned long long)u64_cases[i].max,
		       u64_cases[i].ok ? "ok" : "refused");
	ut_add(&l, u64_reads_only_len_bytes, NULL, "parse_u64 reads only len bytes");
	for (size_t i = 0; i < NH_ARRAY_SIZE(strip_cases); i++)
		ut_add(&l, check_strip, &strip_cases[i], "strip \"%s\"",
		       ut_show_str(strip_cases[i].in));
	for (size_t i = 0; i < NH_ARRAY_SIZE(quote_cases); i++)
		ut_add(&l, check_quote, &quote_cases[i], "quote \"%s\"",
		       ut_show(quote_cases[i].in, quote_cases[i].len));
	ut_add(&l, quote_worst_case_fits, NULL, "quote worst case fits its buffer");
	ut_add(&l, quote_slots_are_independent, NULL, "quote slots");
	for (size_t i = 0; i < NH_ARRAY_SIZE(read_cases); i++)
		ut_add(&l, check_read_all, &read_cases[i], "read_all %zu bytes, max %zu -> %s",
		       read_cases[i].len, read_cases[i].max, read_cases[i].ret ? "E2BIG" : "ok");
	ut_add(&l, read_all_from_pipe, NULL, "read_all from a pipe");
	ut_add(&l, read_file_at_refuses_symlink, NULL, "read_file_at does not follow a symlink");
	ut_add(&l, write_file_at, NULL, "write_file_at");
	ut_add(&l, fail_first_error_wins, NULL, "nh_fail: the first error wins");
	ut_add(&l, fail_appends_strerror, NULL, "nh_fail appends strerror");
	ut_add(&l, fail_long_message_is_cut, NULL, "nh_fail cuts a long message");
	ut_add(&l, prefix_puts_context_in_front, NULL, "nh_prefix");
	ut_add(&l, prefix_long_message_is_cut, NULL, "nh_prefix cuts a long message");
	ut_add(&l, process_alive_through_life, NULL,
	       "process_alive: running, zombie, reaped; pidfd and /proc pin");
	return ut_run("util", &l);
}
