#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "common/log.h"
#include "common/util.h"
#include "hook/move.h"
#include "numa/migrate.h"
#include "numa/placement.h"

/* The kernel's PID_MAX_LIMIT: one bit per possible pid. */
#define PID_SPACE (4u * 1024 * 1024)

struct pass {
	const nh_move_opts_t *opts;
	nh_move_stats_t *stats;
	unsigned long *seen; /* pids handled in this pass */
	unsigned new_in_round;
	nh_error_t *err;
};

static bool test_and_set(unsigned long *bits, pid_t pid)
{
	unsigned long mask = 1UL << ((unsigned)pid % NH_LONG_BITS);
	unsigned long *word = &bits[(unsigned)pid / NH_LONG_BITS];
	bool was = *word & mask;

	*word |= mask;
	return was;
}

static int pidfd_open_nofail(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* The process behind pidfd has not exited (a zombie counts as exited). */
static bool alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return NH_RETRY(poll(&p, 1, 0)) == 0;
}

static int open_proc_dir(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int migrate_one(struct pass *p, pid_t pid)
{
	const nh_move_opts_t *o = p->opts;
	_cleanup_close_ int pidfd = pidfd_open_nofail(pid);
	_cleanup_close_ int procfd = -1;
	nh_placement_t before = { 0 }, after = { 0 };
	uint64_t on_from_before, on_from_after;
	long left;

	if (pidfd < 0) {
		if (errno == ESRCH) {
			p->stats->vanished++;
			return 0;
		}
		return nh_fail(p->err, NH_EXIT_SYSTEM, errno, "pidfd_open of process %d", (int)pid);
	}
	/* Opened after the pidfd and checked alive after: procfd is this
	 * process, never a later one that reused the pid. */
	procfd = open_proc_dir(pid);
	if (procfd < 0 || !alive(pidfd)) {
		p->stats->vanished++;
		return 0;
	}
	if (!nh_cgroup_holds_process(o->cgroup, procfd)) {
		nh_debug("process %d is no longer in cgroup %s; left alone", (int)pid,
			 o->cgroup->path);
		p->stats->left_cgroup++;
		return 0;
	}
	if (nh_nodeset_empty(&o->from)) {
		/* Nothing can sit on an empty source set: count only. */
		p->stats->processes++;
		return 0;
	}
	if (nh_placement_read(procfd, &before, p->err) < 0) {
		if (p->err->status == 0 || !alive(pidfd)) {
			nh_error_clear(p->err);
			p->stats->vanished++;
			return 0;
		}
		return nh_prefix(p->err, "process %d", (int)pid);
	}
	left = nh_migrate_process(pid, &o->from, &o->to, o->max_retries, p->err);
	if (left == -ESRCH || !alive(pidfd)) {
		/* It exited during the call; the pid cannot have been reused
		 * before the process was reaped, and nothing more is done. */
		nh_error_clear(p->err);
		p->stats->vanished++;
		return 0;
	}
	if (left < 0)
		return -1;
	if (nh_placement_read(procfd, &after, p->err) < 0) {
		nh_error_clear(p->err);
		p->stats->vanished++;
		return 0;
	}
	on_from_before = nh_placement_sum(&before, &o->from);
	on_from_after = nh_placement_sum(&after, &o->from);
	p->stats->processes++;
	p->stats->moved += on_from_before > on_from_after ? on_from_before - on_from_after : 0;
	p->stats->not_moved += (uint64_t)left;
	nh_debug("process %d: %llu pages on source nodes before, %llu after, %ld not moved",
		 (int)pid, (unsigned long long)on_from_before, (unsigned long long)on_from_after,
		 left);
	return 0;
}

static int visit(pid_t pid, void *data)
{
	struct pass *p = data;

	if ((unsigned)pid >= PID_SPACE || test_and_set(p->seen, pid))
		return 0;
	p->new_in_round++;
	if (migrate_one(p, pid) < 0)
		return -1;
	if (p->opts->progress)
		p->opts->progress(p->stats, p->opts->progress_data);
	return 0;
}

int nh_move_cgroup(const nh_move_opts_t *opts, nh_move_stats_t *stats, nh_error_t *err)
{
	_cleanup_free_ unsigned long *seen = calloc(PID_SPACE / NH_LONG_BITS, sizeof(unsigned long));
	struct pass p = { .opts = opts, .stats = stats, .err = err };

	if (!seen)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "process table");
	p.seen = seen;
	stats->still_growing = false;
	for (unsigned round = 0; round < opts->max_rounds; round++) {
		p.new_in_round = 0;
		if (nh_cgroup_for_each_process(opts->cgroup, visit, &p, err) < 0)
			return -1;
		if (p.new_in_round == 0)
			return 0;
	}
	stats->still_growing = true;
	return 0;
}
