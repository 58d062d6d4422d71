/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <numaif.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "common/util.h"
#include "numa/batch.h"

/* Pages whose placement one query asks for. */
#define QUERY_PAGES 1024u
/* A move call pays a fixed cost besides its pages (6.1: lru_cache_disable,
 * i.e. an expedited RCU grace period and an LRU drain on every CPU; measured
 * 0.05 ms with the other CPUs idle, 5-12 ms when they are busy, tails of
 * 100s of ms): batches are sized on the time per page, never below a floor
 * that amortises that cost. */
#define BATCH_MIN 64u
#define BATCH_MAX QUERY_PAGES
#define BATCH_START 256u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void nh_rate_limit_init(nh_rate_limit_t *rl, uint64_t bytes_per_s)
{
	pthread_mutex_init(&rl->lock, NULL);
	rl->bytes_per_s = bytes_per_s;
	rl->next_ns = 0;
}

void nh_rate_limit_take(nh_rate_limit_t *rl, uint64_t bytes)
{
	uint64_t now, wait_until;

	if (!rl || rl->bytes_per_s == 0)
		return;
	pthread_mutex_lock(&rl->lock);
	now = now_ns();
	if (rl->next_ns < now)
		rl->next_ns = now;
	wait_until = rl->next_ns;
	rl->next_ns += bytes * 1000000000u / rl->bytes_per_s;
	pthread_mutex_unlock(&rl->lock);
	/* Pay before moving: the caller starts once its share of time came. */
	if (wait_until > now) {
		struct timespec ts = { .tv_sec = (time_t)(wait_until / 1000000000u),
				       .tv_nsec = (long)(wait_until % 1000000000u) };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
}

static bool special_mapping(const char *name)
{
	return strcmp(name, "[vsyscall]") == 0 || strcmp(name, "[vvar]") == 0 ||
	       strcmp(name, "[vvar_vclock]") == 0 || strcmp(name, "[vdso]") == 0;
}

/* One numa_maps line: its start address and its pages on source nodes. */
struct vma_pages {
	uintptr_t start;
	uint64_t source;
};

static uint64_t line_source_pages(const char *line, const int *map)
{
	uint64_t pages = 0, factor = 1, kb;
	const char *k = strstr(line, " kernelpagesize_kB=");
	size_t base_kb = nh_page_size() / 1024;

	if (k && sscanf(k, " kernelpagesize_kB=%" SCNu64, &kb) == 1 && kb >= base_kb)
		factor = kb / base_kb;
	for (const char *t = strstr(line, " N"); t; t = strstr(t + 1, " N")) {
		unsigned node;
		uint64_t count;

		if (sscanf(t, " N%u=%" SCNu64, &node, &count) == 2 && node < NH_MAX_NODES &&
		    map[node] >= 0 && map[node] != (int)node)
			pages += count * factor;
	}
	return pages;
}

static int add_range(nh_walk_plan_t *plan, size_t *cap, uintptr_t lo, uintptr_t hi,
		     nh_error_t *err)
{
	if (plan->n == *cap) {
		nh_range_t *bigger;

		*cap = *cap ? *cap * 2 : 64;
		bigger = realloc(plan->ranges, *cap * sizeof(*bigger));
		if (!bigger)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "maps");
		plan->ranges = bigger;
	}
	plan->ranges[plan->n++] = (nh_range_t){ lo, hi };
	return 0;
}

int nh_walk_plan_parse(const char *maps, size_t maps_len, const char *numa_maps,
		       size_t numa_maps_len, const int *map, size_t chunk, nh_walk_plan_t *plan,
		       nh_error_t *err)
{
	_cleanup_free_ struct vma_pages *vmas = NULL;
	size_t n_vmas = 0, cap_vmas = 0, cap = 0, next = 0;
	const char *end = numa_maps + numa_maps_len;

	memset(plan, 0, sizeof(*plan));
	for (const char *line = numa_maps; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		_cleanup_free_ char *buf = NULL;
		unsigned long long start;

		if (!eol)
			eol = end;
		/* Whole lines: a mapped file's escaped path can be long. */
		buf = strndup(line, (size_t)(eol - line));
		if (!buf)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "numa_maps");
		line = eol + 1;
		if (sscanf(buf, "%llx ", &start) != 1)
			continue;
		if (n_vmas == cap_vmas) {
			struct vma_pages *bigger;

			cap_vmas = cap_vmas ? cap_vmas * 2 : 64;
			bigger = realloc(vmas, cap_vmas * sizeof(*bigger));
			if (!bigger)
				return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "numa_maps");
			vmas = bigger;
		}
		vmas[n_vmas++] = (struct vma_pages){ (uintptr_t)start, line_source_pages(buf, map) };
	}

	end = maps + maps_len;
	for (const char *line = maps; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		unsigned long long lo, hi;
		char name[64] = "";
		char buf[512];
		uint64_t source = 0;
		size_t l;

		if (!eol)
			eol = end;
		l = (size_t)(eol - line) < sizeof(buf) - 1 ? (size_t)(eol - line) : sizeof(buf) - 1;
		memcpy(buf, line, l);
		buf[l] = '\0';
		line = eol + 1;
		if (l == 0)
			continue;
		if (sscanf(buf, "%llx-%llx %*s %*s %*s %*s %63s", &lo, &hi, name) < 2 || hi <= lo) {
			nh_walk_plan_free(plan);
			return nh_fail(err, NH_EXIT_SYSTEM, 0, "maps: cannot parse \"%s\"",
				       nh_quote(buf, l, 0));
		}
		/* Both files list the mappings in address order. */
		while (next < n_vmas && vmas[next].start < lo)
			next++;
		if (next < n_vmas && vmas[next].start == lo)
			source = vmas[next].source;
		if (source == 0 || special_mapping(name))
			continue;
		plan->source_pages += source;
		plan->span_pages += (hi - lo) / nh_page_size();
		if (plan->too_sparse || (hi - lo - 1) / chunk + 1 > NH_WALK_PLAN_MAX_RANGES - plan->n) {
			plan->too_sparse = true;
			continue;
		}
		/* Stepped without overflow: the last range may end at 2^64 - 1. */
		for (unsigned long long a = lo, b; a < hi; a = b) {
			b = hi - a > chunk ? a + chunk : hi;
			if (add_range(plan, &cap, (uintptr_t)a, (uintptr_t)b, err) < 0) {
				nh_walk_plan_free(plan);
				return -1;
			}
		}
	}
	if (plan->too_sparse) {
		free(plan->ranges);
		plan->ranges = NULL;
		plan->n = 0;
	}
	return 0;
}

int nh_walk_plan_read(int proc_dirfd, const int *map, size_t chunk, nh_walk_plan_t *plan,
		      nh_error_t *err)
{
	_cleanup_free_ char *maps = NULL, *numa_maps = NULL;
	size_t maps_len, numa_maps_len;
	int r = nh_read_file_at(proc_dirfd, "maps", 64u * 1024 * 1024, &maps, &maps_len);

	if (r == 0)
		r = nh_read_file_at(proc_dirfd, "numa_maps", 256u * 1024 * 1024, &numa_maps,
				    &numa_maps_len);
	if (r == -ENOENT || r == -ESRCH)
		return -ESRCH;
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read maps");
	return nh_walk_plan_parse(maps, maps_len, numa_maps, numa_maps_len, map, chunk, plan, err);
}

void nh_walk_plan_free(nh_walk_plan_t *plan)
{
	free(plan->ranges);
	memset(plan, 0, sizeof(*plan));
}

void nh_node_map(const nh_nodeset_t *from, const nh_nodeset_t *to, int map[NH_MAX_NODES])
{
	unsigned weight = nh_nodeset_count(to), i = 0;

	for (unsigned n = 0; n < NH_MAX_NODES; n++)
		map[n] = -1;
	if (weight == 0)
		return;
	for (int f = nh_nodeset_next(from, 0); f >= 0; f = nh_nodeset_next(from, (unsigned)f + 1)) {
		unsigned k = i++ % weight;
		int t = nh_nodeset_next(to, 0);

		while (k-- > 0)
			t = nh_nodeset_next(to, (unsigned)t + 1);
		map[f] = t;
	}
}

static long sys_move_pages(pid_t pid, unsigned long count, void **pages, const int *nodes,
			   int *status, int flags)
{
	return syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);
}

/* Per-call work state, sized for one query. */
struct batch_buf {
	void *pages[QUERY_PAGES];
	int status[QUERY_PAGES];
	void *sel[QUERY_PAGES];
	int nodes[QUERY_PAGES];
	int sel_status[QUERY_PAGES];
};

static int call_error(pid_t pid, const char *what, nh_error_t *err)
{
	if (errno == ESRCH)
		return -ESRCH;
	if (errno == EACCES)
		return nh_fail(err, NH_EXIT_SYSTEM, EACCES,
			       "move_pages of process %d (%s): a target node is outside the "
			       "process's cpuset",
			       (int)pid, what);
	if (errno == EPERM)
		return nh_fail(err, NH_EXIT_SYSTEM, EPERM,
			       "move_pages of process %d refused (the hook needs CAP_SYS_NICE)",
			       (int)pid);
	return nh_fail(err, NH_EXIT_SYSTEM, errno, "move_pages of process %d (%s)", (int)pid, what);
}

/* The batch size and what it is based on: the time per page of the last
 * calls (exponential average, weight 1/4). */
struct batch_ctl {
	unsigned batch;
	uint64_t ns_per_page; /* 0: no call yet */
};

/* Move sel[0..k) to nodes[0..k) in adaptive sub-batches. */
static int move_selected(pid_t pid, struct batch_buf *b, size_t k, struct batch_ctl *c,
			 const nh_batch_opts_t *o, int flags, nh_batch_stats_t *st, nh_error_t *err)
{
	for (size_t j = 0; j < k;) {
		size_t cnt = k - j < c->batch ? k - j : c->batch;
		uint64_t t0, us, ns_page, want;
		long r;

		if ((o->deadline_ms && nh_now_ms() >= o->deadline_ms) ||
		    (o->stop && atomic_load(o->stop))) {
			st->deadline_hit = true;
			return 0;
		}
		nh_rate_limit_take(o->rate, cnt * nh_page_size());
		if (!nh_process_alive(o->pidfd, o->procfd))
			return -ESRCH;
		t0 = now_ns();
		r = sys_move_pages(pid, cnt, &b->sel[j], &b->nodes[j], &b->sel_status[j], flags);
		us = (now_ns() - t0) / 1000;
		if (r < 0)
			return call_error(pid, "move", err);
		st->calls++;
		if (us > st->max_call_us)
			st->max_call_us = us;
		j += cnt;
		/* Only calls of a full floor's worth of pages say something about
		 * the time per page; one slow call moves the average by a quarter. */
		if (cnt < BATCH_MIN)
			continue;
		ns_page = us * 1000 / cnt;
		c->ns_per_page = c->ns_per_page ? (3 * c->ns_per_page + ns_page) / 4 : ns_page;
		want = c->ns_per_page ? (uint64_t)o->batch_us * 1000 / c->ns_per_page : BATCH_MAX;
		if (want > 2 * c->batch && c->batch < BATCH_MAX)
			c->batch *= 2;
		else if (want < c->batch / 2 && c->batch > BATCH_MIN)
			c->batch /= 2;
	}
	return 0;
}

int nh_batch_move_range(pid_t pid, const nh_range_t *range, const nh_batch_opts_t *o,
			nh_batch_stats_t *st, nh_error_t *err)
{
	_cleanup_free_ struct batch_buf *b = malloc(sizeof(*b));
	struct batch_ctl ctl = { .batch = BATCH_START };
	int flags = MPOL_MF_MOVE_ALL;

	if (!b)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "move_pages buffers");
	for (uintptr_t addr = range->start; addr < range->end;) {
		size_t n = 0, k = 0;
		long r;

		for (; n < QUERY_PAGES && addr < range->end; n++, addr += nh_page_size())
			b->pages[n] = (void *)addr;
		if (!nh_process_alive(o->pidfd, o->procfd))
			return -ESRCH;
		r = sys_move_pages(pid, n, b->pages, NULL, b->status, 0);
		if (r < 0)
			return call_error(pid, "query", err);
		for (size_t i = 0; i < n; i++) {
			int node = b->status[i];

			/* Negative: not present, or not movable; neither is ours to count. */
			if (node >= 0 && node < NH_MAX_NODES && o->map[node] >= 0 &&
			    o->map[node] != node) {
				b->sel[k] = b->pages[i];
				b->nodes[k] = o->map[node];
				k++;
			}
		}
		for (unsigned attempt = 0; k > 0 && attempt <= o->retries; attempt++) {
			size_t still = 0, unsure = 0;

			for (size_t i = 0; i < k; i++)
				b->sel_status[i] = -1; /* not tried (deadline) */
			r = move_selected(pid, b, k, &ctl, o, flags, st, err);
			if (r == -1 && flags == MPOL_MF_MOVE_ALL && err->errnum == EPERM) {
				/* Without CAP_SYS_NICE: pages shared with others stay. */
				nh_error_clear(err);
				flags = MPOL_MF_MOVE;
				r = move_selected(pid, b, k, &ctl, o, flags, st, err);
			}
			if (r < 0)
				return (int)r;
			/* The move's status says where each page is now; a huge page
			 * moves whole with its first address and the others report
			 * busy: ask again only for the pages not reported on target. */
			for (size_t i = 0; i < k; i++)
				if (b->sel_status[i] != b->nodes[i])
					b->pages[unsure++] = b->sel[i];
			if (unsure > 0) {
				size_t u = 0;

				if (sys_move_pages(pid, unsure, b->pages, NULL, b->status, 0) < 0)
					return call_error(pid, "query", err);
				for (size_t i = 0; i < k; i++)
					if (b->sel_status[i] != b->nodes[i])
						b->sel_status[i] = b->status[u++];
			}
			for (size_t i = 0; i < k; i++) {
				int now = b->sel_status[i];

				if (now == b->nodes[i]) {
					st->moved++;
				} else if (now >= 0 && now < NH_MAX_NODES &&
					   o->map[now] == b->nodes[i]) {
					/* Still on a node whose pages go to this target. */
					b->sel[still] = b->sel[i];
					b->nodes[still] = b->nodes[i];
					still++;
				}
			}
			k = still;
			if (st->deadline_hit)
				return 0; /* left to the budget: not counted as unmovable */
		}
		st->not_moved += k;
	}
	return 0;
}
