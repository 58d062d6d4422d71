/* SPDX-License-Identifier: Apache-2.0 */
/* Moving the memory of every process of a cgroup tree: the part of a hook
 * run (and of the operator's migrate command) that walks the container's
 * processes, pins each one, checks it still belongs to the container, and
 * has an engine move its pages, several processes (or ranges of one large
 * process) at a time. */
#ifndef NH_MOVE_H
#define NH_MOVE_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "numa/batch.h"
#include "common/nodeset.h"
#include "oci/config.h"

typedef struct nh_move_stats {
	unsigned processes;   /* distinct processes handled */
	unsigned vanished;    /* exited before or while they were handled */
	unsigned left_cgroup; /* no longer in the container when checked */
	uint64_t moved;       /* pages that left the source nodes */
	uint64_t not_moved;   /* pages the kernel could not move, after retries */
	uint64_t calls;       /* migration system calls */
	uint64_t max_call_us; /* the longest one */
	bool still_growing;   /* new processes kept appearing after max_rounds */
	bool budget_hit;      /* stopped at the time budget */
} nh_move_stats_t;

/* Called after each process or range, with the figures so far (from one
 * thread at a time). */
typedef void (*nh_move_progress_fn)(const nh_move_stats_t *stats, void *data);

typedef struct nh_move_opts {
	const nh_cgroup_t *cgroup;
	nh_nodeset_t from;
	nh_nodeset_t to;
	enum nh_engine engine;
	unsigned workers;
	unsigned max_rounds;
	unsigned max_retries;
	unsigned batch_us;     /* move_pages: time per call */
	nh_rate_limit_t *rate; /* move_pages: NULL for no cap */
	uint64_t deadline_ms;  /* nh_now_ms() to stop at; 0: none */
	const atomic_bool *stop; /* stop as at the deadline once set; NULL: never */
	/* migrate_pages: count pages still on a source node as not moved (the
	 * kernel skips shared pages silently without CAP_SYS_NICE). */
	bool count_left_on_source;
	nh_move_progress_fn progress; /* optional */
	void *progress_data;
} nh_move_opts_t;

/* One pass over the tree: round after round until no new process appears
 * (at most max_rounds rounds). Adds to stats. */
int nh_move_cgroup(const nh_move_opts_t *opts, nh_move_stats_t *stats, nh_error_t *err);

#endif
