/* SPDX-License-Identifier: Apache-2.0 */
/* What the machine has: nodes online, with memory, with CPUs, and which
 * nodes the hook itself may use (the kernel silently narrows a migration
 * target to the caller's cpuset). Read from sysfs and /proc; the root
 * directories are parameters so that tests can point at a fake tree. */
#ifndef NH_TOPOLOGY_H
#define NH_TOPOLOGY_H

#include "common/error.h"
#include "common/nodeset.h"

typedef struct nh_topology {
	nh_nodeset_t online;
	nh_nodeset_t has_memory;
	nh_nodeset_t has_cpu;
} nh_topology_t;

/* sysfs_root: "/sys" normally. */
int nh_topology_read(const char *sysfs_root, nh_topology_t *topo, nh_error_t *err);

/* The nodes whose CPUs intersect cpus. */
int nh_topology_nodes_of_cpus(const char *sysfs_root, const nh_topology_t *topo,
			      const nh_cpuset_t *cpus, nh_nodeset_t *out, nh_error_t *err);

/* Mems_allowed_list of a process (0 = this process) from /proc. */
int nh_mems_allowed(const char *proc_root, int pid, nh_nodeset_t *out, nh_error_t *err);

#endif
