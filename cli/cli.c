/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "cli/cli.h"
#include "place/place.h"
#include "place/survey.h"
#include "cli/containers.h"
#include "cli/overview.h"
#include "oci/config.h"
#include "oci/request.h"
#include "oci/runtime_files.h"

#define FMT(set, buf) nh_nodeset_format((set), (buf), sizeof(buf))
#define MIB(pages) nh_pages_mib(pages)

/* The container a command works on. */
struct target {
	const char *id_prefix; /* an id, unique id prefix or name */
	const char *pod;       /* NAMESPACE/NAME */
	const char *container; /* with pod */
	const char *cgroup;
	const char *root;
	pid_t pid;
	char *id;    /* full id when found by id, name or pod */
	char *label; /* pod/container or name, when known */
};

static int fail(nh_error_t *err)
{
	nh_error("%s", err->msg);
	return err->status;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	nh_log_set_syslog(false);
	nh_error("%s: %s%s (see oci-numa-hook --help)", cmd, fmt, arg ? arg : "");
	return NH_EXIT_INVALID;
}

static int parse_pid_arg(const char *s, pid_t *pid)
{
	uint64_t v;

	if (!nh_parse_u64(s, strlen(s), INT32_MAX, &v) || v == 0)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* Exactly one of ID, --pod, --pid, --cgroup. */
static int check_target(const char *cmd, struct target *t)
{
	int given = (t->id_prefix != NULL) + (t->pid > 0) + (t->cgroup != NULL) + (t->pod != NULL);

	if (t->container && !t->pod)
		return usage_error(cmd, "--container needs --pod NAMESPACE/NAME", NULL);
	if (given == 0)
		return usage_error(cmd,
				   "missing TARGET (a container id or name, --pod NAMESPACE/NAME, "
				   "--pid PID or --cgroup PATH)",
				   NULL);
	if (given > 1)
		return usage_error(cmd,
				   "give one TARGET: a container id or name, --pod, --pid or "
				   "--cgroup",
				   NULL);
	return 0;
}

/* A container named by id, name or pod: its full id and process. */
static int find_container(struct target *t, nh_error_t *err)
{
	nh_containers_t l;
	nh_container_t *c;
	char label[512];
	int r;

	if (nh_containers_list(t->root, &l, err) < 0)
		return -1;
	r = t->pod ? nh_containers_find_pod(&l, t->pod, t->container, &c, err) :
		     nh_containers_find(&l, t->id_prefix, &c, err);
	if (r == 0) {
		const char *known = nh_container_label(c, label, sizeof(label));

		t->id = strdup(c->id);
		t->label = known ? strdup(known) : NULL;
		t->pid = c->pid;
		if (!t->id || (known && !t->label))
			r = nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "container");
	}
	nh_containers_free(&l);
	if (r == 0)
		nh_log_set_id(t->id);
	return r;
}

/* any: a process outside a container cgroup too (status reads only). */
static int open_target(nh_place_t *p, struct target *t, bool any, nh_error_t *err)
{
	if (t->cgroup)
		return nh_place_open_cgroup(p, t->cgroup, err);
	if (t->id_prefix || t->pod) {
		if (find_container(t, err) < 0 || nh_place_open_pid(p, t->pid, false, err) < 0)
			return -1;
		return nh_place_set_container(p, t->id, t->pid, err);
	}
	return nh_place_open_pid(p, t->pid, any, err);
}

static void target_free(struct target *t)
{
	free(t->id);
	free(t->label);
}

static void print_header(const nh_place_t *p, const struct target *t, FILE *out)
{
	char m[NH_NODESET_STR_MAX], e[NH_NODESET_STR_MAX];
	nh_nodeset_t mems, eff;
	nh_error_t err = { 0 };

	if (t->id)
		fprintf(out, "container %s%s%s%s\n", t->id, t->label ? " (" : "",
			t->label ? nh_quote_whole(t->label, 0) : "", t->label ? ")" : "");
	fprintf(out, "cgroup    %s (%s%s)\n", p->cg.path, p->cg.v1 ? "cgroup v1 cpuset" : "cgroup v2",
		p->cg.shared ? "; not a container cgroup: this process only" : "");
	if (p->cg.has_cpuset && nh_cgroup_read_mems(&p->cg, false, &mems, &err) == 0 &&
	    nh_cgroup_read_mems(&p->cg, true, &eff, &err) == 0)
		fprintf(out, "cpuset.mems %s (effective %s)\n", FMT(&mems, m)[0] ? m : "(empty)",
			FMT(&eff, e));
	else
		fprintf(out, "cpuset.mems - (no cpuset controller)\n");
}

/* A process outside any container is shown alone, like numastat -p: its
 * cgroup (the root, or the caller's own) holds the whole host. */
static int survey_target(const nh_place_t *p, const struct target *t, nh_survey_t *s,
			 nh_error_t *err)
{
	if (p->cg.shared)
		return nh_survey_collect_pid(&p->cg, t->pid, &p->topo.has_memory, s, err);
	return nh_survey_collect(&p->cg, &p->topo.has_memory, s, err);
}

static int cmd_status_run(struct target *t, const nh_config_t *cfg, bool json)
{
	nh_place_t p;
	nh_survey_t s;
	nh_error_t err = { 0 };
	int r;

	nh_place_init(&p, cfg);
	if (nh_topology_read(p.sysfs_root, &p.topo, &err) < 0 || open_target(&p, t, true, &err) < 0 ||
	    survey_target(&p, t, &s, &err) < 0) {
		nh_place_close(&p);
		return fail(&err);
	}
	if (json) {
		char m[NH_NODESET_STR_MAX], e[NH_NODESET_STR_MAX];
		nh_nodeset_t mems, eff;
		bool have = p.cg.has_cpuset && nh_cgroup_read_mems(&p.cg, false, &mems, &err) == 0 &&
			    nh_cgroup_read_mems(&p.cg, true, &eff, &err) == 0;

		printf("{\"container\":");
		if (t->id)
			nh_json_string(stdout, t->id);
		else
			printf("null");
		printf(",\"name\":");
		if (t->label)
			nh_json_string(stdout, t->label);
		else
			printf("null");
		printf(",\"container_cgroup\":%s", p.cg.shared ? "false" : "true");
		printf(",\"cgroup\":");
		nh_json_string(stdout, p.cg.path);
		printf(",\"cgroup_version\":%d,\"cpuset_mems\":", p.cg.v1 ? 1 : 2);
		if (have)
			printf("\"%s\",\"effective_mems\":\"%s\"", FMT(&mems, m), FMT(&eff, e));
		else
			printf("null,\"effective_mems\":null");
		printf(",\"memory\":");
		nh_survey_print_json(&s, stdout);
		printf("}\n");
	} else {
		print_header(&p, t, stdout);
		printf("\nPer-node resident memory (MiB):\n");
		nh_survey_print_table(&s, stdout);
	}
	r = fflush(stdout) == 0 ? NH_EXIT_OK : NH_EXIT_SYSTEM;
	nh_survey_free(&s);
	nh_place_close(&p);
	return r;
}

enum { OPT_PID = 256, OPT_CGROUP, OPT_ROOT, OPT_JSON, OPT_TO, OPT_FROM, OPT_MEMS, OPT_DRY_RUN,
       OPT_CONFIG, OPT_HOOKS_JSON, OPT_ENGINE, OPT_RATE, OPT_POD, OPT_CONTAINER, OPT_ALL,
       OPT_PROMETHEUS };

static const struct option target_options[] = {
	{ "pid", required_argument, NULL, OPT_PID },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "to", required_argument, NULL, OPT_TO },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "mems", required_argument, NULL, OPT_MEMS },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "hooks-json", required_argument, NULL, OPT_HOOKS_JSON },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "pod", required_argument, NULL, OPT_POD },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
	{ NULL, 0, NULL, 0 },
};

struct args {
	struct target target;
	bool json, dry_run, all, prometheus;
	const char *to, *from, *mems, *config, *engine, *rate;
	const char *hooks_json[16];
	size_t n_hooks_json;
};

/* Parse the options a command accepts (allowed: a string of OPT_ codes). */
static int parse_args(const char *cmd, int argc, char **argv, const int *allowed, struct args *a)
{
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", target_options, NULL)) != -1) {
		bool ok = false;

		for (const int *o = allowed; *o; o++)
			ok = ok || *o == c;
		if (c == '?' || !ok)
			return usage_error(cmd, "unknown option ", argv[optind - 1]);
		switch (c) {
		case OPT_PID:
			if (parse_pid_arg(optarg, &a->target.pid) < 0)
				return usage_error(cmd, "--pid expects a process id, got ", optarg);
			break;
		case OPT_CGROUP:
			a->target.cgroup = optarg;
			break;
		case OPT_ROOT:
			a->target.root = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_TO:
			a->to = optarg;
			break;
		case OPT_FROM:
			a->from = optarg;
			break;
		case OPT_MEMS:
			a->mems = optarg;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case OPT_ENGINE:
			a->engine = optarg;
			break;
		case OPT_RATE:
			a->rate = optarg;
			break;
		case OPT_POD:
			a->target.pod = optarg;
			break;
		case OPT_CONTAINER:
			a->target.container = optarg;
			break;
		case OPT_ALL:
			a->all = true;
			break;
		case OPT_PROMETHEUS:
			a->prometheus = true;
			break;
		case OPT_HOOKS_JSON:
			if (a->n_hooks_json == NH_ARRAY_SIZE(a->hooks_json))
				return usage_error(cmd, "too many --hooks-json", NULL);
			a->hooks_json[a->n_hooks_json++] = optarg;
			break;
		}
	}
	if (optind < argc)
		a->target.id_prefix = argv[optind++];
	if (optind < argc)
		return usage_error(cmd, "unexpected argument ", argv[optind]);
	return 0;
}

static int status_all(const struct args *a, const nh_config_t *cfg)
{
	nh_overview_t o;
	nh_error_t err = { 0 };

	if (nh_overview_collect(a->target.root, cfg->verify_cgroup_id, &o, &err) < 0)
		return fail(&err);
	if (a->json)
		nh_overview_print_json(&o, stdout);
	else if (a->prometheus)
		nh_overview_print_prometheus(&o, stdout);
	else
		nh_overview_print_table(&o, stdout);
	nh_overview_free(&o);
	return fflush(stdout) == 0 ? NH_EXIT_OK : NH_EXIT_SYSTEM;
}

int nh_cmd_status(int argc, char **argv)
{
	static const int allowed[] = { OPT_PID,	 OPT_CGROUP, OPT_ROOT,	     OPT_JSON,	 OPT_POD,
				       OPT_CONTAINER, OPT_ALL,	  OPT_PROMETHEUS, OPT_CONFIG, 0 };
	struct args a = { 0 };
	nh_error_t err = { 0 };
	nh_config_t cfg;
	int r;

	if (parse_args("status", argc, argv, allowed, &a) != 0)
		return NH_EXIT_INVALID;
	if (a.json && a.prometheus)
		return usage_error("status", "--json and --prometheus exclude each other", NULL);
	if (a.prometheus && !a.all)
		return usage_error("status", "--prometheus goes with --all", NULL);
	if (a.all && (a.target.id_prefix || a.target.pod || a.target.container ||
		      a.target.pid > 0 || a.target.cgroup))
		return usage_error("status", "--all takes no TARGET (only --root DIR)", NULL);
	if (!a.all && check_target("status", &a.target) != 0)
		return NH_EXIT_INVALID;
	/* The admin configuration decides verify-cgroup-id. */
	nh_config_defaults(&cfg);
	if (nh_config_load(a.config ? a.config : NH_CONFIG_FILE, &cfg, &err) < 0) {
		nh_config_free(&cfg);
		return fail(&err);
	}
	r = a.all ? status_all(&a, &cfg) : cmd_status_run(&a.target, &cfg, a.json);
	target_free(&a.target);
	nh_config_free(&cfg);
	return r;
}

struct progress {
	uint64_t total;
	uint64_t start_ms;
	bool shown;
};

static void show_progress(const nh_move_stats_t *stats, void *data)
{
	struct progress *pr = data;
	double secs = (double)(nh_now_ms() - pr->start_ms) / 1000.0;
	double rate = secs > 0 ? MIB(stats->moved) / secs : 0;
	double left = pr->total > stats->moved ? MIB(pr->total - stats->moved) : 0;

	fprintf(stderr, "\rmoved %llu of %llu pages, %.1f MiB/s, ETA %.1f s   ",
		(unsigned long long)stats->moved, (unsigned long long)pr->total, rate,
		rate > 0 ? left / rate : 0.0);
	pr->shown = true;
}

/* The CLI's options, in the hook's vocabulary, so that the same parser and
 * the same admin rules apply. */
static int build_request(const struct args *a, nh_config_t *cfg, nh_place_t *p, nh_error_t *err)
{
	nh_annotation_t ann[5];
	nh_state_t st = { .annotations = ann };

	ann[st.n_annotations++] = (nh_annotation_t){ (char *)NH_ANNOTATION_NODES, (char *)a->to };
	if (a->from)
		ann[st.n_annotations++] =
			(nh_annotation_t){ (char *)NH_ANNOTATION_PREFIX "from", (char *)a->from };
	if (a->mems)
		ann[st.n_annotations++] =
			(nh_annotation_t){ (char *)NH_ANNOTATION_PREFIX "mems", (char *)a->mems };
	if (a->engine)
		ann[st.n_annotations++] =
			(nh_annotation_t){ (char *)NH_ANNOTATION_PREFIX "engine", (char *)a->engine };
	if (a->rate)
		ann[st.n_annotations++] =
			(nh_annotation_t){ (char *)NH_ANNOTATION_PREFIX "rate", (char *)a->rate };
	/* The operator is not an untrusted annotation: every option may set
	 * what it names; allowed-nodes, allowed-engines and max-rate still bind. */
	cfg->overrides = NH_OVERRIDE_ALL;
	return nh_request_parse(&st, cfg, &p->req, err);
}

/* What migrate would do, in the words of its summary line. */
static void print_dry_run(const nh_place_t *p, const nh_survey_t *before, uint64_t pages)
{
	char t[NH_NODESET_STR_MAX], f[NH_NODESET_STR_MAX], m[NH_NODESET_STR_MAX];
	nh_nodeset_t stay;

	if (nh_nodeset_empty(&p->from))
		printf("\ndry run: nothing would move (no node with memory besides the target %s)",
		       FMT(&p->target, t));
	else
		printf("\ndry run: would move %llu pages (%.1f MiB) of %zu processes from node %s to "
		       "node %s",
		       (unsigned long long)pages, MIB(pages), before->n_procs, FMT(&p->from, f),
		       FMT(&p->target, t));
	if (p->req.mems != NH_MEMS_SET) {
		printf("; cpuset.mems kept\n");
		return;
	}
	printf("; cpuset.mems would be set to %s", FMT(&p->mems, m));
	nh_nodeset_andnot(&stay, &p->mems, &p->target);
	if (!nh_nodeset_empty(&stay))
		printf(" (node %s stays: --from leaves its pages there)", FMT(&stay, f));
	printf("\n");
}

static int migrate_run(struct args *a)
{
	char t[NH_NODESET_STR_MAX], f[NH_NODESET_STR_MAX], what[256];
	struct progress pr = { 0 };
	nh_survey_t before = { 0 }, after = { 0 };
	nh_error_t err = { 0 };
	nh_config_t cfg;
	nh_place_t p;
	uint64_t start, ms;
	int status = NH_EXIT_OK;

	nh_config_defaults(&cfg);
	nh_place_init(&p, &cfg);
	snprintf(what, sizeof(what), "--to \"%s\"", nh_quote(a->to, strlen(a->to), 0));
	p.nodes_what = what;
	if (nh_config_load(a->config ? a->config : NH_CONFIG_FILE, &cfg, &err) < 0 ||
	    build_request(a, &cfg, &p, &err) < 0 || nh_place_check_request(&p, &err) < 0 ||
	    open_target(&p, &a->target, false, &err) < 0 || nh_place_resolve(&p, &err) < 0 ||
	    nh_survey_collect(&p.cg, &p.topo.has_memory, &before, &err) < 0)
		goto out;

	print_header(&p, &a->target, stdout);
	printf("\nBefore (MiB):\n");
	nh_survey_print_table(&before, stdout);
	pr.total = nh_survey_sum(&before, &p.from);
	if (a->dry_run) {
		print_dry_run(&p, &before, pr.total);
		goto out;
	}
	fflush(stdout);
	if (isatty(STDERR_FILENO)) {
		p.progress = show_progress;
		p.progress_data = &pr;
	}
	pr.start_ms = start = nh_now_ms();
	if (nh_place_run(&p, &err) < 0)
		goto out;
	ms = nh_now_ms() - start;
	if (pr.shown)
		fprintf(stderr, "\n");
	if (nh_survey_collect(&p.cg, &p.topo.has_memory, &after, &err) < 0)
		goto out;
	printf("\nAfter (MiB):\n");
	nh_survey_print_table(&after, stdout);
	printf("\nmigrate: moved %llu pages (%.1f MiB) of %u processes from node %s to node %s in "
	       "%llu ms (%.1f MiB/s, engine %s, longest call %.1f ms); not moved %llu\n",
	       (unsigned long long)p.stats.moved, MIB(p.stats.moved), p.stats.processes,
	       nh_nodeset_name(&p.from, f, sizeof(f)), FMT(&p.target, t), (unsigned long long)ms,
	       ms ? MIB(p.stats.moved) * 1000.0 / (double)ms : 0.0, nh_engine_name(p.req.engine),
	       (double)p.stats.max_call_us / 1000.0, (unsigned long long)p.stats.not_moved);
	if (p.stats.budget_hit)
		nh_fail(&err, NH_EXIT_SYSTEM, 0,
			"stopped at the time budget of %llu ms (time-budget-ms) with pages left on "
			"node %s; cpuset.mems unchanged",
			(unsigned long long)cfg.time_budget_ms, f);
	else if (p.stats.not_moved > 0)
		nh_fail(&err, NH_EXIT_SYSTEM, 0, "%llu pages could not be moved to node %s",
			(unsigned long long)p.stats.not_moved, t);
out:
	fflush(stdout);
	if (err.status)
		status = fail(&err);
	nh_survey_free(&before);
	nh_survey_free(&after);
	nh_place_close(&p);
	nh_config_free(&cfg);
	return status;
}

int nh_cmd_migrate(int argc, char **argv)
{
	static const int allowed[] = { OPT_PID,	 OPT_CGROUP, OPT_ROOT,	 OPT_TO,     OPT_FROM,
				       OPT_MEMS,	 OPT_DRY_RUN, OPT_CONFIG, OPT_ENGINE, OPT_RATE,
				       OPT_POD,	 OPT_CONTAINER, 0 };
	struct args a = { 0 };
	int r;

	if (parse_args("migrate", argc, argv, allowed, &a) != 0 ||
	    check_target("migrate", &a.target) != 0)
		return NH_EXIT_INVALID;
	if (!a.to)
		return usage_error("migrate", "missing --to NODES", NULL);
	r = migrate_run(&a);
	target_free(&a.target);
	return r;
}

static int validate_hooks_json(const char *path)
{
	_cleanup_free_ char *text = NULL;
	nh_error_t err = { 0 };
	const char *stage = NULL;
	size_t len;
	int r = nh_read_file_at(AT_FDCWD, path, 1024 * 1024, &text, &len);

	if (r < 0) {
		nh_fail(&err, NH_EXIT_INVALID, -r, "cannot read hooks.d file %s", path);
		return fail(&err);
	}
	if (nh_hooks_json_check(text, len, path, &stage, &err) < 0)
		return fail(&err);
	printf("%s: ok (stage %s)\n", path, stage);
	return NH_EXIT_OK;
}

int nh_cmd_validate(int argc, char **argv)
{
	static const int allowed[] = { OPT_CONFIG, OPT_HOOKS_JSON, 0 };
	const char *config;
	struct args a = { 0 };
	nh_error_t err = { 0 };
	nh_config_t cfg;
	int status = NH_EXIT_OK;

	nh_log_set_syslog(false);
	if (parse_args("validate", argc, argv, allowed, &a) != 0)
		return NH_EXIT_INVALID;
	if (a.target.id_prefix)
		return usage_error("validate", "unexpected argument ", a.target.id_prefix);
	config = a.config ? a.config : NH_CONFIG_FILE;
	nh_config_defaults(&cfg);
	if (nh_config_load(config, &cfg, &err) < 0)
		status = fail(&err);
	else if (access(config, F_OK) != 0)
		printf("%s: not present, the built-in defaults apply\n", config);
	else
		printf("%s: ok\n", config);
	nh_config_free(&cfg);

	if (a.n_hooks_json == 0) {
		glob_t g;

		/* The installed hooks.d files. */
		if (glob(NH_HOOKS_JSON_DIR "/oci-numa-hook*.json", 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				int r = validate_hooks_json(g.gl_pathv[i]);

				status = status ? status : r;
			}
			globfree(&g);
		}
	}
	for (size_t i = 0; i < a.n_hooks_json; i++) {
		int r = validate_hooks_json(a.hooks_json[i]);

		status = status ? status : r;
	}
	return status;
}
