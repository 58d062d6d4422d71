/* SPDX-License-Identifier: Apache-2.0 */
/* A small worker pool: run fn(i) for every i below count on a few threads. */
#ifndef NH_POOL_H
#define NH_POOL_H

#include <stddef.h>

/* fn returns < 0 to stop the pool; index is the item, worker the thread. */
typedef int (*nh_pool_fn)(size_t index, unsigned worker, void *data);

/* Runs on the calling thread alone when workers <= 1 or count <= 1.
 * Returns -1 if any call failed (the others then stop taking items). */
int nh_pool_run(unsigned workers, size_t count, nh_pool_fn fn, void *data);

/* The CPUs this process may run on, at most max. */
unsigned nh_pool_cpus(unsigned max);

#endif
