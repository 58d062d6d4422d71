/* SPDX-License-Identifier: Apache-2.0 */
/* Logging: the journal (its native socket; syslog where there is none) with
 * tag "oci-numa-hook" and the container's short id in every line; the same
 * lines on stderr and, if configured, appended to a log file (runtimes send
 * hook output to /dev/null, so the journal or syslog is the record). */
#ifndef NH_LOG_H
#define NH_LOG_H

#include <stdbool.h>

enum nh_log_level { NH_LOG_ERROR = 0, NH_LOG_WARN, NH_LOG_INFO, NH_LOG_DEBUG };

#define NH_JOURNAL_SOCKET "/run/systemd/journal/socket"

void nh_log_set_id(const char *container_id); /* keeps the first 12 chars */
/* Error lines also carry CONTAINER_ID_FULL=container_id in the journal, where
 * Podman's journald log driver finds them: `podman logs` shows the hook's
 * reason. For the hook only; NULL turns it off. */
void nh_log_set_container(const char *container_id);
/* journald's native socket (default NH_JOURNAL_SOCKET); NULL: syslog only. */
void nh_log_set_journal(const char *socket_path);
void nh_log_set_level(enum nh_log_level level);
void nh_log_set_syslog(bool on);
void nh_log_set_stderr(bool on);
/* Append every line to this file too; NULL turns it off. */
void nh_log_set_file(const char *path);
void nh_log(enum nh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool nh_log_level_parse(const char *s, enum nh_log_level *out);

#define nh_error(...) nh_log(NH_LOG_ERROR, __VA_ARGS__)
#define nh_warn(...) nh_log(NH_LOG_WARN, __VA_ARGS__)
#define nh_info(...) nh_log(NH_LOG_INFO, __VA_ARGS__)
#define nh_debug(...) nh_log(NH_LOG_DEBUG, __VA_ARGS__)

#endif
