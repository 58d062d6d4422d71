/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cgroup/proc_cgroup.h"
#include "common/util.h"

static bool list_has(const char *list, size_t len, const char *word)
{
	size_t wlen = strlen(word);
	const char *end = list + len;

	while (list < end) {
		const char *comma = memchr(list, ',', (size_t)(end - list));
		size_t n = comma ? (size_t)(comma - list) : (size_t)(end - list);

		if (n == wlen && memcmp(list, word, n) == 0)
			return true;
		list += n + 1;
	}
	return false;
}

bool nh_cgroup_path_is_clean(const char *p, size_t len)
{
	if (len == 0 || p[0] != '/' || memchr(p, '\0', len))
		return false;
	if (len == 1)
		return true;
	for (size_t i = 1; i <= len; i++) {
		size_t start = i;

		while (i < len && p[i] != '/')
			i++;
		if (i == start || (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return false;
	}
	return true;
}

static int set_path(char **slot, const char *p, size_t len, nh_error_t *err)
{
	if (*slot)
		return nh_fail(err, NH_EXIT_SYSTEM, 0, "/proc/<pid>/cgroup: hierarchy listed twice");
	if (!nh_cgroup_path_is_clean(p, len))
		return nh_fail(err, NH_EXIT_SYSTEM, 0, "/proc/<pid>/cgroup: unexpected path \"%s\"",
			       nh_quote(p, len, 0));
	*slot = strndup(p, len);
	if (!*slot)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "/proc/<pid>/cgroup");
	return 0;
}

int nh_proc_cgroup_parse(const char *text, size_t len, nh_proc_cgroup_t *out, nh_error_t *err)
{
	const char *end = text + len;

	memset(out, 0, sizeof(*out));
	for (const char *line = text; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *c1, *c2;

		if (!eol)
			eol = end;
		if (eol == line) { /* blank line */
			line = eol + 1;
			continue;
		}
		c1 = memchr(line, ':', (size_t)(eol - line));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		if (!c2) {
			nh_proc_cgroup_free(out);
			return nh_fail(err, NH_EXIT_SYSTEM, 0, "/proc/<pid>/cgroup: malformed line \"%s\"",
				       nh_quote(line, (size_t)(eol - line), 0));
		}
		if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
			if (set_path(&out->unified, c2 + 1, (size_t)(eol - c2 - 1), err) < 0)
				goto fail;
		} else if (list_has(c1 + 1, (size_t)(c2 - c1 - 1), "cpuset")) {
			if (set_path(&out->cpuset_v1, c2 + 1, (size_t)(eol - c2 - 1), err) < 0)
				goto fail;
		}
		line = eol + 1;
	}
	if (!out->unified && !out->cpuset_v1)
		return nh_fail(err, NH_EXIT_SYSTEM, 0,
			       "/proc/<pid>/cgroup: neither a cpuset nor a cgroup v2 line");
	return 0;
fail:
	nh_proc_cgroup_free(out);
	return -1;
}

void nh_proc_cgroup_free(nh_proc_cgroup_t *pc)
{
	free(pc->cpuset_v1);
	free(pc->unified);
	memset(pc, 0, sizeof(*pc));
}

const char *nh_proc_cgroup_cpuset_path(const nh_proc_cgroup_t *pc, bool *v1)
{
	*v1 = pc->cpuset_v1 != NULL;
	return pc->cpuset_v1 ? pc->cpuset_v1 : pc->unified;
}

bool nh_cgroup_path_within(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
