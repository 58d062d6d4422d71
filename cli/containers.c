/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "cli/containers.h"

#define STATE_FILE_MAX (4 * 1024 * 1024)
#define STORAGE_FILE_MAX (64 * 1024 * 1024)
#define STORAGE_CONF_MAX (1024 * 1024)
/* Candidates named in an ambiguity error. */
#define CANDIDATES_SHOWN 8

/* Where runtimes keep a directory per container. A namespaced root holds a
 * directory per namespace (containerd: k8s.io, default, moby; Docker: moby),
 * each holding the containers. Podman and CRI-O run runc or crun with their
 * default roots. */
static const struct {
	const char *path;
	bool namespaced;
} default_roots[] = {
	{ "/run/runc", false },
	{ "/run/crun", false },
	{ "/run/containerd/runc", true },
	{ "/run/docker/runtime-runc", true },
};

static bool is_dir_entry(int dirfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_name[0] == '.')
		return false;
	if (de->d_type == DT_DIR)
		return true;
	if (de->d_type != DT_UNKNOWN)
		return false;
	return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int add(nh_containers_t *l, const char *root, const char *id, nh_error_t *err)
{
	nh_container_t *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "container list");
	l->v = v;
	memset(&v[l->n], 0, sizeof(v[l->n]));
	v[l->n].id = strdup(id);
	v[l->n].root = strdup(root);
	if (!v[l->n].id || !v[l->n].root) {
		free(v[l->n].id);
		free(v[l->n].root);
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "container list");
	}
	l->n++;
	return 0;
}

/* The directories of a root, or of each namespace of a namespaced root. */
static int scan(nh_containers_t *l, const char *root, bool namespaced, nh_error_t *err)
{
	DIR *dir = opendir(root);
	struct dirent *de;
	int r = 0;

	if (!dir)
		return 0;
	while (r == 0 && (de = readdir(dir))) {
		char sub[4096];

		if (!is_dir_entry(dirfd(dir), de))
			continue;
		if (!namespaced) {
			r = add(l, root, de->d_name, err);
			continue;
		}
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", root, de->d_name) < sizeof(sub))
			r = scan(l, sub, false, err);
	}
	closedir(dir);
	return r;
}

/* containers/storage's graphroot: the first storage.conf found (Podman's
 * order), else the default. */
static char *storage_graphroot(void)
{
	const char *files[] = { getenv("CONTAINERS_STORAGE_CONF"), "/etc/containers/storage.conf",
				"/usr/share/containers/storage.conf" };

	for (size_t i = 0; i < NH_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *text = NULL;
		size_t len;

		if (!files[i] || files[i][0] == '\0')
			continue;
		if (nh_read_file_at(AT_FDCWD, files[i], STORAGE_CONF_MAX, &text, &len) < 0)
			continue;
		return nh_storage_conf_graphroot(text, len);
	}
	return NULL;
}

static int name_one(const char *id, const char *name, void *data)
{
	nh_containers_t *l = data;

	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].name && strcmp(l->v[i].id, id) == 0)
			l->v[i].name = strdup(name);
	return 0;
}

/* Names from every storage driver's containers.json. A file that cannot be
 * read or parsed names nothing: names are a convenience, ids always work. */
static void add_names(nh_containers_t *l)
{
	_cleanup_free_ char *graphroot = storage_graphroot();
	char pattern[4200];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/*-containers/containers.json",
		 graphroot ? graphroot : "/var/lib/containers/storage");
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		_cleanup_free_ char *text = NULL;
		nh_error_t err = { 0 };
		size_t len;

		if (nh_read_file_at(AT_FDCWD, g.gl_pathv[i], STORAGE_FILE_MAX, &text, &len) == 0)
			(void)nh_storage_names_parse(text, len, g.gl_pathv[i], name_one, l, &err);
	}
	globfree(&g);
}

static int by_root_and_id(const void *a, const void *b)
{
	const nh_container_t *x = a, *y = b;
	int r = strcmp(x->root, y->root);

	return r ? r : strcmp(x->id, y->id);
}

int nh_containers_list(const char *root, nh_containers_t *l, nh_error_t *err)
{
	char searched[1024] = "";
	size_t o = 0;

	memset(l, 0, sizeof(*l));
	if (root) {
		if (scan(l, root, false, err) < 0)
			goto fail;
		snprintf(searched, sizeof(searched), "%s", root);
	} else {
		for (size_t i = 0; i < NH_ARRAY_SIZE(default_roots); i++) {
			if (scan(l, default_roots[i].path, default_roots[i].namespaced, err) < 0)
				goto fail;
			o += (size_t)snprintf(searched + o, sizeof(searched) - o, "%s%s%s",
					      i ? ", " : "", default_roots[i].path,
					      default_roots[i].namespaced ? "/*" : "");
		}
	}
	l->roots_searched = strdup(searched);
	if (!l->roots_searched) {
		nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "container list");
		goto fail;
	}
	/* Messages and rows in a stable order, whatever readdir's. */
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), by_root_and_id);
	add_names(l);
	return 0;
fail:
	nh_containers_free(l);
	return -1;
}

void nh_containers_free(nh_containers_t *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].root);
		free(l->v[i].name);
		free(l->v[i].bundle);
		nh_bundle_info_free(&l->v[i].info);
	}
	free(l->v);
	free(l->roots_searched);
	memset(l, 0, sizeof(*l));
}

/* The bundle's config.json, when there is one to read: a missing or broken
 * file leaves the Kubernetes names and the target unknown, nothing more. */
static void load_bundle(nh_container_t *c)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	nh_error_t err = { 0 };
	size_t len;

	if (!c->bundle)
		return;
	fd = open(c->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || nh_read_file_at(fd, "config.json", STATE_FILE_MAX, &text, &len) < 0)
		return;
	if (nh_bundle_info_parse(text, len, "config.json", &c->info, &err) < 0)
		nh_bundle_info_free(&c->info);
}

int nh_container_load(nh_container_t *c, nh_error_t *err)
{
	static const char *const files[] = { "state.json", "status" };
	_cleanup_close_ int rootfd = -1, dirfd = -1;

	if (c->loaded)
		return 0;
	rootfd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot open \"%s\"",
			       nh_quote_whole(c->root, 0));
	dirfd = openat(rootfd, c->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot open \"%s/%s\"",
			       nh_quote_whole(c->root, 0), nh_quote_whole(c->id, 1));
	for (size_t i = 0; i < NH_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *text = NULL;
		char name[8400];
		size_t len;
		int r = nh_read_file_at(dirfd, files[i], STATE_FILE_MAX, &text, &len);

		if (r == -ENOENT)
			continue;
		snprintf(name, sizeof(name), "\"%s/%s/%s\"", nh_quote_whole(c->root, 0),
			 nh_quote_whole(c->id, 1), files[i]);
		if (r < 0)
			return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read %s", name);
		if (nh_runtime_state_read(text, len, name, &c->pid, &c->bundle, err) < 0)
			return -1;
		load_bundle(c);
		c->loaded = true;
		return 0;
	}
	return nh_fail(err, NH_EXIT_SYSTEM, 0, "\"%s/%s\" has no state.json or status file",
		       nh_quote_whole(c->root, 0), nh_quote_whole(c->id, 1));
}

const char *nh_container_label(const nh_container_t *c, char *buf, size_t size)
{
	const nh_bundle_info_t *i = &c->info;

	if (i->pod_name)
		snprintf(buf, size, "%s/%s%s%s", i->pod_namespace ? i->pod_namespace : "",
			 i->pod_name, i->container_name ? "/" : "",
			 i->container_name ? i->container_name : "");
	else if (c->name)
		snprintf(buf, size, "%s", c->name);
	else
		return NULL;
	return buf;
}

/* "ID (ROOT), ..." of the matches, at most CANDIDATES_SHOWN of them. */
static const char *candidates(nh_container_t *const *m, size_t n, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < CANDIDATES_SHOWN && o < size; i++) {
		char label[512];
		const char *known = nh_container_label(m[i], label, sizeof(label));

		o += (size_t)snprintf(buf + o, size - o, "%s%s (%s%s%s)", i ? ", " : "",
				      nh_quote_whole(m[i]->id, 0), known ? nh_quote(known, strlen(known), 3) : "",
				      known ? " in " : "", nh_quote_whole(m[i]->root, 2));
	}
	if (n > CANDIDATES_SHOWN && o < size)
		snprintf(buf + o, size - o, " and %zu more", n - CANDIDATES_SHOWN);
	return buf;
}

enum match_kind { MATCH_ID, MATCH_NAME, MATCH_PREFIX };

static bool matches(const nh_container_t *c, const char *ref, enum match_kind kind)
{
	switch (kind) {
	case MATCH_ID:
		return strcmp(c->id, ref) == 0;
	case MATCH_NAME:
		return c->name && strcmp(c->name, ref) == 0;
	case MATCH_PREFIX:
		return strncmp(c->id, ref, strlen(ref)) == 0;
	}
	return false;
}

int nh_containers_find(nh_containers_t *l, const char *ref, nh_container_t **out,
		       nh_error_t *err)
{
	static const char *const kinds[] = { "id", "name", "id prefix" };
	_cleanup_free_ nh_container_t **m = NULL;
	char list[2048];

	if (ref[0] == '\0' || strchr(ref, '/'))
		return nh_fail(err, NH_EXIT_INVALID, 0, "\"%s\" is not a container id or name",
			       nh_quote(ref, strlen(ref), 0));
	m = calloc(l->n ? l->n : 1, sizeof(*m));
	if (!m)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "container list");
	for (enum match_kind k = MATCH_ID; k <= MATCH_PREFIX; k++) {
		size_t n = 0;

		for (size_t i = 0; i < l->n; i++)
			if (matches(&l->v[i], ref, k))
				m[n++] = &l->v[i];
		if (n == 0)
			continue;
		if (n > 1)
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "container %s \"%s\" matches %zu containers: %s; %s", kinds[k],
				       nh_quote(ref, strlen(ref), 0), n,
				       candidates(m, n, list, sizeof(list)),
				       k == MATCH_PREFIX ? "give more of the id" :
							   "give --root to choose a runtime");
		if (nh_container_load(m[0], err) < 0)
			return -1;
		*out = m[0];
		return 0;
	}
	return nh_fail(err, NH_EXIT_INVALID, 0,
		       "no container with id or name \"%s\" in %s (use --root, --pod, --pid or "
		       "--cgroup)",
		       nh_quote(ref, strlen(ref), 0), l->roots_searched);
}

static bool same(const char *a, const char *b, size_t blen)
{
	return a && strlen(a) == blen && memcmp(a, b, blen) == 0;
}

/* The process of a state file still exists: a stopped container keeps its
 * state directory until it is deleted. */
static bool running(const nh_container_t *c)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", (int)c->pid);
	return c->pid > 0 && access(path, F_OK) == 0;
}

int nh_containers_find_pod(nh_containers_t *l, const char *pod, const char *container,
			   nh_container_t **out, nh_error_t *err)
{
	const char *slash = strchr(pod, '/');
	_cleanup_free_ nh_container_t **m = NULL, **all = NULL;
	size_t n = 0, n_all = 0, ns_len;
	char list[2048];

	if (!slash || slash == pod || slash[1] == '\0' || strchr(slash + 1, '/'))
		return nh_fail(err, NH_EXIT_INVALID, 0, "--pod expects NAMESPACE/NAME, got \"%s\"",
			       nh_quote(pod, strlen(pod), 0));
	ns_len = (size_t)(slash - pod);
	m = calloc(l->n ? l->n : 1, sizeof(*m));
	all = calloc(l->n ? l->n : 1, sizeof(*all));
	if (!m || !all)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "container list");
	for (size_t i = 0; i < l->n; i++) {
		nh_container_t *c = &l->v[i];
		nh_error_t ignored = { 0 };

		/* A container whose state cannot be read is not one to act on. */
		if (nh_container_load(c, &ignored) < 0 || c->info.sandbox || !running(c) ||
		    !same(c->info.pod_namespace, pod, ns_len) ||
		    !c->info.pod_name || strcmp(c->info.pod_name, slash + 1) != 0)
			continue;
		all[n_all++] = c;
		if (!container ||
		    (c->info.container_name && strcmp(c->info.container_name, container) == 0))
			m[n++] = c;
	}
	if (n == 1) {
		*out = m[0];
		return 0;
	}
	if (n > 1)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "pod \"%s\" has %zu running containers%s%s%s: %s; choose one with "
			       "--container NAME%s",
			       nh_quote(pod, strlen(pod), 0), n, container ? " named \"" : "",
			       container ? nh_quote(container, strlen(container), 1) : "",
			       container ? "\"" : "", candidates(m, n, list, sizeof(list)),
			       container ? " or by id" : "");
	if (n_all > 0)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "pod \"%s\" has no running container named \"%s\"; its containers: %s",
			       nh_quote(pod, strlen(pod), 0),
			       nh_quote(container, strlen(container), 1),
			       candidates(all, n_all, list, sizeof(list)));
	return nh_fail(err, NH_EXIT_INVALID, 0,
		       "no running container of pod \"%s\" in %s (pods are found by the "
		       "Kubernetes annotations of containerd's and CRI-O's config.json)",
		       nh_quote(pod, strlen(pod), 0), l->roots_searched);
}
