/* SPDX-License-Identifier: Apache-2.0 */
/* common/log: the native journal entry, read back from a datagram socket
 * that stands for journald's. */
#include "config.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "tests/unit/unit.h"

#define ID_FULL "4f2a9c01b7e3d6c1a0b9f8e7d6c5b4a3928170615f4e3d2c1b0a998877665544"

struct journal {
	char dir[64], path[128];
	int fd;
	char entry[16384];
	size_t len;
};

static void journal_open(struct journal *j)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(j->dir, sizeof(j->dir), "/tmp/nh-log-XXXXXX");
	assert_non_null(mkdtemp(j->dir));
	snprintf(j->path, sizeof(j->path), "%s/socket", j->dir);
	strcpy(sa.sun_path, j->path);
	j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(j->fd >= 0);
	assert_int_equal(bind(j->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	nh_log_set_journal(j->path);
	nh_log_set_stderr(false);
}

static void journal_read(struct journal *j)
{
	ssize_t n = recv(j->fd, j->entry, sizeof(j->entry), MSG_DONTWAIT);

	assert_true(n > 0);
	j->len = (size_t)n;
}

static void journal_close(struct journal *j)
{
	char extra;

	/* One line, one datagram. */
	assert_true(recv(j->fd, &extra, 1, MSG_DONTWAIT) < 0);
	close(j->fd);
	unlink(j->path);
	rmdir(j->dir);
	nh_log_set_journal(NH_JOURNAL_SOCKET);
	nh_log_set_container(NULL);
	nh_log_set_id(NULL);
	nh_log_set_stderr(true);
}

/* The value of field name in the entry (binary form), or NULL. */
static char *field(const struct journal *j, const char *name)
{
	size_t nl = strlen(name);

	for (size_t at = 0; at < j->len;) {
		const char *nlpos = memchr(j->entry + at, '\n', j->len - at);
		uint64_t vl;
		size_t key_len;

		assert_non_null(nlpos);
		key_len = (size_t)(nlpos - (j->entry + at));
		assert_true(at + key_len + 1 + sizeof(vl) <= j->len);
		memcpy(&vl, nlpos + 1, sizeof(vl));
		vl = le64toh(vl);
		assert_true(at + key_len + 1 + sizeof(vl) + vl + 1 <= j->len);
		assert_int_equal(nlpos[1 + sizeof(vl) + vl], '\n');
		if (key_len == nl && memcmp(j->entry + at, name, nl) == 0)
			return strndup(nlpos + 1 + sizeof(vl), (size_t)vl);
		at += key_len + 1 + sizeof(vl) + (size_t)vl + 1;
	}
	return NULL;
}

static void expect_field(const struct journal *j, const char *name, const char *want)
{
	_cleanup_free_ char *v = field(j, name);

	if (!want) {
		if (v)
			ut_diag("%s=%s, want no such field", name, v);
		assert_null(v);
		return;
	}
	if (!v || strcmp(v, want) != 0)
		ut_diag("%s=%s, want %s", name, v ? v : "(none)", want);
	assert_non_null(v);
	assert_string_equal(v, want);
}

static void error_carries_container_id(void **state)
{
	struct journal j;
	char pid[16];

	(void)state;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	journal_open(&j);
	nh_log_set_id(ID_FULL);
	nh_log_set_container(ID_FULL);
	nh_error("node %d is not online", 7);
	journal_read(&j);
	expect_field(&j, "PRIORITY", "3");
	expect_field(&j, "SYSLOG_IDENTIFIER", "oci-numa-hook");
	expect_field(&j, "SYSLOG_FACILITY", "3");
	expect_field(&j, "SYSLOG_PID", pid);
	expect_field(&j, "MESSAGE", "[4f2a9c01b7e3] error: node 7 is not online");
	expect_field(&j, "CONTAINER_ID_FULL", ID_FULL);
	journal_close(&j);
}

/* Podman's journald reader stops at priorities other than 3 and 6: only
 * error lines name the container. */
static void other_levels_do_not(void **state)
{
	static const struct {
		enum nh_log_level level;
		const char *priority, *name;
	} levels[] = { { NH_LOG_WARN, "4", "warn" }, { NH_LOG_INFO, "6", "info" },
		       { NH_LOG_DEBUG, "7", "debug" } };
	struct journal j;

	(void)state;
	journal_open(&j);
	nh_log_set_level(NH_LOG_DEBUG);
	nh_log_set_id(ID_FULL);
	nh_log_set_container(ID_FULL);
	for (size_t i = 0; i < NH_ARRAY_SIZE(levels); i++) {
		char want[64];

		nh_log(levels[i].level, "line %zu", i);
		journal_read(&j);
		snprintf(want, sizeof(want), "[4f2a9c01b7e3] %s: line %zu", levels[i].name, i);
		expect_field(&j, "PRIORITY", levels[i].priority);
		expect_field(&j, "MESSAGE", want);
		expect_field(&j, "CONTAINER_ID_FULL", NULL);
	}
	nh_log_set_level(NH_LOG_INFO);
	journal_close(&j);
}

/* The commands other than the hook set no container: no field. */
static void no_container_no_field(void **state)
{
	struct journal j;

	(void)state;
	journal_open(&j);
	nh_error("refused");
	journal_read(&j);
	expect_field(&j, "MESSAGE", "[-] error: refused");
	expect_field(&j, "CONTAINER_ID_FULL", NULL);
	journal_close(&j);
}

/* An id that is not one printable line (runtimes pass what they were
 * given) is not put in a field. */
static void odd_id_left_out(void **state)
{
	struct journal j;

	(void)state;
	journal_open(&j);
	nh_log_set_container("abc\ndef");
	nh_error("one");
	journal_read(&j);
	expect_field(&j, "CONTAINER_ID_FULL", NULL);
	nh_log_set_container("abc def");
	nh_error("two");
	journal_read(&j);
	expect_field(&j, "CONTAINER_ID_FULL", NULL);
	journal_close(&j);
}

/* A value with a newline stays whole in the binary form. */
static void newline_kept_in_message(void **state)
{
	struct journal j;

	(void)state;
	journal_open(&j);
	nh_error("a\nb");
	journal_read(&j);
	expect_field(&j, "MESSAGE", "[-] error: a\nb");
	journal_close(&j);
}

int main(void)
{
	ut_list_t l = { 0 };

	ut_add(&l, error_carries_container_id, NULL,
	       "error line: PRIORITY 3, syslog fields, CONTAINER_ID_FULL");
	ut_add(&l, other_levels_do_not, NULL, "warn, info, debug: no CONTAINER_ID_FULL");
	ut_add(&l, no_container_no_field, NULL, "no container set: no CONTAINER_ID_FULL");
	ut_add(&l, odd_id_left_out, NULL, "id with newline or space: left out");
	ut_add(&l, newline_kept_in_message, NULL, "newline in MESSAGE: binary field");
	return ut_run("log", &l);
}
