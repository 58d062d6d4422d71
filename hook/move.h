/* Moving the memory of every process of a cgroup tree: the part of a hook
 * run (and of the operator's migrate command) that walks the container's
 * processes, pins each one, checks it still belongs to the container, and
 * migrates it. */
#ifndef NH_MOVE_H
#define NH_MOVE_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "numa/nodeset.h"

typedef struct nh_move_stats {
	unsigned processes;  /* distinct processes migrated */
	unsigned vanished;   /* exited before or while they were handled */
	unsigned left_cgroup; /* no longer in the container when checked */
	uint64_t moved;      /* pages that left the source nodes */
	uint64_t not_moved;  /* pages the kernel could not move, after retries */
	bool still_growing;  /* new processes kept appearing after max_rounds */
} nh_move_stats_t;

/* Called after each process, with the figures so far. */
typedef void (*nh_move_progress_fn)(const nh_move_stats_t *stats, void *data);

typedef struct nh_move_opts {
	const nh_cgroup_t *cgroup;
	nh_nodeset_t from;
	nh_nodeset_t to;
	unsigned max_rounds;
	unsigned max_retries;
	nh_move_progress_fn progress; /* optional */
	void *progress_data;
} nh_move_opts_t;

/* One pass over the tree: round after round until no new process appears
 * (at most max_rounds rounds). Adds to stats. */
int nh_move_cgroup(const nh_move_opts_t *opts, nh_move_stats_t *stats, nh_error_t *err);

#endif
