/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
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
} nh_log_state = { .level = NH_LOG_INFO, .to_syslog = true, .to_stderr = true };

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

	if (nh_log_state.to_syslog) {
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
