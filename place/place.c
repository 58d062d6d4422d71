/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "place/place.h"
#include "numa/migrate.h"
#include "numa/pool.h"

#define FMT(set, buf) nh_nodeset_format((set), (buf), sizeof(buf))

void nh_place_init(nh_place_t *p, const nh_config_t *cfg)
{
	memset(p, 0, sizeof(*p));
	p->sysfs_root = "/sys";
	p->proc_root = "/proc";
	p->cfg = cfg;
	p->nodes_what = "node set";
	p->cg.dirfd = -1;
}

void nh_place_close(nh_place_t *p)
{
	nh_cgroup_close(&p->cg);
}

#define FMT(set, buf) nh_nodeset_format((set), (buf), sizeof(buf))

/* What the user can do without a cpuset controller, as the end of the
 * message. Rootless Podman's containers are below the user's systemd
 * (user.slice/user-UID.slice/user@UID.service/...), which has only the
 * controllers that user@.service delegates: cpu, memory and pids unless
 * the admin adds cpuset. */
static const char *no_cpuset_why(const char *path, bool keep_helps, char *buf, size_t size)
{
	const char *unit = strstr(path, "/user@");
	const char *end = unit ? strstr(unit, ".service/") : NULL;

	if (!end)
		return keep_helps ? " (use mems=keep to only move pages)" : "";
	unit++;
	snprintf(buf, size,
		 " (rootless: cpuset is not delegated to %.*s; an admin can delegate it with "
		 "\"Delegate=cpu cpuset io memory pids\" in the [Service] section of "
		 "/etc/systemd/system/user@.service.d/delegate.conf, then restart that "
		 "service%s)",
		 (int)(end + strlen(".service") - unit), unit,
		 keep_helps ? "; or annotate oci-numa-hook/mems=keep to move the pages only, "
			      "later allocations unbound" :
			      "");
	return buf;
}

/* The target node set: the annotation's list, or what all/auto stand for. */
static int resolve_target(nh_place_t *r, nh_error_t *err)
{
	char a[NH_NODESET_STR_MAX], b[NH_NODESET_STR_MAX];
	nh_nodeset_t outside;

	switch (r->req.nodes_kind) {
	case NH_NODES_LIST:
		r->target = r->req.nodes;
		break;
	case NH_NODES_ALL:
		r->target = r->topo.has_memory;
		if (!r->cfg->allowed_all)
			nh_nodeset_and(&r->target, &r->target, &r->cfg->allowed_nodes);
		break;
	case NH_NODES_AUTO: {
		nh_cpuset_t cpus;

		if (r->cpus) {
			cpus = *r->cpus;
		} else {
			if (!r->cg.has_cpuset) {
				char why[512];

				return nh_fail(err, NH_EXIT_SYSTEM, 0,
					       "nodes=auto needs the cpuset controller, which is not "
					       "enabled for cgroup %s%s",
					       r->cg.path,
					       no_cpuset_why(r->cg.path, false, why, sizeof(why)));
			}
			if (nh_cgroup_read_cpus(&r->cg, &cpus, err) < 0)
				return -1;
		}
		if (nh_topology_nodes_of_cpus(r->sysfs_root, &r->topo, &cpus, &r->target, err) < 0)
			return -1;
		nh_nodeset_and(&r->target, &r->target, &r->topo.has_memory);
		if (nh_nodeset_empty(&r->target))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "nodes=auto: no node local to the container's CPUs has memory");
		break;
	}
	}
	if (nh_nodeset_empty(&r->target))
		return nh_fail(err, NH_EXIT_INVALID, 0, "the requested node set is empty");

	nh_nodeset_andnot(&outside, &r->target, &r->topo.has_memory);
	if (!nh_nodeset_empty(&outside))
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "%s: node %s is not online or has no memory "
			       "(nodes with memory: %s)",
			       r->nodes_what, FMT(&outside, a),
			       FMT(&r->topo.has_memory, b));
	if (!r->cfg->allowed_all) {
		nh_nodeset_andnot(&outside, &r->target, &r->cfg->allowed_nodes);
		if (!nh_nodeset_empty(&outside))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "%s: node %s is not allowed by the admin "
				       "configuration (allowed-nodes = %s)",
				       r->nodes_what, FMT(&outside, a),
				       FMT(&r->cfg->allowed_nodes, b));
	}
	return 0;
}

static int resolve_from(nh_place_t *r, nh_error_t *err)
{
	char a[NH_NODESET_STR_MAX], b[NH_NODESET_STR_MAX];
	nh_nodeset_t outside;

	if (!r->req.has_from) {
		nh_nodeset_andnot(&r->from, &r->topo.has_memory, &r->target);
		return 0;
	}
	r->from = r->req.from;
	nh_nodeset_andnot(&outside, &r->from, &r->topo.online);
	if (!nh_nodeset_empty(&outside))
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "annotation " NH_ANNOTATION_PREFIX "from: node %s is not online "
			       "(online nodes: %s)",
			       FMT(&outside, a), FMT(&r->topo.online, b));
	return 0;
}

/* The limits the kernel and the container's parent cgroup put on the target. */
static int check_reachable(nh_place_t *r, nh_error_t *err)
{
	char a[NH_NODESET_STR_MAX], b[NH_NODESET_STR_MAX];
	nh_nodeset_t mine, outside;

	/* migrate_pages silently ANDs the target with the caller's cpuset. */
	if (nh_mems_allowed(r->proc_root, 0, &mine, err) < 0)
		return -1;
	nh_nodeset_andnot(&outside, &r->target, &mine);
	if (!nh_nodeset_empty(&outside))
		return nh_fail(err, NH_EXIT_SYSTEM, 0,
			       "the hook itself runs in a cpuset limited to nodes %s, so the kernel "
			       "would silently leave out node %s; run the hook outside that cpuset",
			       FMT(&mine, a), FMT(&outside, b));

	if (r->req.engine == NH_ENGINE_MOVE_PAGES && r->req.mems == NH_MEMS_KEEP &&
	    r->cg.has_cpuset) {
		nh_nodeset_t mems;

		if (nh_cgroup_read_mems(&r->cg, true, &mems, err) < 0)
			return -1;
		nh_nodeset_andnot(&outside, &r->target, &mems);
		if (!nh_nodeset_empty(&outside))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "%s: engine move_pages with mems=keep cannot place pages on "
				       "node %s, outside the container's cpuset.mems %s (use "
				       "mems=set or engine migrate_pages)",
				       r->nodes_what, FMT(&outside, a), FMT(&mems, b));
	}
	if (r->req.mems == NH_MEMS_SET) {
		nh_nodeset_t parent;

		if (!r->cg.has_cpuset) {
			char why[512];

			return nh_fail(err, NH_EXIT_SYSTEM, 0,
				       "mems=set needs the cpuset controller, which is not enabled "
				       "for cgroup %s%s",
				       r->cg.path, no_cpuset_why(r->cg.path, true, why, sizeof(why)));
		}
		if (nh_cgroup_read_parent_mems(&r->cg, &parent, err) < 0)
			return -1;
		nh_nodeset_andnot(&outside, &r->target, &parent);
		if (!nh_nodeset_empty(&outside))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "%s: node %s is outside the effective "
				       "mems %s of the parent of cgroup %s",
				       r->nodes_what, FMT(&outside, a),
				       FMT(&parent, b), nh_cgroup_top(&r->cg));
	}
	return 0;
}

int nh_place_check_request(nh_place_t *p, nh_error_t *err)
{
	if (nh_topology_read(p->sysfs_root, &p->topo, err) < 0)
		return -1;
	return p->req.nodes_kind == NH_NODES_AUTO ? 0 : resolve_target(p, err);
}

int nh_place_resolve_target(nh_place_t *p, nh_error_t *err)
{
	return resolve_target(p, err);
}

int nh_place_open_pid(nh_place_t *p, pid_t pid, bool any, nh_error_t *err)
{
	_cleanup_close_ int procfd = -1;
	char path[64];

	snprintf(path, sizeof(path), "%s/%d", p->proc_root, (int)pid);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "container process %d %s", (int)pid,
			       errno == ENOENT ? "does not exist" : "cannot be opened");
	return nh_cgroup_of_process(procfd, pid, any, &p->cg, err);
}

int nh_place_set_container(nh_place_t *p, const char *id, pid_t pid, nh_error_t *err)
{
	nh_cgroup_claim_ancestors(&p->cg, id);
	if (!p->cfg->verify_cgroup_id)
		return 0;
	if (!id || id[0] == '\0')
		return nh_fail(err, NH_EXIT_INVALID, 0, "OCI state has no \"id\"");
	if (!strstr(p->cg.path, id))
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "process %d is in cgroup %s, which does not name container %s: the "
			       "pid may belong to another process (for runtimes whose cgroup "
			       "path omits the id, set verify-cgroup-id = no)",
			       (int)pid, p->cg.path, nh_quote_whole(id, 0));
	return 0;
}

int nh_place_open_cgroup(nh_place_t *p, const char *path, nh_error_t *err)
{
	return nh_cgroup_open_path(path, &p->cg, err);
}

/* What cpuset.mems becomes with mems=set: the target; with an explicit
 * from, also the nodes of the container's effective mems that from leaves
 * alone, so that their pages are not moved by the kernel when it is
 * written (v2 always, v1 with memory_migrate): from keeps its promise. */
static int resolve_mems(nh_place_t *p, nh_error_t *err)
{
	nh_nodeset_t eff;

	p->mems = p->target;
	if (!p->req.has_from || p->req.mems != NH_MEMS_SET)
		return 0;
	if (nh_cgroup_read_mems(&p->cg, true, &eff, err) < 0)
		return -1;
	nh_nodeset_andnot(&eff, &eff, &p->from);
	nh_nodeset_or(&p->mems, &p->mems, &eff);
	return 0;
}

int nh_place_resolve(nh_place_t *p, nh_error_t *err)
{
	if (p->req.nodes_kind == NH_NODES_AUTO && resolve_target(p, err) < 0)
		return -1;
	if (resolve_from(p, err) < 0 || check_reachable(p, err) < 0)
		return -1;
	return resolve_mems(p, err);
}

/* move_pages refuses target nodes outside the task's cpuset, even for root:
 * widen the cgroup's mems to old and new before moving (widening moves
 * nothing), and leave it so. Narrowing back to the old
 * nodes would have the kernel move the pages back (v2 always, v1 with
 * memory_migrate): mems=keep with move_pages to a node outside it was
 * refused by nh_place_resolve(). */
static int widen_mems(nh_place_t *p, nh_error_t *err)
{
	if (p->req.engine != NH_ENGINE_MOVE_PAGES || !p->cg.has_cpuset)
		return 0;
	return nh_cgroup_widen_mems(&p->cg, &p->target, err);
}

int nh_place_run(nh_place_t *p, nh_error_t *err)
{
	const nh_config_t *cfg = p->cfg;
	nh_move_opts_t mo = { .cgroup = &p->cg,
			      .from = p->from,
			      .to = p->target,
			      .engine = p->req.engine,
			      /* move_pages calls of two workers wait for each other
			       * (each drains every CPU): one worker unless asked. */
			      .workers = cfg->workers ? cfg->workers :
					 p->req.engine == NH_ENGINE_MOVE_PAGES ? 1 : nh_pool_cpus(8),
			      .max_rounds = cfg->max_rounds,
			      .max_retries = cfg->max_retries,
			      .batch_us = cfg->batch_ms * 1000,
			      .deadline_ms = cfg->time_budget_ms ? nh_now_ms() + cfg->time_budget_ms : 0,
			      .count_left_on_source = !nh_has_cap_sys_nice(),
			      .progress = p->progress,
			      .progress_data = p->progress_data,
			      .stop = p->stop };
	nh_move_stats_t sweep = { 0 };
	nh_rate_limit_t rate;

	memset(&p->stats, 0, sizeof(p->stats));
	nh_rate_limit_init(&rate, p->req.rate);
	if (p->req.rate)
		mo.rate = &rate;
	if (widen_mems(p, err) < 0 || nh_move_cgroup(&mo, &p->stats, err) < 0)
		return -1;
	/* Past the time budget, cpuset.mems is not written again: the new
	 * nodes alone would have the kernel move the rest within the write,
	 * the old alone would have it move back what moved (v2 always; v1
	 * with memory_migrate), neither with a bound on its time. It stays as
	 * it was, or old and new where move_pages needed it widened. */
	if (p->stats.budget_hit || p->req.mems == NH_MEMS_KEEP)
		return 0;
	if (nh_cgroup_enable_memory_migrate(&p->cg, err) < 0 ||
	    nh_cgroup_write_mems(&p->cg, &p->mems, err) < 0)
		return -1;
	if (nh_nodeset_empty(&p->from))
		return 0;
	/* Processes that allocated or appeared meanwhile. */
	mo.progress = NULL;
	if (nh_move_cgroup(&mo, &sweep, err) < 0)
		return -1;
	p->stats.moved += sweep.moved;
	p->stats.not_moved = sweep.not_moved;
	p->stats.vanished += sweep.vanished;
	p->stats.calls += sweep.calls;
	if (sweep.max_call_us > p->stats.max_call_us)
		p->stats.max_call_us = sweep.max_call_us;
	p->stats.still_growing = sweep.still_growing;
	p->stats.budget_hit = sweep.budget_hit;
	return 0;
}
