/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <endian.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>

#include "common/log.h"
#include "common/util.h"

/* The container a line is about: per thread, so that the NRI plugin's
 * moves, each on a thread of its own, name their containers. */
static __thread char log_id[13] = "-";

static struct {
	enum nh_log_level level;
	bool to_syslog;
	bool to_stderr;
	bool syslog_open;
	const char *file;
	const char *journal; /* journald's native socket, or NULL */
} nh_log_state = { .level = NH_LOG_INFO,
		   .to_syslog = true,
		   .to_stderr = true,
		   .journal = NH_JOURNAL_SOCKET };

/* CONTAINER_ID_FULL of error lines, or "": per thread, like log_id. */
static __thread char id_full[129];

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void nh_log_set_id(const char *container_id)
{
	size_t n = 0;

	/* Ids come from the runtime; keep them printable in a log line. */
	for (; container_id && container_id[n] && n < 12; n++) {
		char c = container_id[n];
		log_id[n] = (c > 0x20 && c < 0x7f) ? c : '?';
	}
	log_id[n] = '\0';
	if (n == 0)
		strcpy(log_id, "-");
}

void nh_log_set_container(const char *container_id)
{
	size_t n = container_id ? strlen(container_id) : 0;

	/* A journal field value of one line; anything else is left out. */
	id_full[0] = '\0';
	if (n == 0 || n >= sizeof(id_full))
		return;
	for (size_t i = 0; i < n; i++)
		if (container_id[i] <= 0x20 || container_id[i] >= 0x7f)
			return;
	memcpy(id_full, container_id, n + 1);
}

void nh_log_set_journal(const char *socket_path) { nh_log_state.journal = socket_path; }
void nh_log_set_level(enum nh_log_level level) { nh_log_state.level = level; }
void nh_log_set_syslog(bool on) { nh_log_state.to_syslog = on; }
void nh_log_set_stderr(bool on) { nh_log_state.to_stderr = on; }
void nh_log_set_file(const char *path) { nh_log_state.file = path; }

bool nh_log_level_parse(const char *s, enum nh_log_level *out)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum nh_log_level)i;
			return true;
		}
	}
	return false;
}

/* One journal field; the binary form (name, newline, 64-bit little-endian
 * length, value) keeps any byte of the value. Returns the new length, or
 * 0 when it does not fit. */
static size_t journal_field(char *buf, size_t len, size_t cap, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	uint64_t le = htole64((uint64_t)vl);

	if (len + nl + 1 + sizeof(le) + vl + 1 > cap)
		return 0;
	memcpy(buf + len, name, nl);
	buf[len + nl] = '\n';
	memcpy(buf + len + nl + 1, &le, sizeof(le));
	memcpy(buf + len + nl + 1 + sizeof(le), value, vl);
	buf[len + nl + 1 + sizeof(le) + vl] = '\n';
	return len + nl + 1 + sizeof(le) + vl + 1;
}

/* The line as a native journal entry (systemd's journal-native protocol: one
 * datagram, no libsystemd), with the syslog fields that journalctl -t and
 * the syslog format show. Error lines of a hook run also carry
 * CONTAINER_ID_FULL: Podman's journald log driver reads the entries with
 * the container's id there, so `podman logs` shows the hook's reason. Only
 * priorities 3 and 6 may carry it (Podman stops reading a container's log
 * at any other priority), and errors are 3. The socket is non-blocking:
 * false, and syslog takes the line, when there is no journald or it does
 * not take the datagram at once. */
static bool journal_send(enum nh_log_level level, const char *message)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[NH_ERROR_MSG_MAX + 512], priority[4], pid[16];
	_cleanup_close_ int fd = -1;
	size_t len = 0;

	if (!nh_log_state.journal || strlen(nh_log_state.journal) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, nh_log_state.journal);
	snprintf(priority, sizeof(priority), "%d", syslog_priorities[level]);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (!(len = journal_field(buf, len, sizeof(buf), "PRIORITY", priority)) ||
	    !(len = journal_field(buf, len, sizeof(buf), "SYSLOG_FACILITY", "3")) ||
	    !(len = journal_field(buf, len, sizeof(buf), "SYSLOG_IDENTIFIER", "oci-numa-hook")) ||
	    !(len = journal_field(buf, len, sizeof(buf), "SYSLOG_PID", pid)) ||
	    !(len = journal_field(buf, len, sizeof(buf), "MESSAGE", message)))
		return false;
	if (level == NH_LOG_ERROR && id_full[0] &&
	    !(len = journal_field(buf, len, sizeof(buf), "CONTAINER_ID_FULL",
				  id_full)))
		return false;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	return fd >= 0 && sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len;
}

void nh_log(enum nh_log_level level, const char *fmt, ...)
{
	char msg[NH_ERROR_MSG_MAX], line[NH_ERROR_MSG_MAX + 128];
	va_list ap;
	int n;

	if (level > nh_log_state.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	n = snprintf(line, sizeof(line), "[%s] %s: %s", log_id, level_names[level], msg);
	if (nh_log_state.to_syslog && !journal_send(level, n < 0 ? msg : line)) {
		if (!nh_log_state.syslog_open) {
			openlog("oci-numa-hook", LOG_PID | LOG_NDELAY, LOG_DAEMON);
			nh_log_state.syslog_open = true;
		}
		syslog(syslog_priorities[level], "[%s] %s: %s", log_id, level_names[level],
		       msg);
	}
	n = snprintf(line, sizeof(line), "oci-numa-hook[%s]: %s: %s\n", log_id,
		     level_names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) { /* still one line */
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (nh_log_state.to_stderr)
		(void)!write(STDERR_FILENO, line, (size_t)n);
	if (nh_log_state.file) {
		_cleanup_close_ int fd =
			open(nh_log_state.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd >= 0)
			(void)!write(fd, line, (size_t)n);
	}
}
