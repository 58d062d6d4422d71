/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "common/run.h"
#include "common/util.h"

struct sink {
	int fd;
	char *buf;
	size_t len;
};

/* Read what is there; 1 at EOF. */
static int drain(struct sink *s, size_t max)
{
	char tmp[4096];
	ssize_t n = NH_RETRY(read(s->fd, tmp, sizeof(tmp)));

	if (n <= 0)
		return 1;
	if (s->buf && s->len < max) {
		size_t take = (size_t)n < max - s->len ? (size_t)n : max - s->len;

		memcpy(s->buf + s->len, tmp, take);
		s->len += take;
		s->buf[s->len] = '\0';
	}
	return 0;
}

static void child(const char *const argv[], int outfd, int errfd)
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
	execve(argv[0], (char *const *)argv, env);
	_exit(127);
}

int nh_run(const char *const argv[], int timeout_ms, char **out, char **errout, size_t max,
	   nh_error_t *err)
{
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 };
	struct sink s[2] = { { -1, NULL, 0 }, { -1, NULL, 0 } };
	uint64_t deadline = nh_now_ms() + (uint64_t)timeout_ms;
	int status, open_sinks = 2;
	bool timed_out = false;
	pid_t pid;

	if (out && !(s[0].buf = calloc(1, max + 1)))
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "running %s", argv[0]);
	if (errout && !(s[1].buf = calloc(1, max + 1))) {
		free(s[0].buf);
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "running %s", argv[0]);
	}
	if (pipe2(opipe, O_CLOEXEC) < 0 || pipe2(epipe, O_CLOEXEC) < 0) {
		nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot run %s", argv[0]);
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot run %s", argv[0]);
		goto fail;
	}
	if (pid == 0)
		child(argv, opipe[1], epipe[1]);
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	s[0].fd = opipe[0];
	s[1].fd = epipe[0];
	opipe[0] = epipe[0] = -1;
	while (open_sinks > 0) {
		struct pollfd pfd[2];
		int n = 0, map[2];
		uint64_t now = nh_now_ms();

		if (now >= deadline) {
			timed_out = true;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (s[i].fd >= 0) {
				pfd[n] = (struct pollfd){ .fd = s[i].fd, .events = POLLIN };
				map[n++] = i;
			}
		if (poll(pfd, (nfds_t)n, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++)
			if (pfd[i].revents && drain(&s[map[i]], max)) {
				close(s[map[i]].fd);
				s[map[i]].fd = -1;
				open_sinks--;
			}
	}
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			nh_fail(err, NH_EXIT_SYSTEM, errno, "waiting for %s", argv[0]);
			goto fail;
		}
	for (int i = 0; i < 2; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	if (timed_out) {
		free(s[0].buf);
		free(s[1].buf);
		return nh_fail(err, NH_EXIT_SYSTEM, 0, "%s did not finish within %d ms (killed)",
			       argv[0], timeout_ms);
	}
	if (!WIFEXITED(status)) {
		free(s[0].buf);
		free(s[1].buf);
		return nh_fail(err, NH_EXIT_SYSTEM, 0, "%s was killed by signal %d", argv[0],
			       WTERMSIG(status));
	}
	if (out)
		*out = s[0].buf;
	if (errout)
		*errout = s[1].buf;
	return WEXITSTATUS(status);
fail:
	for (int i = 0; i < 2; i++) {
		if (s[i].fd >= 0)
			close(s[i].fd);
		if (opipe[i] >= 0)
			close(opipe[i]);
		if (epipe[i] >= 0)
			close(epipe[i]);
	}
	free(s[0].buf);
	free(s[1].buf);
	return -1;
}
