/* SPDX-License-Identifier: Apache-2.0 */
/* `status --all`: every running container of the node, the nodes it asked
 * for and where its memory is, as a table, JSON or Prometheus text. */
#ifndef NH_OVERVIEW_H
#define NH_OVERVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "cli/containers.h"
#include "common/nodeset.h"
#include "numa/placement.h"

typedef struct nh_overview_row {
	const nh_container_t *c;
	char *cgroup;
	bool v1;
	bool has_target; /* the container carries oci-numa-hook/nodes */
	bool target_ok;  /* ... and it names nodes (else: invalid) */
	nh_nodeset_t target;
	bool has_mems; /* effective cpuset.mems */
	nh_nodeset_t mems;
	uint64_t *pages; /* resident pages per node, span entries */
	uint64_t total, on_target;
	nh_numa_stat_t *numa_stat; /* cgroup v2, else NULL */
} nh_overview_row_t;

typedef struct nh_overview {
	nh_containers_t list;
	nh_nodeset_t nodes; /* nodes with memory: the columns */
	unsigned span;
	nh_overview_row_t *rows;
	size_t n;
	unsigned skipped; /* containers that could not be read (a warning each) */
} nh_overview_t;

/* One pass over the containers of root (every default root when NULL): each
 * running container that is not a pod sandbox becomes a row, sorted so that
 * the containers with the most memory off target come first and those
 * without a target last. verify_id: skip a container whose process's cgroup
 * does not name its id (a stale state whose pid was reused). */
int nh_overview_collect(const char *root, bool verify_id, nh_overview_t *o, nh_error_t *err);
void nh_overview_free(nh_overview_t *o);

void nh_overview_print_table(const nh_overview_t *o, FILE *out);
void nh_overview_print_json(const nh_overview_t *o, FILE *out);
/* The Prometheus text exposition format (node_exporter's textfile collector). */
void nh_overview_print_prometheus(const nh_overview_t *o, FILE *out);

#endif
