/* SPDX-License-Identifier: Apache-2.0 */
/* The container's cgroup: found from /proc/<pid>/cgroup, mapped to the
 * mounted hierarchy with libcgroup, its cpuset values read and written with
 * libcgroup, its processes (and those of every descendant cgroup) listed
 * through a directory fd opened without following symlinks. The only code
 * that includes libcgroup. */
#ifndef NH_CGROUP_H
#define NH_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/nodeset.h"
#include "numa/placement.h"

typedef struct nh_cgroup {
	bool v1;     /* the cpuset v1 hierarchy (else cgroup v2) */
	char *mount; /* mount point of that hierarchy */
	char *path;  /* the cgroup, relative to the mount, starting with "/" */
	int dirfd;   /* the cgroup directory */
	bool has_cpuset; /* the cpuset files exist in the cgroup */
	bool shared;     /* the root or the caller's own cgroup: no container's */
	/* Ancestors that belong to the container too (nh_cgroup_claim_ancestors:
	 * Podman's libpod-ID.scope above crun's "container" level), counted
	 * from the parent up, and the path of the topmost of its levels. */
	unsigned own_above;
	char *top;
} nh_cgroup_t;

/* Find the cgroup of pid, whose /proc directory is open as proc_dirfd.
 * Refuses the root cgroup and the caller's own cgroup, unless any is set
 * (for reading): then cg->shared says it is one of them. */
int nh_cgroup_of_process(int proc_dirfd, pid_t pid, bool any, nh_cgroup_t *cg, nh_error_t *err);
/* Open a cgroup given as a path below the cpuset (or v2) hierarchy, for
 * operators who name it directly. */
int nh_cgroup_open_path(const char *path, nh_cgroup_t *cg, nh_error_t *err);
void nh_cgroup_close(nh_cgroup_t *cg);
/* The ancestors that are the container's own levels: up to the highest
 * whose name holds the container id as a word of its own (libpod-ID.scope,
 * cri-containerd-ID.scope), never the root, the caller's own cgroup or one
 * of its ancestors. Their cpuset.mems is widened and narrowed with the
 * container's, and the parent of the topmost is what limits the target. */
void nh_cgroup_claim_ancestors(nh_cgroup_t *cg, const char *id);
/* The topmost level of the container: top, or path. */
const char *nh_cgroup_top(const nh_cgroup_t *cg);

/* cpuset.mems / cpuset.effective_mems (v1: cpuset.effective_mems too). */
int nh_cgroup_read_mems(const nh_cgroup_t *cg, bool effective, nh_nodeset_t *out, nh_error_t *err);
int nh_cgroup_read_cpus(const nh_cgroup_t *cg, nh_cpuset_t *out, nh_error_t *err);
/* The effective mems of the parent of the container's topmost level: the
 * most the container may get. */
int nh_cgroup_read_parent_mems(const nh_cgroup_t *cg, nh_nodeset_t *out, nh_error_t *err);
/* Write cpuset.mems (old and new first, then new; v1: the descendants
 * too) and read it back. Every level of the container is widened from the
 * top down first; after the container's cgroup, the own ancestors that
 * restrict mems (v2: a non-empty cpuset.mems) are narrowed to the same set
 * from the bottom up. A level that systemd owns is set through systemd
 * (cgroup/systemd.h), so that its AllowedMemoryNodes agrees. */
int nh_cgroup_write_mems(const nh_cgroup_t *cg, const nh_nodeset_t *mems, nh_error_t *err);
/* cpuset.mems = its (v2: effective) value and add, which migrates
 * nothing, at every level of the container from the top down; nothing is
 * written where add is already in it. */
int nh_cgroup_widen_mems(const nh_cgroup_t *cg, const nh_nodeset_t *add, nh_error_t *err);
/* cgroup v2's memory.numa_stat of the cgroup: 0 and st filled; 1 when there
 * is none (cgroup v1, or no memory controller); -1 on error. */
int nh_cgroup_read_numa_stat(const nh_cgroup_t *cg, nh_numa_stat_t *st, nh_error_t *err);
/* v1 only: cpuset.memory_migrate = 1. */
int nh_cgroup_enable_memory_migrate(const nh_cgroup_t *cg, nh_error_t *err);

/* Call fn for every pid in cgroup.procs of the cgroup and all its
 * descendants. A descendant that vanishes meanwhile is skipped. fn returns
 * < 0 to stop. */
typedef int (*nh_pid_fn)(pid_t pid, void *data);
int nh_cgroup_for_each_process(const nh_cgroup_t *cg, nh_pid_fn fn, void *data, nh_error_t *err);

/* Whether the process whose /proc directory is open as proc_dirfd is in the
 * cgroup or one of its descendants. */
bool nh_cgroup_holds_process(const nh_cgroup_t *cg, int proc_dirfd);

#endif
