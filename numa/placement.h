/* SPDX-License-Identifier: Apache-2.0 */
/* Where a process's resident pages are, per node, from /proc/<pid>/numa_maps
 * (counts in base pages, as migrate_pages counts; huge pages count as their
 * size in base pages). */
#ifndef NH_PLACEMENT_H
#define NH_PLACEMENT_H

#include <stdint.h>

#include "common/error.h"
#include "common/nodeset.h"

typedef struct nh_placement {
	uint64_t pages[NH_MAX_NODES];
} nh_placement_t;

/* Parse numa_maps text, adding to p. */
int nh_placement_parse(const char *text, size_t len, nh_placement_t *p, nh_error_t *err);

/* Read numa_maps of the process whose /proc directory is open as proc_dirfd,
 * adding to p. A process that exited meanwhile gives -ESRCH with no error set. */
int nh_placement_read(int proc_dirfd, nh_placement_t *p, nh_error_t *err);

uint64_t nh_placement_sum(const nh_placement_t *p, const nh_nodeset_t *nodes);

/* A cgroup v2 memory.numa_stat: bytes per node of its "anon", "file" and
 * "shmem" lines, which also count the page cache and tmpfs pages that no
 * process maps. Other lines are skipped. */
typedef struct nh_numa_stat {
	uint64_t anon[NH_MAX_NODES];
	uint64_t file[NH_MAX_NODES];
	uint64_t shmem[NH_MAX_NODES];
} nh_numa_stat_t;

/* Errors are NH_EXIT_SYSTEM naming the token; st is zeroed first. */
int nh_numa_stat_parse(const char *text, size_t len, nh_numa_stat_t *st, nh_error_t *err);

#endif
