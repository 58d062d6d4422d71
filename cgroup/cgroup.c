/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "cgroup/cgroup.h"
#include "cgroup/proc_cgroup.h"
#include "cgroup/systemd.h"
#include "common/util.h"

#define PROC_CGROUP_MAX (64 * 1024)
#define VALUE_MAX 8192
/* Descendant cgroups deeper than this are not walked. */
#define TREE_DEPTH_MAX 32

static int libcgroup_ready;

static int init_libcgroup(nh_error_t *err)
{
	int r;

	if (libcgroup_ready)
		return 0;
	r = cgroup_init();
	if (r != 0)
		return nh_fail(err, NH_EXIT_SYSTEM, 0, "libcgroup cannot initialise: %s (error %d)",
			       cgroup_strerror(r), r);
	libcgroup_ready = 1;
	return 0;
}

static bool is_cgroup2(const char *mount)
{
	struct statfs sfs;

	return statfs(mount, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* The cgroup2 mount from mountinfo, for hosts where libcgroup does not list
 * it (no cpuset controller enabled on v2). */
static char *find_cgroup2_mount(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		char mnt[4096], fstype[64];
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(dash, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2") != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && !strchr(mnt, '\\'))
			return strdup(mnt);
	}
	return NULL;
}

static int find_mount(bool v1, char **mount, nh_error_t *err)
{
	char *m = NULL;
	int r = cgroup_get_subsys_mount_point("cpuset", &m);

	if (r == 0 && m && is_cgroup2(m) == !v1) {
		*mount = m;
		return 0;
	}
	free(m);
	if (!v1 && (*mount = find_cgroup2_mount()))
		return 0;
	return nh_fail(err, NH_EXIT_SYSTEM, 0, "no mounted %s hierarchy found",
		       v1 ? "cgroup v1 cpuset" : "cgroup v2");
}

/* Open mount + path one component at a time, never following a symlink. */
static int open_beneath(const char *mount, const char *path, nh_error_t *err)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int fd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;

	if (!copy)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "open cgroup");
	if (fd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot open %s", mount);
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0)
			return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot open cgroup %s%s", mount,
				       path);
		close(fd);
		fd = next;
	}
	return NH_STEAL_FD(fd);
}

static int finish_open(nh_cgroup_t *cg, nh_error_t *err)
{
	cg->dirfd = open_beneath(cg->mount, cg->path, err);
	if (cg->dirfd < 0)
		return -1;
	cg->has_cpuset = faccessat(cg->dirfd, "cpuset.mems", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	return 0;
}

static int read_proc_cgroup(int proc_dirfd, nh_proc_cgroup_t *pc, nh_error_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = nh_read_file_at(proc_dirfd, "cgroup", PROC_CGROUP_MAX, &text, &len);

	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read /proc/<pid>/cgroup");
	return nh_proc_cgroup_parse(text, len, pc, err);
}

/* The caller's own cgroup in the hierarchy that v1 names (cached: a
 * process does not change cgroups while it walks others'). NULL when it
 * cannot be read. */
static const char *own_cgroup(bool v1)
{
	static char *path[2];
	static bool read_once[2];
	nh_proc_cgroup_t self = { 0 };
	nh_error_t err = { 0 };
	_cleanup_close_ int self_fd = -1;
	const char *p;
	bool self_v1;

	if (read_once[v1])
		return path[v1];
	read_once[v1] = true;
	self_fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (self_fd >= 0 && read_proc_cgroup(self_fd, &self, &err) == 0) {
		p = nh_proc_cgroup_cpuset_path(&self, &self_v1);
		if (self_v1 == v1)
			path[v1] = strdup(p);
	}
	nh_proc_cgroup_free(&self);
	return path[v1];
}

int nh_cgroup_of_process(int proc_dirfd, pid_t pid, bool any, nh_cgroup_t *cg, nh_error_t *err)
{
	nh_proc_cgroup_t pc = { 0 };
	const char *path, *own;
	bool v1;
	int r = -1;

	memset(cg, 0, sizeof(*cg));
	cg->dirfd = -1;
	if (read_proc_cgroup(proc_dirfd, &pc, err) < 0)
		return nh_prefix(err, "process %d", (int)pid);
	path = nh_proc_cgroup_cpuset_path(&pc, &v1);
	if (strcmp(path, "/") == 0) {
		cg->shared = true;
		if (!any) {
			nh_fail(err, NH_EXIT_INVALID, 0,
				"process %d is in the root cgroup, not in a container cgroup", (int)pid);
			goto out;
		}
	}
	own = own_cgroup(v1);
	if (own && strcmp(own, path) == 0) {
		cg->shared = true;
		if (!any) {
			nh_fail(err, NH_EXIT_INVALID, 0,
				"process %d is in the hook's own cgroup %s, not in a container cgroup",
				(int)pid, path);
			goto out;
		}
	}
	if (init_libcgroup(err) < 0 || find_mount(v1, &cg->mount, err) < 0)
		goto out;
	cg->v1 = v1;
	cg->path = strdup(path);
	if (!cg->path) {
		nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "cgroup path");
		goto out;
	}
	r = finish_open(cg, err);
out:
	nh_proc_cgroup_free(&pc);
	if (r < 0)
		nh_cgroup_close(cg);
	return r;
}

int nh_cgroup_open_path(const char *path, nh_cgroup_t *cg, nh_error_t *err)
{
	memset(cg, 0, sizeof(*cg));
	cg->dirfd = -1;
	if (!nh_cgroup_path_is_clean(path, strlen(path)))
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "cgroup path \"%s\" must be absolute, without \".\", \"..\" or empty "
			       "components",
			       nh_quote_whole(path, 0));
	if (init_libcgroup(err) < 0)
		return -1;
	/* The cpuset hierarchy on v1 and hybrid hosts, else the unified one. */
	cg->v1 = true;
	if (find_mount(true, &cg->mount, err) < 0) {
		nh_error_clear(err);
		cg->v1 = false;
		if (find_mount(false, &cg->mount, err) < 0)
			return -1;
	}
	cg->path = strdup(path);
	if (!cg->path)
		nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "cgroup path");
	if (!cg->path || finish_open(cg, err) < 0) {
		nh_cgroup_close(cg);
		return -1;
	}
	return 0;
}

void nh_cgroup_close(nh_cgroup_t *cg)
{
	free(cg->mount);
	free(cg->path);
	free(cg->top);
	if (cg->dirfd >= 0)
		close(cg->dirfd);
	memset(cg, 0, sizeof(*cg));
	cg->dirfd = -1;
}

/* Every value is read and written through the directory fd resolved at the
 * start, never by path: if the container's cgroup is removed meanwhile, a
 * cgroup created again at the same path is not touched. (libcgroup's value
 * functions work by path, so they only find the mounts here.) */
static int cgroup_gone(const nh_cgroup_t *cg, int e, nh_error_t *err)
{
	return nh_fail(err, NH_EXIT_SYSTEM, 0,
		       "cgroup %s was removed while the hook ran (%s); nothing more is done", cg->path,
		       strerror(e));
}

static int read_value_at(const nh_cgroup_t *cg, int dirfd, const char *name, char **out,
			 nh_error_t *err)
{
	int r = nh_read_file_at(dirfd, name, VALUE_MAX, out, NULL);

	/* The files were there when the cgroup was opened. */
	if (r == -ENOENT || r == -ENODEV)
		return cgroup_gone(cg, -r, err);
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read %s of cgroup %s", name, cg->path);
	return 0;
}

static int read_mems_fd(const nh_cgroup_t *cg, int dirfd, const char *name, nh_nodeset_t *out,
			nh_error_t *err)
{
	_cleanup_free_ char *buf = NULL;

	if (read_value_at(cg, dirfd, name, &buf, err) < 0)
		return -1;
	return nh_nodeset_parse_kernel(buf, strlen(buf), out, name, err);
}

/* v1 and v2 name the effective sets differently. */
static const char *effective_mems_name(const nh_cgroup_t *cg)
{
	return cg->v1 ? "cpuset.effective_mems" : "cpuset.mems.effective";
}

int nh_cgroup_read_mems(const nh_cgroup_t *cg, bool effective, nh_nodeset_t *out, nh_error_t *err)
{
	return read_mems_fd(cg, cg->dirfd, effective ? effective_mems_name(cg) : "cpuset.mems", out,
			    err);
}

int nh_cgroup_read_cpus(const nh_cgroup_t *cg, nh_cpuset_t *out, nh_error_t *err)
{
	const char *name = cg->v1 ? "cpuset.effective_cpus" : "cpuset.cpus.effective";
	_cleanup_free_ char *buf = NULL;

	if (read_value_at(cg, cg->dirfd, name, &buf, err) < 0)
		return -1;
	return nh_cpuset_parse_kernel(buf, strlen(buf), out, name, err);
}

/* path without its last up components ("/" when none is left); NULL when
 * out of memory. */
static char *ancestor_path(const char *path, unsigned up)
{
	char *a = strdup(path);

	for (unsigned i = 0; a && i < up; i++) {
		char *slash = strrchr(a, '/');

		if (!slash || slash == a) {
			a[0] = '/';
			a[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	return a;
}

/* Whether name holds word with no letter or digit either side. */
static bool holds_word(const char *name, const char *word)
{
	size_t n = strlen(word);

	if (n == 0)
		return false;
	for (const char *p = strstr(name, word); p; p = strstr(p + 1, word)) {
		bool before = p == name || !isalnum((unsigned char)p[-1]);
		bool after = !isalnum((unsigned char)p[n]);

		if (before && after)
			return true;
	}
	return false;
}

void nh_cgroup_claim_ancestors(nh_cgroup_t *cg, const char *id)
{
	const char *own = own_cgroup(cg->v1);
	unsigned up = 0;

	cg->own_above = 0;
	for (unsigned i = 1; id && id[0] && i < TREE_DEPTH_MAX; i++) {
		_cleanup_free_ char *a = ancestor_path(cg->path, i);
		const char *base;
		size_t len;

		if (!a || strcmp(a, "/") == 0)
			break;
		len = strlen(a);
		/* The caller's own cgroup and its ancestors are never the container's. */
		if (own && strncmp(own, a, len) == 0 && (own[len] == '/' || own[len] == '\0'))
			break;
		base = strrchr(a, '/') + 1;
		if (holds_word(base, id))
			up = i;
	}
	free(cg->top);
	cg->top = NULL;
	cg->own_above = up;
	if (up)
		cg->top = ancestor_path(cg->path, up);
	if (!cg->top)
		cg->own_above = 0;
}

const char *nh_cgroup_top(const nh_cgroup_t *cg)
{
	return cg->top ? cg->top : cg->path;
}

/* Level up of the container (0: its cgroup; up to own_above), opened:
 * lvl is a copy of cg with the level's path and directory. */
static int open_level(const nh_cgroup_t *cg, unsigned up, nh_cgroup_t *lvl, nh_error_t *err)
{
	*lvl = *cg;
	lvl->top = NULL;
	lvl->mount = NULL;
	lvl->path = ancestor_path(cg->path, up);
	if (!lvl->path)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "cgroup path");
	lvl->dirfd = up ? open_beneath(cg->mount, lvl->path, err) :
			  fcntl(cg->dirfd, F_DUPFD_CLOEXEC, 3);
	if (lvl->dirfd < 0) {
		if (!up)
			nh_fail(err, NH_EXIT_SYSTEM, errno, "cgroup %s", cg->path);
		free(lvl->path);
		lvl->path = NULL;
		return -1;
	}
	return 0;
}

static void close_level(nh_cgroup_t *lvl)
{
	free(lvl->path);
	if (lvl->dirfd >= 0)
		close(lvl->dirfd);
	lvl->path = NULL;
	lvl->dirfd = -1;
}

int nh_cgroup_read_parent_mems(const nh_cgroup_t *cg, nh_nodeset_t *out, nh_error_t *err)
{
	_cleanup_free_ char *path = ancestor_path(cg->path, cg->own_above + 1);
	_cleanup_close_ int parent = -1;

	if (!path)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "cgroup path");
	parent = open_beneath(cg->mount, path, err);
	if (parent < 0)
		return nh_prefix(err, "the parent of cgroup %s", nh_cgroup_top(cg));
	return read_mems_fd(cg, parent, effective_mems_name(cg), out, err);
}

static int write_value(const nh_cgroup_t *cg, const char *name, const char *value, nh_error_t *err)
{
	int r = nh_write_file_at(cg->dirfd, name, value);

	if (r == -ENOENT || r == -ENODEV)
		return cgroup_gone(cg, -r, err);
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot write %s=%s in cgroup %s", name, value,
			       cg->path);
	return 0;
}

static int write_mems_at(const nh_cgroup_t *cg, const nh_nodeset_t *mems, nh_error_t *err);

/* Pre-order walk of the descendants of dirfd; rel is their path below the
 * container cgroup. */
static int write_descendants(const nh_cgroup_t *cg, int dirfd, const char *rel, unsigned depth,
			     const nh_nodeset_t *mems, nh_error_t *err)
{
	int dupfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = dupfd >= 0 ? fdopendir(dupfd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!dir) {
		if (dupfd >= 0)
			close(dupfd);
		return 0; /* removed meanwhile */
	}
	while (r == 0 && depth < TREE_DEPTH_MAX && (de = readdir(dir))) {
		char child_rel[4096];
		nh_cgroup_t child = *cg;
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		snprintf(child_rel, sizeof(child_rel), "%s/%s", rel, de->d_name);
		child.path = malloc(strlen(cg->path) + strlen(child_rel) + 1);
		if (!child.path) {
			close(fd);
			r = nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "cgroup path");
			break;
		}
		sprintf(child.path, "%s%s", strcmp(cg->path, "/") ? cg->path : "", child_rel);
		child.dirfd = fd;
		/* Parents first: a v1 child's mems must stay inside its parent's. */
		r = write_mems_at(&child, mems, err);
		if (r == 0)
			r = write_descendants(cg, fd, child_rel, depth + 1, mems, err);
		free(child.path);
		close(fd);
	}
	closedir(dir);
	return r;
}

/* How long systemd may take to write a level after set-property returned:
 * it applies cgroup properties from its event loop, not within the call. */
#define SYSTEMD_APPLY_MS 5000

/* cpuset.mems of one level: through systemd where it owns the level. */
static int set_level_mems(const nh_cgroup_t *lvl, const nh_nodeset_t *mems, nh_error_t *err)
{
	char unit[256], want[NH_NODESET_STR_MAX], got[NH_NODESET_STR_MAX];
	nh_nodeset_t now;
	uint64_t deadline;
	int owned = lvl->v1 ? 0 : nh_systemd_unit_of(lvl->path, unit, sizeof(unit), err);

	if (owned < 0)
		return nh_prefix(err, "cgroup %s", lvl->path);
	if (!owned)
		return write_mems_at(lvl, mems, err);
	nh_nodeset_format(mems, want, sizeof(want));
	if (nh_systemd_set_mems(unit, want, err) < 0)
		return -1;
	deadline = nh_now_ms() + SYSTEMD_APPLY_MS;
	for (;;) {
		if (nh_cgroup_read_mems(lvl, false, &now, err) < 0)
			return -1;
		if (nh_nodeset_equal(&now, mems))
			return 0;
		if (nh_now_ms() >= deadline)
			return nh_fail(err, NH_EXIT_SYSTEM, 0,
				       "systemd took AllowedMemoryNodes=%s for unit %s, but cpuset.mems "
				       "of cgroup %s still reads \"%s\" after %d ms",
				       want, unit, lvl->path, nh_nodeset_format(&now, got, sizeof(got)),
				       SYSTEMD_APPLY_MS);
		usleep(10000);
	}
}

/* One level widened by add; nothing written when add is in it already. */
static int widen_level(const nh_cgroup_t *lvl, const nh_nodeset_t *add, nh_error_t *err)
{
	nh_nodeset_t now, wide;

	/* v2: an empty cpuset.mems means the parent's; the effective value is
	 * what the kernel migrates from. */
	if (nh_cgroup_read_mems(lvl, !lvl->v1, &now, err) < 0)
		return -1;
	nh_nodeset_or(&wide, &now, add);
	if (nh_nodeset_equal(&wide, &now))
		return 0;
	return set_level_mems(lvl, &wide, err);
}

int nh_cgroup_widen_mems(const nh_cgroup_t *cg, const nh_nodeset_t *add, nh_error_t *err)
{
	/* From the top down: a level's effective mems are its parent's at most. */
	for (unsigned up = cg->own_above + 1; up-- > 0;) {
		nh_cgroup_t lvl;
		int r;

		if (open_level(cg, up, &lvl, err) < 0)
			return -1;
		r = widen_level(&lvl, add, err);
		close_level(&lvl);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* An own ancestor follows the container's new mems where it restricts them
 * (v1: always; v2: a non-empty cpuset.mems). */
static int narrow_ancestor(const nh_cgroup_t *cg, unsigned up, const nh_nodeset_t *mems,
			   nh_error_t *err)
{
	_cleanup_free_ char *raw = NULL;
	nh_cgroup_t lvl;
	nh_nodeset_t now;
	int r = 0;

	if (open_level(cg, up, &lvl, err) < 0)
		return -1;
	if (read_value_at(&lvl, lvl.dirfd, "cpuset.mems", &raw, err) < 0)
		r = -1;
	else if (!lvl.v1 && nh_strip(raw)[0] == '\0')
		r = 0;
	else if (nh_nodeset_parse_kernel(raw, strlen(raw), &now, "cpuset.mems", err) < 0)
		r = -1;
	else if (!nh_nodeset_equal(&now, mems))
		r = set_level_mems(&lvl, mems, err);
	close_level(&lvl);
	return r;
}

int nh_cgroup_write_mems(const nh_cgroup_t *cg, const nh_nodeset_t *mems, nh_error_t *err)
{
	nh_nodeset_t now;

	/* Widen to old and new, then narrow. The kernel migrates on a mems
	 * change (v2 always, v1 with memory_migrate) with do_migrate_pages()
	 * from the old to the new set, and between sets of equal size it maps
	 * node to node by position: 0-1 -> 1-2 would move the pages on node 1
	 * to node 2 although node 1 stays allowed. A narrowing write from old
	 * and new leaves the nodes it keeps alone. Widening also keeps a v1
	 * parent's mems a superset of its children's: every descendant gets
	 * the new set from the top down before the container is narrowed (on
	 * v2 a child's effective mems follow its parent's). Narrowing goes
	 * from the bottom up: a level never finds its children outside it. */
	if (nh_cgroup_widen_mems(cg, mems, err) < 0)
		return -1;
	if (cg->v1 && write_descendants(cg, cg->dirfd, "", 0, mems, err) < 0)
		return -1;
	if (nh_cgroup_read_mems(cg, false, &now, err) < 0)
		return -1;
	if (!nh_nodeset_equal(&now, mems) && set_level_mems(cg, mems, err) < 0)
		return -1;
	for (unsigned up = 1; up <= cg->own_above; up++)
		if (narrow_ancestor(cg, up, mems, err) < 0)
			return -1;
	return 0;
}

static int write_mems_at(const nh_cgroup_t *cg, const nh_nodeset_t *mems, nh_error_t *err)
{
	char want[NH_NODESET_STR_MAX], got[NH_NODESET_STR_MAX];
	nh_nodeset_t now;

	nh_nodeset_format(mems, want, sizeof(want));
	if (write_value(cg, "cpuset.mems", want, err) < 0)
		return -1;
	if (nh_cgroup_read_mems(cg, false, &now, err) < 0)
		return -1;
	if (!nh_nodeset_equal(&now, mems))
		return nh_fail(err, NH_EXIT_SYSTEM, 0,
			       "cpuset.mems of cgroup %s reads \"%s\" after writing \"%s\"", cg->path,
			       nh_nodeset_format(&now, got, sizeof(got)), want);
	return 0;
}

int nh_cgroup_read_numa_stat(const nh_cgroup_t *cg, nh_numa_stat_t *st, nh_error_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (cg->v1)
		return 1;
	r = nh_read_file_at(cg->dirfd, "memory.numa_stat", 1024 * 1024, &text, &len);
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read memory.numa_stat of cgroup %s",
			       cg->path);
	if (nh_numa_stat_parse(text, len, st, err) < 0)
		return nh_prefix(err, "cgroup %s", cg->path);
	return 0;
}

int nh_cgroup_enable_memory_migrate(const nh_cgroup_t *cg, nh_error_t *err)
{
	if (!cg->v1)
		return 0;
	return write_value(cg, "cpuset.memory_migrate", "1", err);
}

static int read_procs(int dirfd, nh_pid_fn fn, void *data, nh_error_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = nh_read_file_at(dirfd, "cgroup.procs", 64u * 1024 * 1024, &text, &len);

	if (r == -ENOENT || r == -ENODEV)
		return 0; /* the cgroup went away */
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read cgroup.procs");
	for (char *line = text, *eol; *line; line = eol + 1) {
		uint64_t pid;

		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		if (nh_parse_u64(line, (size_t)(eol - line), INT32_MAX, &pid) && pid > 0 &&
		    fn((pid_t)pid, data) < 0)
			return -1;
		if (!*eol)
			break;
	}
	return 0;
}

static int walk(int dirfd, unsigned depth, nh_pid_fn fn, void *data, nh_error_t *err)
{
	int dupfd;
	DIR *dir;
	struct dirent *de;
	int r = 0;

	if (read_procs(dirfd, fn, data, err) < 0)
		return -1;
	if (depth >= TREE_DEPTH_MAX)
		return 0;
	dupfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dupfd < 0 || !(dir = fdopendir(dupfd))) {
		if (dupfd >= 0)
			close(dupfd);
		return 0; /* removed meanwhile */
	}
	while ((de = readdir(dir))) {
		int child;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		child = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0)
			continue; /* removed meanwhile */
		r = walk(child, depth + 1, fn, data, err);
		close(child);
		if (r < 0)
			break;
	}
	closedir(dir);
	return r;
}

int nh_cgroup_for_each_process(const nh_cgroup_t *cg, nh_pid_fn fn, void *data, nh_error_t *err)
{
	if (walk(cg->dirfd, 0, fn, data, err) < 0)
		return nh_prefix(err, "cgroup %s", cg->path);
	return 0;
}

bool nh_cgroup_holds_process(const nh_cgroup_t *cg, int proc_dirfd)
{
	nh_proc_cgroup_t pc = { 0 };
	nh_error_t err = { 0 };
	const char *path;
	bool v1, in;

	if (read_proc_cgroup(proc_dirfd, &pc, &err) < 0)
		return false;
	path = nh_proc_cgroup_cpuset_path(&pc, &v1);
	in = v1 == cg->v1 && nh_cgroup_path_within(path, cg->path);
	nh_proc_cgroup_free(&pc);
	return in;
}
