/* SPDX-License-Identifier: Apache-2.0 */
/* Placing a cgroup's memory on a node set: the checks and the work shared by
 * a hook run and the operator's migrate command. */
#ifndef NH_PLACE_H
#define NH_PLACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "place/move.h"
#include "common/nodeset.h"
#include "numa/topology.h"
#include "oci/config.h"
#include "oci/request.h"

typedef struct nh_place {
	/* Set by the caller. */
	const char *sysfs_root;
	const char *proc_root;
	const nh_config_t *cfg;
	nh_request_t req;
	const char *nodes_what; /* names the request in messages */
	nh_move_progress_fn progress;
	void *progress_data;
	/* Stop moving once set (a newer request superseded this one): handled
	 * as the time budget is, cpuset.mems is not narrowed. */
	const atomic_bool *stop;
	/* nodes=auto: the CPUs to follow when there is no cgroup to read them
	 * from yet (an NRI request carries them); NULL: the cgroup's. */
	const nh_cpuset_t *cpus;
	/* Found out. */
	nh_topology_t topo;
	nh_cgroup_t cg;
	nh_nodeset_t target;
	nh_nodeset_t from;
	nh_nodeset_t mems; /* what cpuset.mems becomes with mems=set */
	nh_move_stats_t stats;
} nh_place_t;

/* Zero p, set the roots and the config. */
void nh_place_init(nh_place_t *p, const nh_config_t *cfg);
/* Read the topology and check a target that needs no container (lists,
 * all). Call before opening the container, so that a bad request fails the
 * same way whatever the container's state. */
int nh_place_check_request(nh_place_t *p, nh_error_t *err);
/* The target alone, for nodes=auto from p->cpus (checked as
 * nh_place_check_request() checks lists): before the container exists. */
int nh_place_resolve_target(nh_place_t *p, nh_error_t *err);
/* The container: by its process, or by a cgroup path. any: also a process
 * outside a container cgroup (p->cg.shared), for reading only. */
int nh_place_open_pid(nh_place_t *p, pid_t pid, bool any, nh_error_t *err);
/* The container id and pid come from a runtime's state; the pid could belong
 * to another process if the container died and the number was reused.
 * Runtimes name the container's cgroup after its id (runc's default,
 * Podman's libpod-ID, CRI-O's crio-ID.scope, containerd's
 * cri-containerd-ID.scope), so a cgroup that does not name the id is refused
 * (unless verify-cgroup-id = no). The ancestors that name the id are the
 * container's own levels too (Podman's libpod-ID.scope above crun's
 * "container" cgroup): their cpuset.mems follow the container's. */
int nh_place_set_container(nh_place_t *p, const char *id, pid_t pid, nh_error_t *err);
int nh_place_open_cgroup(nh_place_t *p, const char *path, nh_error_t *err);
/* The rest of the checks: auto, the source set, what the kernel and the
 * parent cgroup allow; and the cpuset.mems to write. */
int nh_place_resolve(nh_place_t *p, nh_error_t *err);
/* Move, write cpuset.mems (mems=set), sweep. Fills p->stats. */
int nh_place_run(nh_place_t *p, nh_error_t *err);
void nh_place_close(nh_place_t *p);

#endif
