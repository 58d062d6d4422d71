/* SPDX-License-Identifier: Apache-2.0 */
/* The move_pages(2) engine: a process's pages are queried and moved in
 * batches whose size adapts to keep each call under a time budget, so the
 * process stalls for milliseconds instead of the whole migration; ranges of
 * one process can be moved by several workers at once; an optional rate
 * cap bounds the bandwidth taken. */
#ifndef NH_BATCH_H
#define NH_BATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/nodeset.h"

typedef struct nh_rate_limit {
	pthread_mutex_t lock;
	uint64_t bytes_per_s; /* 0: unlimited */
	uint64_t next_ns;     /* when the bytes taken so far are paid for */
} nh_rate_limit_t;

void nh_rate_limit_init(nh_rate_limit_t *rl, uint64_t bytes_per_s);
/* Sleep as long as needed for bytes more to stay under the rate. */
void nh_rate_limit_take(nh_rate_limit_t *rl, uint64_t bytes);

typedef struct nh_range {
	uintptr_t start, end;
} nh_range_t;

/* What the engine walks in one process: only the mappings that hold pages
 * on a source node, so that reserved but empty address space (sanitizer
 * shadows, JVM heaps, Go arenas: terabytes) costs nothing. */
/* More ranges than this (2 TiB of address space in 32 MiB ranges) make a
 * plan too sparse to keep: n = 0 and too_sparse; the sums still count. */
#define NH_WALK_PLAN_MAX_RANGES (1u << 16)

typedef struct nh_walk_plan {
	nh_range_t *ranges;    /* split in ranges of at most chunk bytes */
	size_t n;
	uint64_t span_pages;   /* pages of address space in the ranges */
	uint64_t source_pages; /* resident pages on a source node in them */
	bool too_sparse;       /* more than NH_WALK_PLAN_MAX_RANGES ranges: none kept */
} nh_walk_plan_t;

/* From /proc/<pid>/maps and numa_maps texts (both NUL-terminated), with the
 * node map of nh_node_map(); [vsyscall], [vvar], [vvar_vclock] and [vdso] are
 * left out. */
int nh_walk_plan_parse(const char *maps, size_t maps_len, const char *numa_maps,
		       size_t numa_maps_len, const int *map, size_t chunk, nh_walk_plan_t *plan,
		       nh_error_t *err);
/* The same from the process's /proc directory; -ESRCH when it is gone. */
int nh_walk_plan_read(int proc_dirfd, const int *map, size_t chunk, nh_walk_plan_t *plan,
		      nh_error_t *err);
void nh_walk_plan_free(nh_walk_plan_t *plan);

/* Where each source node's pages go: the i-th node of from to the
 * (i mod |to|)-th node of to, as migrate_pages(2) keeps relative topology. */
void nh_node_map(const nh_nodeset_t *from, const nh_nodeset_t *to, int map[NH_MAX_NODES]);

typedef struct nh_batch_opts {
	const int *map;        /* nh_node_map() */
	unsigned batch_us;     /* aim for each move call to take this long */
	unsigned retries;      /* more passes over pages still on a source node */
	uint64_t deadline_ms;  /* nh_now_ms() value to stop at; 0: none */
	const atomic_bool *stop; /* stop as at the deadline once set; NULL: never */
	nh_rate_limit_t *rate; /* NULL: unlimited */
	int pidfd;             /* with procfd, checked before each call (nh_process_alive): */
	int procfd;            /* never move another process's pages; -1, -1: no check */
} nh_batch_opts_t;

typedef struct nh_batch_stats {
	uint64_t moved;       /* pages now on their target that were on a source node */
	uint64_t not_moved;   /* pages still on a source node after the retries */
	uint64_t calls;       /* move calls */
	uint64_t max_call_us; /* the longest move call */
	bool deadline_hit;
} nh_batch_stats_t;

/* Move the pages of pid in range that sit on a source node. Returns 0,
 * -ESRCH when the process is gone (no error set), or -1 with err. */
int nh_batch_move_range(pid_t pid, const nh_range_t *range, const nh_batch_opts_t *o,
			nh_batch_stats_t *st, nh_error_t *err);

#endif
