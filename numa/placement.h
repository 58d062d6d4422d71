/* SPDX-License-Identifier: Apache-2.0 */
/* Where a process's resident pages are, per node, from /proc/<pid>/numa_maps
 * (counts in base pages, as migrate_pages counts; huge pages count as their
 * size in base pages). */
#ifndef NH_PLACEMENT_H
#define NH_PLACEMENT_H

#include <stdint.h>

#include "common/error.h"
#include "numa/nodeset.h"

typedef struct nh_placement {
	uint64_t pages[NH_MAX_NODES];
} nh_placement_t;

/* Parse numa_maps text, adding to p. */
int nh_placement_parse(const char *text, size_t len, nh_placement_t *p, nh_error_t *err);

/* Read numa_maps of the process whose /proc directory is open as proc_dirfd,
 * adding to p. A process that exited meanwhile gives -ESRCH with no error set. */
int nh_placement_read(int proc_dirfd, nh_placement_t *p, nh_error_t *err);

uint64_t nh_placement_sum(const nh_placement_t *p, const nh_nodeset_t *nodes);

#endif
