#include "config.h"

#include <fcntl.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "common/log.h"
#include "common/util.h"
#include "hook/hook.h"
#include "hook/move.h"
#include "numa/topology.h"
#include "oci/config.h"
#include "oci/request.h"
#include "oci/state.h"

static const char *const stages[] = { "prestart", "createRuntime", "poststart" };

int nh_hook_stage_known(const char *stage)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(stages); i++)
		if (strcmp(stage, stages[i]) == 0)
			return 1;
	return 0;
}

/* Everything a run has found out, for the checks and the summary. */
struct run {
	const nh_hook_opts_t *opts;
	const nh_config_t *cfg;
	const nh_state_t *state;
	nh_request_t req;
	nh_topology_t topo;
	nh_cgroup_t cg;
	nh_nodeset_t target, from;
};

#define FMT(set, buf) nh_nodeset_format((set), (buf), sizeof(buf))

/* The annotation as the user wrote it, for messages. */
static const char *nodes_value(const struct run *r)
{
	const char *v = nh_state_annotation(r->state, NH_ANNOTATION_NODES);

	return nh_quote(v, strlen(v), 3);
}

/* The target node set: the annotation's list, or what all/auto stand for. */
static int resolve_target(struct run *r, nh_error_t *err)
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

		if (!r->cg.has_cpuset)
			return nh_fail(err, NH_EXIT_SYSTEM, 0,
				       "nodes=auto needs the cpuset controller, which is not enabled "
				       "for cgroup %s",
				       r->cg.path);
		if (nh_cgroup_read_cpus(&r->cg, &cpus, err) < 0 ||
		    nh_topology_nodes_of_cpus(r->opts->sysfs_root, &r->topo, &cpus, &r->target,
					      err) < 0)
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
			       "annotation %s=\"%s\": node %s is not online or has no memory "
			       "(nodes with memory: %s)",
			       NH_ANNOTATION_NODES, nodes_value(r), FMT(&outside, a),
			       FMT(&r->topo.has_memory, b));
	if (!r->cfg->allowed_all) {
		nh_nodeset_andnot(&outside, &r->target, &r->cfg->allowed_nodes);
		if (!nh_nodeset_empty(&outside))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "annotation %s=\"%s\": node %s is not allowed by the admin "
				       "configuration (allowed-nodes = %s)",
				       NH_ANNOTATION_NODES, nodes_value(r), FMT(&outside, a),
				       FMT(&r->cfg->allowed_nodes, b));
	}
	return 0;
}

static int resolve_from(struct run *r, nh_error_t *err)
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
static int check_reachable(struct run *r, nh_error_t *err)
{
	char a[NH_NODESET_STR_MAX], b[NH_NODESET_STR_MAX];
	nh_nodeset_t mine, outside;

	/* migrate_pages silently ANDs the target with the caller's cpuset. */
	if (nh_mems_allowed(r->opts->proc_root, 0, &mine, err) < 0)
		return -1;
	nh_nodeset_andnot(&outside, &r->target, &mine);
	if (!nh_nodeset_empty(&outside))
		return nh_fail(err, NH_EXIT_SYSTEM, 0,
			       "the hook itself runs in a cpuset limited to nodes %s, so the kernel "
			       "would silently leave out node %s; run the hook outside that cpuset",
			       FMT(&mine, a), FMT(&outside, b));

	if (r->req.mems == NH_MEMS_SET) {
		nh_nodeset_t parent;

		if (!r->cg.has_cpuset)
			return nh_fail(err, NH_EXIT_SYSTEM, 0,
				       "mems=set needs the cpuset controller, which is not enabled "
				       "for cgroup %s (use mems=keep to only move pages)",
				       r->cg.path);
		if (nh_cgroup_read_parent_mems(&r->cg, &parent, err) < 0)
			return -1;
		nh_nodeset_andnot(&outside, &r->target, &parent);
		if (!nh_nodeset_empty(&outside))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "annotation %s=\"%s\": node %s is outside the effective "
				       "mems %s of the parent of cgroup %s",
				       NH_ANNOTATION_NODES, nodes_value(r), FMT(&outside, a),
				       FMT(&parent, b), r->cg.path);
	}
	return 0;
}

static int open_container(struct run *r, nh_error_t *err)
{
	pid_t pid = r->state->pid;
	char path[64];
	_cleanup_close_ int procfd = -1;

	if (pid <= 0)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "OCI state has no \"pid\" (stage %s needs the container's process)",
			       r->opts->stage);
	snprintf(path, sizeof(path), "%s/%d", r->opts->proc_root, (int)pid);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return nh_fail(err, errno == ENOENT ? NH_EXIT_SYSTEM : NH_EXIT_SYSTEM, errno,
			       "container process %d %s", (int)pid,
			       errno == ENOENT ? "does not exist" : "cannot be opened");
	return nh_cgroup_of_process(procfd, pid, &r->cg, err);
}

static int place_memory(struct run *r, nh_move_stats_t *total, nh_error_t *err)
{
	nh_move_opts_t mo = { .cgroup = &r->cg,
			      .from = r->from,
			      .to = r->target,
			      .max_rounds = r->cfg->max_rounds,
			      .max_retries = r->cfg->max_retries };
	nh_move_stats_t sweep = { 0 };
	bool nothing_to_move = nh_nodeset_empty(&r->from);

	if (nh_move_cgroup(&mo, total, err) < 0)
		return -1;
	if (r->req.mems == NH_MEMS_KEEP)
		return 0;
	if (nh_cgroup_enable_memory_migrate(&r->cg, err) < 0 ||
	    nh_cgroup_write_mems(&r->cg, &r->target, err) < 0)
		return -1;
	if (nothing_to_move)
		return 0;
	/* Processes that allocated or appeared meanwhile. */
	if (nh_move_cgroup(&mo, &sweep, err) < 0)
		return -1;
	total->moved += sweep.moved;
	total->not_moved = sweep.not_moved;
	total->vanished += sweep.vanished;
	total->still_growing = sweep.still_growing;
	return 0;
}

static int run_annotated(const nh_hook_opts_t *opts, const nh_config_t *cfg,
			 const nh_state_t *state, nh_error_t *err)
{
	char t[NH_NODESET_STR_MAX], f[NH_NODESET_STR_MAX], m[NH_NODESET_STR_MAX];
	struct run r = { .opts = opts, .cfg = cfg, .state = state };
	nh_move_stats_t stats = { 0 };
	nh_nodeset_t mems_now;
	uint64_t start = nh_now_ms();
	int ret = -1;

	r.cg.dirfd = -1;
	if (nh_request_parse(state, cfg, &r.req, err) < 0 ||
	    nh_topology_read(opts->sysfs_root, &r.topo, err) < 0)
		goto out;
	/* Node lists are checked before the container is looked at, so that a
	 * bad request fails the same way whatever the container's state. */
	if (r.req.nodes_kind != NH_NODES_AUTO && (resolve_target(&r, err) < 0))
		goto out;
	if (open_container(&r, err) < 0)
		goto out;
	if ((r.req.nodes_kind == NH_NODES_AUTO && resolve_target(&r, err) < 0) ||
	    resolve_from(&r, err) < 0 || check_reachable(&r, err) < 0 ||
	    place_memory(&r, &stats, err) < 0)
		goto out;

	if (!r.cg.has_cpuset || nh_cgroup_read_mems(&r.cg, false, &mems_now, err) < 0)
		nh_nodeset_clear(&mems_now);
	nh_error_clear(err);
	nh_info("summary stage=%s cgroup=%s nodes=%s from=%s processes=%u moved=%llu "
		"not_moved=%llu mems=%s cpuset.mems=%s ms=%llu",
		opts->stage, r.cg.path, FMT(&r.target, t), FMT(&r.from, f), stats.processes,
		(unsigned long long)stats.moved, (unsigned long long)stats.not_moved,
		nh_mems_mode_name(r.req.mems), r.cg.has_cpuset ? FMT(&mems_now, m) : "-",
		(unsigned long long)(nh_now_ms() - start));
	if (stats.still_growing)
		nh_warn("new processes kept appearing in cgroup %s after %u rounds; the last ones "
			"were not migrated",
			r.cg.path, cfg->max_rounds);
	if (stats.not_moved > 0) {
		nh_fail(err, NH_EXIT_SYSTEM, 0,
			"%llu pages could not be moved to node %s after %u retries",
			(unsigned long long)stats.not_moved, t, cfg->max_retries);
		goto out;
	}
	ret = 0;
out:
	nh_cgroup_close(&r.cg);
	return ret;
}

int nh_hook_run(const nh_hook_opts_t *opts, int state_fd)
{
	_cleanup_free_ char *text = NULL;
	nh_state_t state = { 0 };
	nh_config_t cfg;
	nh_error_t err = { 0 };
	enum nh_on_error on_error;
	size_t len;
	int r;

	r = nh_read_all(state_fd, NH_STATE_MAX, &text, &len);
	if (r == -E2BIG) {
		nh_error("OCI state on stdin is larger than %d bytes", NH_STATE_MAX);
		return NH_EXIT_INVALID;
	}
	if (r < 0) {
		nh_error("cannot read the OCI state on stdin: %s", strerror(-r));
		return NH_EXIT_INVALID;
	}
	if (nh_state_parse(text, len, &state, &err) < 0) {
		nh_error("%s", err.msg);
		return err.status;
	}
	nh_log_set_id(state.id);
	/* The common case: nothing asked, nothing done, nothing read. */
	if (!nh_state_annotation(&state, NH_ANNOTATION_NODES)) {
		nh_state_free(&state);
		return NH_EXIT_OK;
	}

	nh_config_defaults(&cfg);
	if (nh_config_load(opts->config_path, &cfg, &err) < 0) {
		nh_error("%s", err.msg);
		nh_state_free(&state);
		nh_config_free(&cfg);
		return err.status;
	}
	nh_log_set_level(cfg.log_level);
	nh_log_set_file(cfg.log_file);
	on_error = nh_request_on_error(&state, &cfg);

	nh_debug("stage %s, container process %d", opts->stage, (int)state.pid);
	if (run_annotated(opts, &cfg, &state, &err) < 0) {
		if (on_error == NH_ON_ERROR_WARN) {
			nh_warn("%s (on-error=warn: the container goes on)", err.msg);
			err.status = NH_EXIT_OK;
		} else {
			nh_error("%s", err.msg);
		}
	}
	nh_log_set_file(NULL);
	nh_state_free(&state);
	nh_config_free(&cfg);
	return err.status;
}
