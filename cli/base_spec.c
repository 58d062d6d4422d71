/* SPDX-License-Identifier: Apache-2.0 */
/* oci-numa-hook containerd-base-spec: a base_runtime_spec for a runtime
 * handler of containerd's CRI, which has no hooks.d: containerd's default
 * spec (`ctr oci spec`, or a file) with what the CRI removes from its
 * default removed and the hook added at createRuntime and poststart
 * (oci/base_spec.h says why). */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "cli/cli.h"
#include "oci/base_spec.h"

#define CMD "containerd-base-spec"

extern char **environ;

/* `ctr --namespace k8s.io oci spec`: containerd's default spec as its CRI
 * generates it (the namespace only shows in linux.cgroupsPath, which the CRI
 * sets for every container anyway). */
static int run_ctr(char **text, size_t *len, nh_error_t *err)
{
	char *argv[] = { "ctr", "--namespace", "k8s.io", "oci", "spec", NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], r, status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, CMD ": pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	r = posix_spawnp(&pid, "ctr", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0) {
		close(pipefd[0]);
		if (r == ENOENT)
			return nh_fail(err, NH_EXIT_SYSTEM, 0,
				       CMD ": ctr (containerd's client) is not in PATH; give "
					   "containerd's default spec with --from FILE (`ctr oci "
					   "spec` on a containerd node)");
		return nh_fail(err, NH_EXIT_SYSTEM, r, CMD ": cannot run ctr");
	}
	r = nh_read_all(pipefd[0], NH_BASE_SPEC_MAX, text, len);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return nh_fail(err, NH_EXIT_SYSTEM, errno, CMD ": waiting for ctr");
	if (r == -E2BIG)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       CMD ": `ctr oci spec` printed more than %d bytes", NH_BASE_SPEC_MAX);
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, CMD ": reading the output of `ctr oci spec`");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(*text);
		*text = NULL;
		if (WIFSIGNALED(status))
			return nh_fail(err, NH_EXIT_SYSTEM, 0, CMD ": `ctr oci spec` killed by signal %d",
				       WTERMSIG(status));
		return nh_fail(err, NH_EXIT_SYSTEM, 0, CMD ": `ctr oci spec` exited with status %d",
			       WEXITSTATUS(status));
	}
	return 0;
}

static int read_input(const char *from, char **text, size_t *len, nh_error_t *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (!from)
		return run_ctr(text, len, err);
	if (strcmp(from, "-") == 0) {
		r = nh_read_all(STDIN_FILENO, NH_BASE_SPEC_MAX, text, len);
		from = "standard input";
	} else {
		fd = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			return nh_fail(err, NH_EXIT_INVALID, errno, CMD ": cannot open %s",
				       nh_quote_whole(from, 0));
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
			return nh_fail(err, NH_EXIT_INVALID, 0, CMD ": %s is not a regular file",
				       nh_quote_whole(from, 0));
		r = nh_read_all(fd, NH_BASE_SPEC_MAX, text, len);
	}
	if (r == -E2BIG)
		return nh_fail(err, NH_EXIT_INVALID, 0, CMD ": %s is larger than %d bytes",
			       nh_quote_whole(from, 0), NH_BASE_SPEC_MAX);
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, CMD ": cannot read %s",
			       nh_quote_whole(from, 0));
	return 0;
}

/* Write path whole or not at all: a file beside it, renamed over it. */
static int write_atomically(const char *path, const char *text, size_t len, nh_error_t *err)
{
	char tmp[4096];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return nh_fail(err, NH_EXIT_INVALID, 0, CMD ": output path too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, CMD ": cannot create a file beside %s",
			       nh_quote_whole(path, 0));
	for (size_t done = 0; done < len;) {
		ssize_t n = NH_RETRY(write(fd, text + done, len - done));

		if (n < 0) {
			int e = errno;

			close(fd);
			unlink(tmp);
			return nh_fail(err, NH_EXIT_SYSTEM, e, CMD ": cannot write %s",
				       nh_quote_whole(tmp, 0));
		}
		done += (size_t)n;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;

		unlink(tmp);
		return nh_fail(err, NH_EXIT_SYSTEM, e, CMD ": cannot write %s",
			       nh_quote_whole(tmp, 0));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return nh_fail(err, NH_EXIT_SYSTEM, e, CMD ": cannot write %s",
			       nh_quote_whole(path, 0));
	}
	return 0;
}

static int read_and_make(const char *from, const char *name, const char *hook_path,
				      char **text, size_t *len, char **spec, size_t *spec_len,
				      nh_error_t *err)
{
	if (read_input(from, text, len, err) < 0)
		return -1;
	if (nh_base_spec_make(*text, *len, name, hook_path, spec, spec_len, err) < 0)
		return nh_prefix(err, CMD);
	return 0;
}

int nh_cmd_containerd_base_spec(int argc, char **argv)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "hook-path", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *output = NULL, *hook_path = NH_HOOK_PATH, *name;
	_cleanup_free_ char *text = NULL, *spec = NULL;
	nh_error_t err = { 0 };
	size_t len = 0, spec_len = 0;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
		if (c == 'f') {
			from = optarg;
		} else if (c == 'o') {
			output = optarg;
		} else if (c == 'p') {
			hook_path = optarg;
		} else {
			nh_error(CMD ": unknown option or missing value %s (see oci-numa-hook " CMD
				     " --help)",
				 argv[optind - 1]);
			return NH_EXIT_INVALID;
		}
	}
	if (optind < argc) {
		nh_error(CMD ": unexpected argument %s (see oci-numa-hook " CMD " --help)",
			 argv[optind]);
		return NH_EXIT_INVALID;
	}
	if (hook_path[0] != '/') {
		nh_error(CMD ": --hook-path must be absolute");
		return NH_EXIT_INVALID;
	}
	if (!from)
		name = "the output of `ctr oci spec`";
	else if (strcmp(from, "-") == 0)
		name = "standard input";
	else
		name = nh_quote_whole(from, 1);
	if (read_and_make(from, name, hook_path, &text, &len, &spec, &spec_len,
				       &err) < 0 ||
	    (output && write_atomically(output, spec, spec_len, &err) < 0)) {
		nh_error("%s", err.msg);
		return err.status;
	}
	if (!output && (fwrite(spec, 1, spec_len, stdout) != spec_len || fflush(stdout) != 0)) {
		nh_error(CMD ": cannot write to standard output: %s", strerror(errno));
		return NH_EXIT_SYSTEM;
	}
	return NH_EXIT_OK;
}
