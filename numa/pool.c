/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "numa/pool.h"

struct pool {
	atomic_size_t next;
	atomic_int failed;
	size_t count;
	nh_pool_fn fn;
	void *data;
};

struct worker {
	struct pool *pool;
	unsigned id;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;

	while (!atomic_load(&p->failed)) {
		size_t i = atomic_fetch_add(&p->next, 1);

		if (i >= p->count)
			break;
		if (p->fn(i, w->id, p->data) < 0)
			atomic_store(&p->failed, 1);
	}
	return NULL;
}

int nh_pool_run(unsigned workers, size_t count, nh_pool_fn fn, void *data)
{
	struct pool p = { .count = count, .fn = fn, .data = data };
	pthread_t *threads;
	struct worker *ws;
	unsigned started = 0;

	atomic_init(&p.next, 0);
	atomic_init(&p.failed, 0);
	if (workers > count)
		workers = (unsigned)count;
	if (workers <= 1) {
		struct worker self = { &p, 0 };

		work(&self);
		return atomic_load(&p.failed) ? -1 : 0;
	}
	threads = calloc(workers, sizeof(*threads));
	ws = calloc(workers, sizeof(*ws));
	if (!threads || !ws) {
		free(threads);
		free(ws);
		return nh_pool_run(1, count, fn, data);
	}
	/* Worker 0 is the calling thread. */
	for (unsigned i = 1; i < workers; i++) {
		ws[i] = (struct worker){ &p, i };
		if (pthread_create(&threads[i], NULL, work, &ws[i]) != 0)
			break;
		started = i;
	}
	ws[0] = (struct worker){ &p, 0 };
	work(&ws[0]);
	for (unsigned i = 1; i <= started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	free(ws);
	return atomic_load(&p.failed) ? -1 : 0;
}

unsigned nh_pool_cpus(unsigned max)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	n = CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return (unsigned)n < max ? (unsigned)n : max;
}
