/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "hook/hook.h"
#include "place/place.h"
#include "numa/migrate.h"
#include "oci/config.h"
#include "oci/request.h"
#include "oci/state.h"

#define FMT(set, buf) nh_nodeset_format((set), (buf), sizeof(buf))

static const char *const stages[] = { "prestart", "createRuntime", "poststart" };

static const char *const request_options[] = { "nodes", "from", "mems", "on-error", "engine",
						 "rate" };

int nh_hook_request_option(const char *name)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(request_options); i++)
		if (strcmp(name, request_options[i]) == 0)
			return 1;
	return 0;
}

/* Command-line options join the state's annotations: an annotation that
 * is also given must agree with the option (the device the user chose). */
static int merge_args(const nh_hook_opts_t *opts, nh_state_t *st, nh_error_t *err)
{
	for (unsigned i = 0; i < opts->n_args; i++) {
		char key[64];
		const char *have;
		nh_annotation_t *a;

		snprintf(key, sizeof(key), NH_ANNOTATION_PREFIX "%s", opts->arg_keys[i]);
		have = nh_state_annotation(st, key);
		if (have) {
			if (strcmp(have, opts->arg_values[i]) != 0)
				return nh_fail(err, NH_EXIT_INVALID, 0,
					       "annotation %s=\"%s\" disagrees with the hook's option "
					       "--%s %s",
					       key, nh_quote(have, strlen(have), 0), opts->arg_keys[i],
					       nh_quote(opts->arg_values[i], strlen(opts->arg_values[i]), 1));
			continue;
		}
		a = realloc(st->annotations, (st->n_annotations + 1) * sizeof(*a));
		if (!a)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "annotations");
		st->annotations = a;
		a[st->n_annotations].key = strdup(key);
		a[st->n_annotations].value = strdup(opts->arg_values[i]);
		st->n_annotations++;
		if (!a[st->n_annotations - 1].key || !a[st->n_annotations - 1].value)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "annotations");
	}
	return 0;
}

int nh_hook_stage_known(const char *stage)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(stages); i++)
		if (strcmp(stage, stages[i]) == 0)
			return 1;
	return 0;
}

static int run_annotated(const nh_hook_opts_t *opts, const nh_config_t *cfg,
			 const nh_state_t *state, nh_error_t *err)
{
	char t[NH_NODESET_STR_MAX], f[NH_NODESET_STR_MAX], m[NH_NODESET_STR_MAX];
	char what[NH_ANNOTATION_VALUE_MAX + 64];
	const char *value = nh_state_annotation(state, NH_ANNOTATION_NODES);
	uint64_t start = nh_now_ms();
	nh_nodeset_t mems_now;
	nh_place_t p;
	int ret = -1;

	nh_place_init(&p, cfg);
	p.sysfs_root = opts->sysfs_root;
	p.proc_root = opts->proc_root;
	snprintf(what, sizeof(what), "%s %s=\"%s\"",
		 opts->n_args ? "request" : "annotation", NH_ANNOTATION_NODES,
		 nh_quote(value, strlen(value), 3));
	p.nodes_what = what;
	if (nh_request_parse(state, cfg, &p.req, err) < 0 || nh_place_check_request(&p, err) < 0)
		goto out;
	if (state->pid <= 0) {
		nh_fail(err, NH_EXIT_INVALID, 0,
			"OCI state has no \"pid\" (stage %s needs the container's process)",
			opts->stage);
		goto out;
	}
	if (nh_place_open_pid(&p, state->pid, false, err) < 0 ||
	    nh_place_set_container(&p, state->id, state->pid, err) < 0 ||
	    nh_place_resolve(&p, err) < 0 || nh_place_run(&p, err) < 0)
		goto out;

	if (!p.cg.has_cpuset || nh_cgroup_read_mems(&p.cg, false, &mems_now, err) < 0)
		nh_nodeset_clear(&mems_now);
	nh_error_clear(err);
	nh_info("summary stage=%s cgroup=%s nodes=%s from=%s processes=%u moved=%llu "
		"not_moved=%llu mems=%s cpuset.mems=%s engine=%s max_call_us=%llu ms=%llu",
		opts->stage, p.cg.path, FMT(&p.target, t), nh_nodeset_name(&p.from, f, sizeof(f)), p.stats.processes,
		(unsigned long long)p.stats.moved, (unsigned long long)p.stats.not_moved,
		nh_mems_mode_name(p.req.mems), p.cg.has_cpuset ? FMT(&mems_now, m) : "-",
		nh_engine_name(p.req.engine), (unsigned long long)p.stats.max_call_us,
		(unsigned long long)(nh_now_ms() - start));
	if (p.stats.still_growing)
		nh_warn("new processes kept appearing in cgroup %s after %u rounds; the last ones "
			"were not migrated",
			p.cg.path, cfg->max_rounds);
	if (p.stats.budget_hit) {
		nh_fail(err, NH_EXIT_SYSTEM, 0,
			"stopped at the time budget of %llu ms (time-budget-ms) after moving %llu "
			"pages, with pages left on node %s and cpuset.mems left at %s; run "
			"oci-numa-hook migrate to finish",
			(unsigned long long)cfg->time_budget_ms, (unsigned long long)p.stats.moved,
			f, p.cg.has_cpuset ? m : "-");
		goto out;
	}
	if (p.stats.not_moved > 0) {
		nh_fail(err, NH_EXIT_SYSTEM, 0,
			"%llu pages could not be moved to node %s after %u retries%s",
			(unsigned long long)p.stats.not_moved, t, cfg->max_retries,
			nh_has_cap_sys_nice() ? "" :
						" (the hook lacks CAP_SYS_NICE: pages that other "
						"processes map too cannot move)");
		goto out;
	}
	ret = 0;
out:
	nh_place_close(&p);
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
	nh_log_set_container(state.id);
	if (merge_args(opts, &state, &err) < 0) {
		nh_error("%s", err.msg);
		nh_state_free(&state);
		return err.status;
	}
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
