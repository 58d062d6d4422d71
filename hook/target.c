/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>

#include "common/util.h"
#include "hook/target.h"
#include "oci/runtime_files.h"

#define STATE_FILE_MAX (4 * 1024 * 1024)

struct match {
	const char *root;
	char *id;
	unsigned count;
};

static void scan_root(const char *root, const char *prefix, struct match *m)
{
	DIR *dir = opendir(root);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		/* An exact id wins over ids it is a prefix of. */
		if (m->count > 0 && m->id && strcmp(m->id, prefix) == 0)
			continue;
		if (strcmp(de->d_name, prefix) == 0)
			m->count = 0;
		m->count++;
		if (m->count == 1) {
			free(m->id);
			m->id = strdup(de->d_name);
			m->root = root;
		}
	}
	closedir(dir);
}

static int read_pid(const char *root, const char *id, pid_t *pid, nh_error_t *err)
{
	static const char *const files[] = { "state.json", "status" };
	_cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int dirfd = -1;

	if (rootfd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot open %s", root);
	dirfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot open %s/%s", root, id);
	for (size_t i = 0; i < NH_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *text = NULL;
		char name[4096];
		size_t len;
		int r = nh_read_file_at(dirfd, files[i], STATE_FILE_MAX, &text, &len);

		if (r == -ENOENT)
			continue;
		snprintf(name, sizeof(name), "%s/%s/%s", root, id, files[i]);
		if (r < 0)
			return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read %s", name);
		return nh_runtime_state_pid(text, len, name, pid, err);
	}
	return nh_fail(err, NH_EXIT_SYSTEM, 0, "%s/%s has no state.json or status file", root, id);
}

int nh_target_find(const char *root, const char *prefix, char **id, pid_t *pid, nh_error_t *err)
{
	static const char *const roots[] = NH_RUNTIME_ROOTS;
	struct match m = { 0 };
	int r;

	if (prefix[0] == '\0' || strchr(prefix, '/'))
		return nh_fail(err, NH_EXIT_INVALID, 0, "\"%s\" is not a container id",
			       nh_quote(prefix, strlen(prefix), 0));
	if (root) {
		scan_root(root, prefix, &m);
	} else {
		for (size_t i = 0; i < NH_ARRAY_SIZE(roots); i++) {
			struct match here = { 0 };

			scan_root(roots[i], prefix, &here);
			if (here.count == 0)
				continue;
			if (m.count > 0 && !(here.id && strcmp(here.id, prefix) == 0)) {
				m.count += here.count;
				free(here.id);
				continue;
			}
			free(m.id);
			m = here;
		}
	}
	if (m.count == 0) {
		free(m.id);
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "no container with id \"%s\" in %s (use --root, --pid or --cgroup)",
			       nh_quote(prefix, strlen(prefix), 0),
			       root ? root : "/run/runc or /run/crun");
	}
	if (m.count > 1) {
		free(m.id);
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "container id prefix \"%s\" matches %u containers; give more of the id",
			       nh_quote(prefix, strlen(prefix), 0), m.count);
	}
	r = read_pid(m.root, m.id, pid, err);
	if (r < 0) {
		free(m.id);
		return -1;
	}
	*id = m.id;
	return 0;
}
