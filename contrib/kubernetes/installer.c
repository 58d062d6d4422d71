/* SPDX-License-Identifier: Apache-2.0 */
/* oci-numa-hook-install: the entry point of the installer image.
 *
 * Copies the hook binary and its hooks.d files from the image onto the node
 * (the node's directories are hostPath volumes under --host-root):
 *
 *   HOST_ROOT/BIN_DIR/oci-numa-hook                          mode 0755
 *   HOST_ROOT/HOOKS_DIR/oci-numa-hook-createRuntime.json     mode 0644
 *   HOST_ROOT/HOOKS_DIR/oci-numa-hook-poststart.json         mode 0644
 *
 * The JSON files are made from the image's template with the hook's path as
 * the node sees it (BIN_DIR/oci-numa-hook). A file whose content and mode are
 * already right is left alone; any other is written to a temporary file in
 * the same directory and renamed over the old one, so that a runtime never
 * sees half a file and a hook that is running keeps its old binary. Nothing
 * else is touched or removed. With --sleep it then waits for SIGTERM, as a
 * DaemonSet's container must.
 *
 * Exit status: 0 installed or already up to date, 1 bad command line,
 * 2 a file could not be read or written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (64u * 1024 * 1024)

static const char *progname = "oci-numa-hook-install";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [--host-root DIR] [--bin-dir DIR] [--hooks-dir DIR]\n"
		"                             [--source DIR] [--sleep]\n"
		"\n"
		"Installs oci-numa-hook and the hooks.d template from SOURCE (default /)\n"
		"into HOST-ROOT/BIN-DIR (default /usr/libexec/oci/hooks.d) and\n"
		"HOST-ROOT/HOOKS-DIR (default /usr/share/containers/oci/hooks.d).\n"
		"Files already up to date are left alone; nothing else is touched.\n"
		"--sleep: then wait until terminated (for a DaemonSet).\n",
		progname);
}

/* Reads a whole file (at most MAX_FILE bytes); returns 0 or an errno. */
static int read_file(int dirfd, const char *name, char **buf, size_t *len, mode_t *mode)
{
	struct stat st;
	char *b;
	size_t n = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_FILE) {
		int e = !S_ISREG(st.st_mode) ? EINVAL : (size_t)st.st_size > MAX_FILE ? EFBIG : errno;

		close(fd);
		return e;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return ENOMEM;
	}
	while (n <= (size_t)st.st_size) {
		ssize_t r = read(fd, b + n, (size_t)st.st_size + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(b);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n != (size_t)st.st_size) { /* changed while read */
		free(b);
		return EAGAIN;
	}
	*buf = b;
	*len = n;
	if (mode)
		*mode = st.st_mode & 07777;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = write(fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* mkdir -p of an absolute path, mode 0755 for what it creates. */
static int make_dirs(const char *path)
{
	char *p = strdup(path);

	if (!p)
		return ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				int e = errno;

				free(p);
				return e;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return 0;
}

/* Puts content into dir/name with mode, unless it is already there. */
static int install_file(const char *dir, const char *name, const char *content, size_t len,
			mode_t mode)
{
	char *old = NULL, tmp[256];
	size_t old_len = 0;
	mode_t old_mode = 0;
	int dirfd, fd, e;

	e = make_dirs(dir);
	if (e) {
		fprintf(stderr, "%s: cannot create %s: %s\n", progname, dir, strerror(e));
		return -1;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", progname, dir, strerror(errno));
		return -1;
	}
	e = read_file(dirfd, name, &old, &old_len, &old_mode);
	if (e == 0 && old_len == len && old_mode == mode && memcmp(old, content, len) == 0) {
		free(old);
		close(dirfd);
		printf("unchanged %s/%s\n", dir, name);
		return 0;
	}
	free(old);

	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create %s/%s: %s\n", progname, dir, tmp, strerror(errno));
		close(dirfd);
		return -1;
	}
	e = write_all(fd, content, len);
	if (!e && fchmod(fd, mode) < 0)
		e = errno;
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && renameat(dirfd, tmp, dirfd, name) < 0)
		e = errno;
	if (e) {
		fprintf(stderr, "%s: cannot write %s/%s: %s\n", progname, dir, name, strerror(e));
		unlinkat(dirfd, tmp, 0);
		close(dirfd);
		return -1;
	}
	fsync(dirfd);
	close(dirfd);
	printf("installed %s/%s (mode %04o)\n", dir, name, (unsigned)mode);
	return 0;
}

/* The template with every "@HOOK_PATH@" and "@STAGE@" replaced. */
static char *fill_template(const char *tpl, size_t len, const char *hook_path, const char *stage,
			   size_t *out_len)
{
	static const char *const keys[] = { "@HOOK_PATH@", "@STAGE@" };
	const char *vals[] = { hook_path, stage };
	size_t cap = len + 1, n = 0;
	char *out;

	for (size_t i = 0; i < len; i++)
		cap += strlen(hook_path) + strlen(stage);
	out = malloc(cap);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t k;

		for (k = 0; k < 2; k++) {
			size_t kl = strlen(keys[k]);

			if (len - i >= kl && memcmp(tpl + i, keys[k], kl) == 0) {
				memcpy(out + n, vals[k], strlen(vals[k]));
				n += strlen(vals[k]);
				i += kl;
				break;
			}
		}
		if (k == 2)
			out[n++] = tpl[i++];
	}
	*out_len = n;
	return out;
}

/* An absolute path made of safe characters only (it goes into JSON). */
static bool path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) > 1024 || strstr(p, "/../") || strstr(p, "/./"))
		return false;
	for (const char *s = p; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+",
			    *s))
			return false;
	return true;
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	static const char *const stages[] = { "createRuntime", "poststart" };
	const char *host_root = "/", *bin_dir = "/usr/libexec/oci/hooks.d";
	const char *hooks_dir = "/usr/share/containers/oci/hooks.d", *source = "/";
	char path[4096], hook_path[2048], name[128];
	char *bin = NULL, *tpl = NULL;
	size_t bin_len, tpl_len;
	bool sleep_after = false;
	int status = 0, e;

	for (int i = 1; i < argc; i++) {
		const char **opt = NULL;

		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--sleep") == 0) {
			sleep_after = true;
			continue;
		} else if (strcmp(argv[i], "--host-root") == 0) {
			opt = &host_root;
		} else if (strcmp(argv[i], "--bin-dir") == 0) {
			opt = &bin_dir;
		} else if (strcmp(argv[i], "--hooks-dir") == 0) {
			opt = &hooks_dir;
		} else if (strcmp(argv[i], "--source") == 0) {
			opt = &source;
		}
		if (!opt || i + 1 >= argc || !path_ok(argv[i + 1])) {
			fprintf(stderr, "%s: bad argument \"%s\"%s\n", progname, argv[i],
				opt ? " (expects an absolute path of letters, digits and /._-+)" : "");
			usage(stderr);
			return 1;
		}
		*opt = argv[++i];
	}
	if (strcmp(host_root, "/") == 0)
		host_root = "";
	snprintf(hook_path, sizeof(hook_path), "%s/oci-numa-hook", bin_dir);

	snprintf(path, sizeof(path), "%s/oci-numa-hook", source);
	e = read_file(AT_FDCWD, path, &bin, &bin_len, NULL);
	if (e) {
		fprintf(stderr, "%s: cannot read %s: %s\n", progname, path, strerror(e));
		return 2;
	}
	snprintf(path, sizeof(path), "%s/oci-numa-hook.json.in", source);
	e = read_file(AT_FDCWD, path, &tpl, &tpl_len, NULL);
	if (e) {
		fprintf(stderr, "%s: cannot read %s: %s\n", progname, path, strerror(e));
		return 2;
	}

	/* The binary first: a hooks.d file never names a missing binary. */
	snprintf(path, sizeof(path), "%s%s", host_root, bin_dir);
	if (install_file(path, "oci-numa-hook", bin, bin_len, 0755) < 0)
		status = 2;
	snprintf(path, sizeof(path), "%s%s", host_root, hooks_dir);
	for (size_t i = 0; status == 0 && i < 2; i++) {
		size_t len;
		char *json = fill_template(tpl, tpl_len, hook_path, stages[i], &len);

		if (!json) {
			fprintf(stderr, "%s: out of memory\n", progname);
			status = 2;
			break;
		}
		snprintf(name, sizeof(name), "oci-numa-hook-%s.json", stages[i]);
		if (install_file(path, name, json, len, 0644) < 0)
			status = 2;
		free(json);
	}
	free(bin);
	free(tpl);
	fflush(stdout);
	if (status != 0 || !sleep_after)
		return status;

	/* PID 1 in a container ignores signals it has no handler for. */
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (;;)
		pause();
}
