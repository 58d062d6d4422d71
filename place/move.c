/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "common/log.h"
#include "common/util.h"
#include "place/move.h"
#include "numa/migrate.h"
#include "numa/placement.h"
#include "numa/pool.h"

/* The kernel's PID_MAX_LIMIT: one bit per possible pid. */
#define PID_SPACE (4u * 1024 * 1024)
/* Processes pinned at once (two descriptors each). */
#define GROUP_MAX 256
/* move_pages: a large process is split into ranges of this much address
 * space, moved by several workers at once. */
#define RANGE_BYTES (32u * 1024 * 1024)

/* One pinned process of the container. */
struct proc {
	pid_t pid;
	int pidfd;
	int procfd;
	bool gone;
	nh_placement_t *before; /* migrate_pages: numa_maps before the call */
	/* migrate_pages left pages on a source node while other workers were
	 * moving: retried once they are done (see run_migrate_pages). */
	bool deferred;
	uint64_t before_n; /* pages on source nodes before the first call */
	long first_left;   /* what the first call left */
	uint64_t first_us; /* how long it took */
};

/* One unit of work for a worker. */
struct task {
	struct proc *proc;
	bool whole;       /* one migrate_pages call for the process */
	nh_range_t range; /* move_pages: the range to walk */
};

/* move_pages walks address space page by page: a process whose mappings
 * with pages to move are mostly empty (reserved heaps, sanitizer shadows)
 * is moved with one migrate_pages call instead. */
#define SPARSE_FACTOR 64u
#define SPARSE_SLACK_BYTES (1ull << 30)

struct pass {
	const nh_move_opts_t *opts;
	nh_move_stats_t *stats;
	nh_error_t *err;
	unsigned long *seen; /* pids handled in this pass */
	pid_t *fresh;        /* new pids of the current round */
	size_t n_fresh, cap_fresh;
	int map[NH_MAX_NODES];
	pthread_mutex_t lock; /* stats, err, progress */
	struct task *tasks;
	size_t n_tasks;
	bool warned_no_pidfd;
};

static bool test_and_set(unsigned long *bits, pid_t pid)
{
	unsigned long mask = 1UL << ((unsigned)pid % NH_LONG_BITS);
	unsigned long *word = &bits[(unsigned)pid / NH_LONG_BITS];
	bool was = *word & mask;

	*word |= mask;
	return was;
}

static bool alive(const struct proc *pr)
{
	return nh_process_alive(pr->pidfd, pr->procfd);
}

/* Pin pid and check it is (still) the container's: 1 pinned, 0 skip it,
 * -1 error (only a process that is gone may be skipped silently). */
static int pin(struct pass *p, struct proc *pr)
{
	char path[32];

	pr->procfd = -1;
	pr->pidfd = (int)syscall(SYS_pidfd_open, pr->pid, 0);
	if (pr->pidfd < 0 && errno == ESRCH) {
		p->stats->vanished++;
		return 0;
	}
	/* No pidfd_open (ENOSYS: Linux < 5.3, or refused by a seccomp filter
	 * or valgrind): the /proc/<pid> directory alone is the pin. */
	if (pr->pidfd < 0 && errno != ENOSYS && errno != EPERM)
		return nh_fail(p->err, NH_EXIT_SYSTEM, errno, "cannot pin process %d with pidfd_open",
			       (int)pr->pid);
	if (pr->pidfd < 0 && !p->warned_no_pidfd) {
		nh_debug("pidfd_open: %s; processes are pinned by their /proc directory",
			 strerror(errno));
		p->warned_no_pidfd = true;
	}
	/* Opened after the pidfd and checked alive after: procfd is this
	 * process, never a later one that reused the pid. Without a pidfd,
	 * the cgroup check below through procfd ties it to the container. */
	snprintf(path, sizeof(path), "/proc/%d", (int)pr->pid);
	pr->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pr->procfd < 0 || !alive(pr)) {
		p->stats->vanished++;
		return 0;
	}
	if (!nh_cgroup_holds_process(p->opts->cgroup, pr->procfd)) {
		nh_debug("process %d is no longer in cgroup %s; left alone", (int)pr->pid,
			 p->opts->cgroup->path);
		p->stats->left_cgroup++;
		return 0;
	}
	return 1;
}

static void unpin(struct proc *pr)
{
	if (pr->pidfd >= 0)
		close(pr->pidfd);
	if (pr->procfd >= 0)
		close(pr->procfd);
	free(pr->before);
	pr->pidfd = pr->procfd = -1;
	pr->before = NULL;
}

static int add_task(struct pass *p, struct proc *pr, const nh_range_t *range)
{
	struct task *t = realloc(p->tasks, (p->n_tasks + 1) * sizeof(*t));

	if (!t)
		return nh_fail(p->err, NH_EXIT_SYSTEM, ENOMEM, "task list");
	p->tasks = t;
	p->tasks[p->n_tasks++] = (struct task){ .proc = pr,
						.whole = range == NULL,
						.range = range ? *range : (nh_range_t){ 0 } };
	return 0;
}

/* The work list of a pinned process: itself, or its ranges. */
static int plan(struct pass *p, struct proc *pr)
{
	nh_walk_plan_t plan;
	int r;

	if (p->opts->engine == NH_ENGINE_MIGRATE_PAGES)
		return add_task(p, pr, NULL);
	r = nh_walk_plan_read(pr->procfd, p->map, RANGE_BYTES, &plan, p->err);
	if (r == -ESRCH || (r < 0 && !alive(pr))) {
		nh_error_clear(p->err);
		pr->gone = true;
		return 0;
	}
	if (r < 0)
		return nh_prefix(p->err, "process %d", (int)pr->pid);
	if (plan.too_sparse ||
	    plan.span_pages > SPARSE_FACTOR * plan.source_pages + SPARSE_SLACK_BYTES / nh_page_size()) {
		nh_debug("process %d: %llu pages to move in %llu pages of address space; one "
			 "migrate_pages call instead",
			 (int)pr->pid, (unsigned long long)plan.source_pages,
			 (unsigned long long)plan.span_pages);
		r = add_task(p, pr, NULL);
	} else {
		for (size_t i = 0; r == 0 && i < plan.n; i++)
			r = add_task(p, pr, &plan.ranges[i]);
	}
	nh_walk_plan_free(&plan);
	return r;
}

static int fail_locked(struct pass *p, const nh_error_t *e)
{
	pthread_mutex_lock(&p->lock);
	if (p->err->status == 0)
		*p->err = *e;
	pthread_mutex_unlock(&p->lock);
	return -1;
}

/* Count the outcome of a process's migrate_pages calls: LEFT is what the
 * last call said it could not move. */
static int account(struct pass *p, struct proc *pr, uint64_t before_n, long left, uint64_t us)
{
	const nh_move_opts_t *o = p->opts;
	nh_placement_t after = { 0 };
	nh_error_t e = { 0 };
	uint64_t after_n = (uint64_t)left;

	if (o->count_left_on_source) {
		if (nh_placement_read(pr->procfd, &after, &e) < 0) {
			pr->gone = true;
			return 0;
		}
		after_n = nh_placement_sum(&after, &o->from);
		if (after_n < (uint64_t)left)
			after_n = (uint64_t)left;
	}
	pthread_mutex_lock(&p->lock);
	p->stats->moved += before_n > after_n ? before_n - after_n : 0;
	p->stats->not_moved += after_n;
	p->stats->calls++;
	if (us > p->stats->max_call_us)
		p->stats->max_call_us = us;
	pthread_mutex_unlock(&p->lock);
	nh_debug("process %d: %llu pages on source nodes before, %llu after, %ld not moved",
		 (int)pr->pid, (unsigned long long)before_n, (unsigned long long)after_n, left);
	return 0;
}

/* One migrate_pages call (and RETRIES more while pages are left): the
 * pages left, 0 when the process is gone, or -1 with the error in the
 * pass. */
static long call_migrate_pages(struct pass *p, struct proc *pr, unsigned retries, uint64_t *us)
{
	const nh_move_opts_t *o = p->opts;
	nh_error_t e = { 0 };
	uint64_t t0 = nh_now_ms();
	long left = nh_migrate_process(pr->pid, &o->from, &o->to, retries, &e);

	*us = (nh_now_ms() - t0) * 1000;
	if (left == -ESRCH || !alive(pr)) {
		/* It exited during the call; the pid cannot have been reused
		 * before the process was reaped, and nothing more is done. */
		pr->gone = true;
		return 0;
	}
	if (left < 0)
		return fail_locked(p, &e);
	return left;
}

static int run_migrate_pages(struct pass *p, struct proc *pr)
{
	const nh_move_opts_t *o = p->opts;
	nh_error_t e = { 0 };
	uint64_t us, before_n;
	long left;

	/* A placement read walks the address space as the call does, but a
	 * migrate_pages call also pays a fixed cost (every CPU's page lists
	 * drained, an expedited RCU grace period): read before, and call only
	 * when pages sit on a source node; do not read after, unless pages
	 * the kernel skips silently must be counted. */
	pr->before = calloc(1, sizeof(*pr->before));
	if (!pr->before)
		return nh_fail(&e, NH_EXIT_SYSTEM, ENOMEM, "placement"), fail_locked(p, &e);
	if (nh_placement_read(pr->procfd, pr->before, &e) < 0) {
		if (e.status && alive(pr))
			return nh_prefix(&e, "process %d", (int)pr->pid), fail_locked(p, &e);
		pr->gone = true;
		return 0;
	}
	before_n = nh_placement_sum(pr->before, &o->from);
	if (before_n == 0)
		return 0;
	left = call_migrate_pages(p, pr, 0, &us);
	if (left < 0 || pr->gone)
		return left < 0 ? -1 : 0;
	if (left > 0) {
		/* Since Linux 6.7 the count includes the pages the call could
		 * not isolate at that moment, among them pages that another
		 * call is migrating: a page the container's processes share
		 * (copy-on-write memory, a mapped file) that another worker
		 * has taken is "not moved" here, and a retry at once meets it
		 * still taken. Retry when this group's calls are over. */
		pr->deferred = true;
		pr->before_n = before_n;
		pr->first_left = left;
		pr->first_us = us;
		return 0;
	}
	return account(p, pr, before_n, 0, us);
}

/* The time budget is spent, or the caller asked to stop. */
static bool past_deadline(const nh_move_opts_t *o)
{
	return (o->deadline_ms && nh_now_ms() >= o->deadline_ms) || (o->stop && atomic_load(o->stop));
}

/* The deferred processes of a group, one after the other, with no other
 * call of this hook under way. */
static int retry_deferred(struct pass *p, struct proc *pr)
{
	uint64_t us;
	long left;

	pr->deferred = false;
	if (pr->gone)
		return 0;
	if (past_deadline(p->opts)) {
		p->stats->budget_hit = true;
		return account(p, pr, pr->before_n, pr->first_left, pr->first_us);
	}
	left = call_migrate_pages(p, pr, p->opts->max_retries, &us);
	if (left < 0)
		return -1;
	if (pr->gone)
		return 0;
	return account(p, pr, pr->before_n, left, us > pr->first_us ? us : pr->first_us);
}

static int run_move_pages(struct pass *p, struct task *t)
{
	const nh_move_opts_t *o = p->opts;
	nh_batch_opts_t bo = { .map = p->map,
			       .batch_us = o->batch_us,
			       .retries = o->max_retries,
			       .deadline_ms = o->deadline_ms,
			       .stop = o->stop,
			       .rate = o->rate,
			       .pidfd = t->proc->pidfd,
			       .procfd = t->proc->procfd };
	nh_batch_stats_t bs = { 0 };
	nh_error_t e = { 0 };
	int r = nh_batch_move_range(t->proc->pid, &t->range, &bo, &bs, &e);

	if (r == -ESRCH) {
		t->proc->gone = true;
		return 0;
	}
	if (r < 0)
		return fail_locked(p, &e);
	pthread_mutex_lock(&p->lock);
	p->stats->moved += bs.moved;
	p->stats->not_moved += bs.not_moved;
	p->stats->calls += bs.calls;
	if (bs.max_call_us > p->stats->max_call_us)
		p->stats->max_call_us = bs.max_call_us;
	p->stats->budget_hit |= bs.deadline_hit;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int run_task(size_t index, unsigned worker, void *data)
{
	struct pass *p = data;
	struct task *t = &p->tasks[index];
	int r;

	if (past_deadline(p->opts)) {
		pthread_mutex_lock(&p->lock);
		p->stats->budget_hit = true;
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	r = t->whole ? run_migrate_pages(p, t->proc) : run_move_pages(p, t);
	if (r == 0 && p->opts->progress) {
		pthread_mutex_lock(&p->lock);
		p->opts->progress(p->stats, p->opts->progress_data);
		pthread_mutex_unlock(&p->lock);
	}
	return r;
}

/* Pin, plan and move one group of new processes. */
static int move_group(struct pass *p, pid_t *pids, size_t n)
{
	struct proc procs[GROUP_MAX];
	size_t pinned = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		procs[pinned] = (struct proc){ .pid = pids[i], .pidfd = -1, .procfd = -1 };
		r = pin(p, &procs[pinned]);
		if (r > 0)
			pinned++;
		else
			unpin(&procs[pinned]);
		r = r < 0 ? -1 : 0;
	}
	p->n_tasks = 0;
	for (size_t i = 0; r == 0 && i < pinned; i++)
		if (!nh_nodeset_empty(&p->opts->from))
			r = plan(p, &procs[i]);
	if (r == 0)
		r = nh_pool_run(p->opts->workers, p->n_tasks, run_task, p);
	for (size_t i = 0; r == 0 && i < pinned; i++)
		if (procs[i].deferred)
			r = retry_deferred(p, &procs[i]);
	for (size_t i = 0; i < pinned; i++) {
		if (procs[i].gone || !alive(&procs[i]))
			p->stats->vanished++;
		else
			p->stats->processes++;
		unpin(&procs[i]);
	}
	return r;
}

static int collect(pid_t pid, void *data)
{
	struct pass *p = data;

	if ((unsigned)pid >= PID_SPACE || test_and_set(p->seen, pid))
		return 0;
	if (p->n_fresh == p->cap_fresh) {
		size_t cap = p->cap_fresh ? p->cap_fresh * 2 : 256;
		pid_t *bigger = realloc(p->fresh, cap * sizeof(*bigger));

		if (!bigger)
			return nh_fail(p->err, NH_EXIT_SYSTEM, ENOMEM, "process list");
		p->fresh = bigger;
		p->cap_fresh = cap;
	}
	p->fresh[p->n_fresh++] = pid;
	return 0;
}

int nh_move_cgroup(const nh_move_opts_t *opts, nh_move_stats_t *stats, nh_error_t *err)
{
	_cleanup_free_ unsigned long *seen = calloc(PID_SPACE / NH_LONG_BITS, sizeof(unsigned long));
	struct pass p = { .opts = opts, .stats = stats, .err = err, .seen = seen };
	int r = 0;

	if (!seen)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "process table");
	pthread_mutex_init(&p.lock, NULL);
	nh_node_map(&opts->from, &opts->to, p.map);
	stats->still_growing = true;
	for (unsigned round = 0; r == 0 && round < opts->max_rounds; round++) {
		p.n_fresh = 0;
		r = nh_cgroup_for_each_process(opts->cgroup, collect, &p, err);
		if (r < 0 || p.n_fresh == 0) {
			stats->still_growing = false;
			break;
		}
		for (size_t i = 0; r == 0 && i < p.n_fresh; i += GROUP_MAX)
			r = move_group(&p, p.fresh + i,
				       p.n_fresh - i < GROUP_MAX ? p.n_fresh - i : GROUP_MAX);
		if (stats->budget_hit) {
			stats->still_growing = false;
			break;
		}
	}
	free(p.fresh);
	free(p.tasks);
	pthread_mutex_destroy(&p.lock);
	return r < 0 ? -1 : 0;
}
