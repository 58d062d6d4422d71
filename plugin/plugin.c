/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "nri/conn.h"
#include "numa/migrate.h"
#include "oci/request.h"
#include "place/place.h"
#include "place/survey.h"
#include "plugin/plugin.h"

#define FMT(set, buf) nh_nodeset_format((set), (buf), sizeof(buf))

#define DEFAULT_NAME "oci-numa-hook"
#define DEFAULT_IDX "50"
#define STATE_DIR "/run/oci-numa-hook/nri"
#define ID_MAX 128
/* How long the runtime may take to record a narrowed cpuset.mems. */
#define TELL_TIMEOUT_MS 5000
/* RegisterPlugin: the runtime waits 5 s for it. */
#define REGISTER_TIMEOUT_MS 5000
#define RECONNECT_MS 1000

/* One move: a container narrowed from its old nodes to target. */
struct job {
	struct job *next;
	char id[ID_MAX + 1];
	pid_t pid;
	nh_nodeset_t target;
	nh_request_t req;
	bool annotated;
	bool started; /* its thread was started */
	atomic_bool done;
	atomic_bool stop; /* superseded or the container went away */
	pthread_t thread;
};

/* A narrowed container whose runtime still records old ∪ new (the widened
 * answer became its resources): the runtime is told the narrowed value from
 * the main loop (UpdateContainers), or its next update of other resources
 * would write old ∪ new again and ContainerStatus would keep showing it. */
struct told {
	char id[ID_MAX + 1];
	nh_nodeset_t mems;
	struct told *next;
};

static struct plugin {
	nh_config_t cfg;
	const char *name, *idx, *socket_path, *state_dir, *config_path;
	pthread_mutex_t lock;
	struct job *jobs;
	struct told *to_tell; /* under lock */
} P = { .lock = PTHREAD_MUTEX_INITIALIZER };

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* ---------------------------------------------------------------- input */

typedef struct {
	const char *key, *value;
} kv_t;

/* The oci-numa-hook/ annotations of a container: its pod's, overridden by
 * its own (NRI hands plugins both). */
static int collect_annotations(const kv_t *pod, size_t n_pod, const kv_t *ctr, size_t n_ctr,
			       const char *id, nh_state_t *st, nh_error_t *err)
{
	const size_t prefix = strlen(NH_ANNOTATION_PREFIX);

	memset(st, 0, sizeof(*st));
	st->id = strdup(id ? id : "");
	if (!st->id)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "annotations");
	for (int pass = 0; pass < 2; pass++) {
		const kv_t *list = pass ? ctr : pod;
		size_t n = pass ? n_ctr : n_pod;

		for (size_t i = 0; i < n; i++) {
			size_t k;

			if (!list[i].key || strncmp(list[i].key, NH_ANNOTATION_PREFIX, prefix) != 0)
				continue;
			for (k = 0; k < st->n_annotations; k++)
				if (strcmp(st->annotations[k].key, list[i].key) == 0)
					break;
			if (k == st->n_annotations) {
				nh_annotation_t *a;

				if (st->n_annotations >= NH_ANNOTATIONS_MAX) {
					st->n_dropped++;
					continue;
				}
				a = realloc(st->annotations, (st->n_annotations + 1) * sizeof(*a));
				if (!a)
					return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "annotations");
				st->annotations = a;
				a[k].key = strdup(list[i].key);
				a[k].value = NULL;
				st->n_annotations++;
				if (!a[k].key)
					return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "annotations");
			}
			free(st->annotations[k].value);
			st->annotations[k].value = strdup(list[i].value ? list[i].value : "");
			if (!st->annotations[k].value)
				return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "annotations");
		}
	}
	return 0;
}

#define KV_FROM(entries, n, out)                                                                   \
	do {                                                                                       \
		for (size_t _i = 0; _i < (n); _i++)                                                \
			(out)[_i] = (kv_t){ (entries)[_i]->key, (entries)[_i]->value };            \
	} while (0)

/* The annotations of container c in pod (either may be NULL). */
static int container_state(const Nri__PodSandbox *pod, const Nri__Container *c, nh_state_t *st,
			   nh_error_t *err)
{
	size_t np = pod ? pod->n_annotations : 0, nc = c ? c->n_annotations : 0;
	_cleanup_free_ kv_t *kp = calloc(np + 1, sizeof(kv_t));
	_cleanup_free_ kv_t *kc = calloc(nc + 1, sizeof(kv_t));

	if (!kp || !kc)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "annotations");
	if (pod)
		KV_FROM(pod->annotations, np, kp);
	if (c)
		KV_FROM(c->annotations, nc, kc);
	return collect_annotations(kp, np, kc, nc, c ? c->id : NULL, st, err);
}

static const Nri__LinuxCPU *container_cpu(const Nri__Container *c)
{
	return c && c->linux && c->linux->resources ? c->linux->resources->cpu : NULL;
}

static bool has_text(const char *s)
{
	return s && s[0];
}

/* ---------------------------------------------------------------- state files */

/* A move in flight leaves a file named after the container: "PID NODES".
 * Written before the runtime is told to widen, removed once narrowed, so
 * that a plugin killed in between finds it at its next Synchronize. */
static bool id_is_safe(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > ID_MAX || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(id[i] == '-' || id[i] == '_' || id[i] == '.' ||
		      (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z')))
			return false;
	return true;
}

static int state_write(const char *id, pid_t pid, const nh_nodeset_t *target, nh_error_t *err)
{
	char path[4096], tmp[4096 + 8], nodes[NH_NODESET_STR_MAX];
	FILE *f;

	if (!id_is_safe(id))
		return nh_fail(err, NH_EXIT_INVALID, 0, "container id \"%s\" cannot name a file",
			       nh_quote(id, strlen(id), 0));
	snprintf(path, sizeof(path), "%s/%s", P.state_dir, id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot write %s", tmp);
	fprintf(f, "%d %s\n", (int)pid, FMT(target, nodes));
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot write %s", path);
	}
	return 0;
}

static void state_remove(const char *id)
{
	char path[4096];

	if (!id_is_safe(id))
		return;
	snprintf(path, sizeof(path), "%s/%s", P.state_dir, id);
	unlink(path);
}

/* 1 and target (and *pid_out, when given) set when a move of id is
 * recorded; 0 when none. */
static int state_read(const char *id, nh_nodeset_t *target, pid_t *pid_out)
{
	char path[4096], nodes[NH_NODESET_STR_MAX];
	nh_error_t err = { 0 };
	int pid;
	FILE *f;
	int r = 0;

	if (!id_is_safe(id))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", P.state_dir, id);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%d %1023s", &pid, nodes) == 2 &&
	    nh_nodeset_parse_kernel(nodes, strlen(nodes), target, "state file", &err) == 0 &&
	    !nh_nodeset_empty(target) && pid > 0)
		r = 1;
	fclose(f);
	if (r && pid_out)
		*pid_out = (pid_t)pid;
	if (!r) {
		nh_warn("state file %s is not \"PID NODES\"; removed", path);
		unlink(path);
	}
	return r;
}

/* ---------------------------------------------------------------- moves */

static void *job_main(void *arg)
{
	char t[NH_NODESET_STR_MAX], m[NH_NODESET_STR_MAX];
	struct job *j = arg;
	uint64_t start = nh_now_ms();
	nh_error_t err = { 0 };
	nh_nodeset_t mems;
	nh_place_t p;

	nh_config_t cfg = P.cfg;

	/* Moving a running container's pages is background work: at the
	 * lowest CPU priority the node's other work comes first (container
	 * starts, and the kernel threads that end the RCU grace period every
	 * cgroup attach waits for).  Worker threads inherit it. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
		nh_debug("cannot lower the move's CPU priority: %s", strerror(errno));

	/* The new nodes are the runtime's choice (kubelet, a resource
	 * plugin), not an annotation's: allowed-nodes is for annotations. */
	cfg.allowed_all = true;
	nh_log_set_id(j->id);
	nh_place_init(&p, &cfg);
	p.req = j->req;
	p.nodes_what = "cpuset.mems update";
	p.stop = &j->stop;
	if (nh_place_check_request(&p, &err) < 0 || nh_place_open_pid(&p, j->pid, false, &err) < 0 ||
	    nh_place_set_container(&p, j->id, j->pid, &err) < 0 ||
	    nh_place_resolve(&p, &err) < 0 || nh_place_run(&p, &err) < 0) {
		nh_error("moving to node %s before narrowing cpuset.mems: %s", FMT(&j->target, t),
			 err.msg);
		goto out;
	}
	if (atomic_load(&j->stop)) {
		nh_info("move to node %s stopped (superseded or the container went away) after "
			"%llu pages",
			FMT(&j->target, t), (unsigned long long)p.stats.moved);
		goto out;
	}
	if (!p.cg.has_cpuset || nh_cgroup_read_mems(&p.cg, false, &mems, &err) < 0)
		nh_nodeset_clear(&mems);
	if (p.stats.budget_hit) {
		nh_warn("stopped at the time budget (time-budget-ms) after moving %llu pages; "
			"cpuset.mems stays %s; the next Synchronize or oci-numa-hook migrate "
			"finishes",
			(unsigned long long)p.stats.moved, FMT(&mems, m));
		goto out;
	}
	nh_info("summary nri=update cgroup=%s nodes=%s processes=%u moved=%llu not_moved=%llu "
		"cpuset.mems=%s engine=%s max_call_us=%llu ms=%llu",
		p.cg.path, FMT(&p.target, t), p.stats.processes, (unsigned long long)p.stats.moved,
		(unsigned long long)p.stats.not_moved, FMT(&mems, m), nh_engine_name(p.req.engine),
		(unsigned long long)p.stats.max_call_us, (unsigned long long)(nh_now_ms() - start));
	state_remove(j->id);
	if (nh_nodeset_equal(&mems, &j->target)) {
		struct told *tell = calloc(1, sizeof(*tell));

		if (tell) {
			snprintf(tell->id, sizeof(tell->id), "%s", j->id);
			tell->mems = mems;
			pthread_mutex_lock(&P.lock);
			tell->next = P.to_tell;
			P.to_tell = tell;
			pthread_mutex_unlock(&P.lock);
		}
	}
out:
	if (err.status && strstr(err.msg, "does not exist"))
		state_remove(j->id);
	nh_place_close(&p);
	atomic_store(&j->done, true);
	return NULL;
}

/* Reap finished jobs. Under P.lock. */
static void reap_jobs(void)
{
	for (struct job **jp = &P.jobs; *jp;) {
		struct job *j = *jp;

		if (j->started && atomic_load(&j->done)) {
			pthread_join(j->thread, NULL);
			*jp = j->next;
			free(j);
		} else if (!j->started && atomic_load(&j->stop)) {
			*jp = j->next;
			free(j);
		} else {
			jp = &j->next;
		}
	}
}

/* Stop the jobs of a container and wait for their threads. Under P.lock. */
static void stop_jobs(const char *id)
{
	for (struct job *j = P.jobs; j; j = j->next)
		if (strcmp(j->id, id) == 0) {
			atomic_store(&j->stop, true);
			if (j->started && !atomic_load(&j->done)) {
				pthread_mutex_unlock(&P.lock);
				pthread_join(j->thread, NULL);
				pthread_mutex_lock(&P.lock);
				j->started = false;
				atomic_store(&j->done, true);
			}
		}
	reap_jobs();
}

static void start_job(struct job *j)
{
	int r;

	j->started = true;
	r = pthread_create(&j->thread, NULL, job_main, j);
	if (r != 0) {
		j->started = false;
		atomic_store(&j->stop, true);
		nh_error("cannot start the move of container %s: %s", j->id, strerror(r));
	}
}

/* A new move of container id, pending until the runtime applied the widened
 * mems; any earlier one is stopped first (the newest update wins). */
static struct job *add_job(const char *id, pid_t pid, const nh_nodeset_t *target,
			   const nh_request_t *req, bool annotated)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->pid = pid;
	j->target = *target;
	j->req = *req;
	j->req.nodes_kind = NH_NODES_LIST;
	j->req.nodes = *target;
	j->req.has_from = false;
	j->req.mems = NH_MEMS_SET;
	j->req.engine = NH_ENGINE_MOVE_PAGES;
	j->annotated = annotated;
	pthread_mutex_lock(&P.lock);
	stop_jobs(id);
	j->next = P.jobs;
	P.jobs = j;
	pthread_mutex_unlock(&P.lock);
	return j;
}

/* Whether a move of id is under way (under P.lock). */
static bool job_running(const char *id)
{
	for (struct job *j = P.jobs; j; j = j->next)
		if (strcmp(j->id, id) == 0 && j->started && !atomic_load(&j->done) &&
		    !atomic_load(&j->stop))
			return true;
	return false;
}

/* Finishes the recorded move of id (its process pid) unless one is under
 * way already. The move checks that pid is still the container's
 * (nh_place_set_container) and drops the record of a process gone.
 * Returns whether a move is under way now. */
static bool resume_move(const char *id, pid_t pid, const nh_nodeset_t *target)
{
	char t[NH_NODESET_STR_MAX];
	nh_request_t rq = { 0 };
	struct job *j;
	bool running;

	pthread_mutex_lock(&P.lock);
	running = job_running(id);
	pthread_mutex_unlock(&P.lock);
	if (running)
		return true;
	nh_info("finishing the move to node %s that was under way", FMT(target, t));
	rq.rate = P.cfg.default_rate;
	j = add_job(id, pid, target, &rq, false);
	if (!j)
		return false;
	pthread_mutex_lock(&P.lock);
	start_job(j);
	running = j->started;
	pthread_mutex_unlock(&P.lock);
	return running;
}

/* Every move recorded in the state directory is finished, at registration:
 * a runtime that starts the plugin itself sends no Synchronize
 * (containerd 1.7), and after a runtime restart it comes later. */
static void resume_recorded(void)
{
	DIR *d = opendir(P.state_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		nh_nodeset_t target;
		pid_t pid = 0;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp") ||
		    !state_read(e->d_name, &target, &pid))
			continue;
		nh_log_set_id(e->d_name);
		resume_move(e->d_name, pid, &target);
	}
	closedir(d);
	nh_log_set_id(NULL);
}

static void start_pending(const char *id)
{
	pthread_mutex_lock(&P.lock);
	reap_jobs();
	for (struct job *j = P.jobs; j; j = j->next)
		if (strcmp(j->id, id) == 0 && !j->started && !atomic_load(&j->stop))
			start_job(j);
	pthread_mutex_unlock(&P.lock);
}

/* ---------------------------------------------------------------- handlers */

static int on_configure(void *ctx, nri_call_t *call, const Nri__ConfigureRequest *req,
			Nri__ConfigureResponse *rsp, nh_error_t *err)
{
	(void)ctx;
	(void)call;
	(void)err;
	nh_log_set_id(NULL);
	nh_info("configured by %s %s", has_text(req->runtime_name) ? req->runtime_name : "runtime",
		has_text(req->runtime_version) ? req->runtime_version : "");
	/* The runtime's drop-in for a pre-installed plugin (its
	 * plugin_config_path): one configuration for the hook and the plugin. */
	if (has_text(req->config))
		nh_warn("the runtime's configuration for this plugin is ignored: it reads %s",
			P.config_path);
	rsp->events = NRI_EVENT_BIT(NRI__EVENT__CREATE_CONTAINER) |
		      NRI_EVENT_BIT(NRI__EVENT__UPDATE_CONTAINER) |
		      NRI_EVENT_BIT(NRI__EVENT__POST_UPDATE_CONTAINER) |
		      NRI_EVENT_BIT(NRI__EVENT__REMOVE_CONTAINER);
	return 0;
}

/* The request of an annotated container, its target for nodes=auto from
 * cpus (NULL: none known). 0 and p->target set; 1 when there is nothing to
 * place (no annotation, or nodes=auto without CPUs); -1 with err.
 * *annotated: the container has the annotation. */
static int container_request(const Nri__PodSandbox *pod, const Nri__Container *c,
			     const char *cpus_text, nh_place_t *p, nh_cpuset_t *cpus,
			     bool *annotated, nh_error_t *err)
{
	nh_state_t st;
	int r = 1;

	*annotated = false;
	if (container_state(pod, c, &st, err) < 0)
		goto out_err;
	if (!nh_state_annotation(&st, NH_ANNOTATION_NODES))
		goto out;
	*annotated = true;
	{
		/* Named with its value in messages, as the hook names it. */
		static char what[NH_ANNOTATION_VALUE_MAX + 64];
		const char *v = nh_state_annotation(&st, NH_ANNOTATION_NODES);

		snprintf(what, sizeof(what), "annotation %s=\"%s\"", NH_ANNOTATION_NODES,
			 nh_quote(v, strlen(v), 3));
		p->nodes_what = what;
	}
	if (nh_request_parse(&st, &P.cfg, &p->req, err) < 0 || nh_place_check_request(p, err) < 0)
		goto out_err;
	if (p->req.nodes_kind == NH_NODES_AUTO) {
		if (!has_text(cpus_text))
			goto out;
		if (nh_cpuset_parse_kernel(cpus_text, strlen(cpus_text), cpus, "cpuset.cpus",
					   err) < 0)
			goto out_err;
		p->cpus = cpus;
		if (nh_place_resolve_target(p, err) < 0)
			goto out_err;
	} else if (p->req.nodes_kind != NH_NODES_LIST) {
		if (nh_place_resolve_target(p, err) < 0)
			goto out_err;
	}
	r = 0;
	goto out;
out_err:
	r = -1;
out:
	nh_state_free(&st);
	return r;
}

static Nri__LinuxResources *cpu_resources(nri_call_t *call, const char *mems)
{
	Nri__LinuxResources *res = nri_call_alloc(call, sizeof(*res));
	Nri__LinuxCPU *cpu = nri_call_alloc(call, sizeof(*cpu));

	if (!res || !cpu)
		return NULL;
	nri__linux_resources__init(res);
	nri__linux_cpu__init(cpu);
	cpu->mems = nri_call_strdup(call, mems);
	if (!cpu->mems)
		return NULL;
	res->cpu = cpu;
	return res;
}

static int on_create(void *ctx, nri_call_t *call, const Nri__CreateContainerRequest *req,
		     Nri__CreateContainerResponse *rsp, nh_error_t *err)
{
	char t[NH_NODESET_STR_MAX];
	const Nri__LinuxCPU *cpu = container_cpu(req->container);
	Nri__ContainerAdjustment *adj;
	Nri__LinuxContainerAdjustment *lin;
	nh_cpuset_t cpus;
	bool annotated;
	nh_place_t p;
	int r;

	(void)ctx;
	if (!req->container)
		return 0;
	nh_log_set_id(req->container->id);
	nh_place_init(&p, &P.cfg);
	p.nodes_what = "annotation " NH_ANNOTATION_NODES;
	r = container_request(req->pod, req->container, cpu ? cpu->cpus : NULL, &p, &cpus,
			      &annotated, err);
	if (r < 0)
		goto out; /* on_error() logs it, and the runtime fails the creation with it */
	if (r > 0) {
		if (annotated && p.req.nodes_kind == NH_NODES_AUTO)
			nh_info("nodes=auto: the container has no cpuset.cpus at creation; "
				"nothing to adjust");
		r = 0;
		goto out;
	}
	if (p.req.mems == NH_MEMS_KEEP) {
		nh_info("mems=keep: cpuset.mems is left as created (node %s not enforced)",
			FMT(&p.target, t));
		goto out;
	}
	adj = nri_call_alloc(call, sizeof(*adj));
	lin = nri_call_alloc(call, sizeof(*lin));
	if (!adj || !lin) {
		r = nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "CreateContainer reply");
		goto out;
	}
	nri__container_adjustment__init(adj);
	nri__linux_container_adjustment__init(lin);
	lin->resources = cpu_resources(call, FMT(&p.target, t));
	if (!lin->resources) {
		r = nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "CreateContainer reply");
		goto out;
	}
	adj->linux = lin;
	rsp->adjust = adj;
	nh_info("create: cpuset.mems=%s", t);
out:
	nh_place_close(&p);
	return r;
}

static int on_update(void *ctx, nri_call_t *call, const Nri__UpdateContainerRequest *req,
		     Nri__UpdateContainerResponse *rsp, nh_error_t *err)
{
	char o[NH_NODESET_STR_MAX], n[NH_NODESET_STR_MAX], w[NH_NODESET_STR_MAX];
	const Nri__LinuxCPU *cpu =
		req->linux_resources ? req->linux_resources->cpu : NULL;
	const Nri__Container *c = req->container;
	nh_nodeset_t old, want, wide, leaving;
	Nri__ContainerUpdate *up;
	Nri__LinuxContainerUpdate *lin;
	nh_error_t e = { 0 };
	nh_cpuset_t cpus;
	bool annotated;
	nh_place_t p;
	int q, r = 0;

	(void)ctx;
	if (!c || P.cfg.nri_premigrate == NH_PREMIGRATE_NONE || c->pid == 0)
		return 0;
	nh_log_set_id(c->id);
	nh_place_init(&p, &P.cfg);
	p.nodes_what = "annotation " NH_ANNOTATION_NODES;
	q = container_request(req->pod, c, cpu ? cpu->cpus : NULL, &p, &cpus, &annotated, &e);
	if (q < 0) {
		/* The update is the runtime's, not the container author's: a bad
		 * annotation does not fail it; the move is then not ours. */
		nh_warn("update: %s; cpuset.mems is left to the runtime", e.msg);
		goto out;
	}
	if (!annotated && P.cfg.nri_premigrate == NH_PREMIGRATE_ANNOTATED)
		goto out;
	if (!annotated)
		p.req.rate = P.cfg.default_rate;
	if (cpu && has_text(cpu->mems)) {
		if (nh_nodeset_parse_kernel(cpu->mems, strlen(cpu->mems), &want, "cpuset.mems",
					    &e) < 0) {
			nh_warn("update: %s; left to the runtime", e.msg);
			goto out;
		}
	} else if (q == 0 && p.req.nodes_kind == NH_NODES_AUTO && p.cpus) {
		want = p.target; /* the nodes of the new CPUs */
	} else {
		goto out;
	}
	if (nh_place_open_pid(&p, (pid_t)c->pid, false, &e) < 0 || !p.cg.has_cpuset ||
	    nh_cgroup_read_mems(&p.cg, true, &old, &e) < 0) {
		nh_warn("update: %s; left to the runtime",
			e.status ? e.msg : "the container's cgroup has no cpuset controller");
		goto out;
	}
	nh_nodeset_andnot(&leaving, &old, &want);
	if (nh_nodeset_empty(&leaving))
		goto out; /* widening or equal: the kernel moves nothing */
	nh_nodeset_or(&wide, &old, &want);
	if (state_write(c->id, (pid_t)c->pid, &want, &e) < 0) {
		nh_warn("update: %s; left to the runtime", e.msg);
		goto out;
	}
	if (!add_job(c->id, (pid_t)c->pid, &want, &p.req, annotated)) {
		state_remove(c->id);
		goto out;
	}
	up = nri_call_alloc(call, sizeof(*up));
	lin = nri_call_alloc(call, sizeof(*lin));
	rsp->update = nri_call_alloc(call, sizeof(*rsp->update));
	if (!up || !lin || !rsp->update) {
		r = nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "UpdateContainer reply");
		goto out;
	}
	nri__container_update__init(up);
	nri__linux_container_update__init(lin);
	up->container_id = nri_call_strdup(call, c->id);
	lin->resources = cpu_resources(call, FMT(&wide, w));
	if (!up->container_id || !lin->resources) {
		r = nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "UpdateContainer reply");
		goto out;
	}
	/* The CPUs asked for stay as asked. */
	if (cpu && has_text(cpu->cpus))
		lin->resources->cpu->cpus = nri_call_strdup(call, cpu->cpus);
	up->linux = lin;
	rsp->update[0] = up;
	rsp->n_update = 1;
	nh_info("update: cpuset.mems %s -> %s: answered %s; the pages move before it narrows",
		FMT(&old, o), FMT(&want, n), w);
out:
	nh_place_close(&p);
	return r;
}

static int on_state_change(void *ctx, nri_call_t *call, const Nri__StateChangeEvent *evt,
			   nh_error_t *err)
{
	(void)ctx;
	(void)call;
	(void)err;
	if (!evt->container || !evt->container->id)
		return 0;
	if (evt->event == NRI__EVENT__POST_UPDATE_CONTAINER) {
		start_pending(evt->container->id);
	} else if (evt->event == NRI__EVENT__REMOVE_CONTAINER) {
		pthread_mutex_lock(&P.lock);
		stop_jobs(evt->container->id);
		pthread_mutex_unlock(&P.lock);
		state_remove(evt->container->id);
	}
	return 0;
}

/* Synchronize's report, one line per annotated container: where its memory
 * is against its target.  Reading every process's numa_maps takes time the
 * runtime does not give a request (plugin_request_timeout, 2 s by default):
 * the handler lists the containers and a thread of its own reports. */
struct report_item {
	char *id;
	pid_t pid;
	nh_nodeset_t target;
};

static struct {
	pthread_mutex_t lock;
	struct report_item *items;
	size_t n, cap;
	bool running;
	size_t containers, annotated, resumed; /* this Synchronize's, over its parts */
} R = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void report(const struct report_item *it)
{
	char t[NH_NODESET_STR_MAX], m[NH_NODESET_STR_MAX];
	nh_error_t err = { 0 };
	nh_survey_t s = { 0 };
	nh_nodeset_t mems;
	nh_place_t p;
	uint64_t on, all;

	nh_log_set_id(it->id);
	nh_place_init(&p, &P.cfg);
	if (nh_topology_read(p.sysfs_root, &p.topo, &err) < 0 ||
	    nh_place_open_pid(&p, it->pid, false, &err) < 0 ||
	    nh_survey_collect(&p.cg, &p.topo.has_memory, &s, &err) < 0) {
		nh_warn("synchronize: %s", err.msg);
		goto out;
	}
	if (!p.cg.has_cpuset || nh_cgroup_read_mems(&p.cg, true, &mems, &err) < 0)
		nh_nodeset_clear(&mems);
	on = nh_survey_sum(&s, &it->target);
	all = nh_survey_sum(&s, &p.topo.has_memory);
	nh_info("synchronize: target %s, cpuset.mems %s, %.1f of %.1f MiB on target (%.1f%%)",
		FMT(&it->target, t), FMT(&mems, m), nh_pages_mib(on), nh_pages_mib(all),
		all ? 100.0 * (double)on / (double)all : 100.0);
out:
	nh_survey_free(&s);
	nh_place_close(&p);
}

static void *report_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&R.lock);
	while (R.n > 0 && !quit) {
		struct report_item it = R.items[--R.n];

		pthread_mutex_unlock(&R.lock);
		report(&it);
		free(it.id);
		pthread_mutex_lock(&R.lock);
	}
	R.running = false;
	pthread_mutex_unlock(&R.lock);
	nh_log_set_id(NULL);
	return NULL;
}

/* Queues the report of one container (R.lock held). */
static void report_later(const char *id, pid_t pid, const nh_nodeset_t *target)
{
	if (R.n == R.cap) {
		size_t cap = R.cap ? 2 * R.cap : 16;
		struct report_item *items = realloc(R.items, cap * sizeof(*items));

		if (!items)
			return;
		R.items = items;
		R.cap = cap;
	}
	R.items[R.n].id = strdup(id);
	if (!R.items[R.n].id)
		return;
	R.items[R.n].pid = pid;
	R.items[R.n].target = *target;
	R.n++;
}

static int on_synchronize(void *ctx, nri_call_t *call, const Nri__SynchronizeRequest *req,
			  Nri__SynchronizeResponse *rsp, nh_error_t *err)
{
	(void)ctx;
	(void)call;
	(void)err;
	pthread_mutex_lock(&R.lock);
	for (size_t i = 0; i < req->n_containers; i++) {
		const Nri__Container *c = req->containers[i];
		const Nri__PodSandbox *pod = NULL;
		nh_nodeset_t target;
		nh_error_t e = { 0 };
		nh_cpuset_t cpus;
		bool annotated_c;
		nh_place_t p;
		int r;

		if (!c || !c->id)
			continue;
		R.containers++;
		for (size_t k = 0; k < req->n_pods; k++)
			if (req->pods[k] && req->pods[k]->id && c->pod_sandbox_id &&
			    strcmp(req->pods[k]->id, c->pod_sandbox_id) == 0)
				pod = req->pods[k];
		nh_log_set_id(c->id);
		if (state_read(c->id, &target, NULL) && c->pid) {
			if (resume_move(c->id, (pid_t)c->pid, &target))
				R.resumed++;
			continue;
		}
		nh_place_init(&p, &P.cfg);
		r = container_request(pod, c, container_cpu(c) ? container_cpu(c)->cpus : NULL, &p,
				      &cpus, &annotated_c, &e);
		if (r == 0 && c->pid) {
			R.annotated++;
			report_later(c->id, (pid_t)c->pid, &p.target);
		} else if (r < 0) {
			nh_warn("synchronize: %s", e.msg);
		}
		nh_place_close(&p);
	}
	nh_log_set_id(NULL);
	/* A runtime that splits its state into parts sends more = true until
	 * the last; the answer says this plugin takes them. */
	rsp->more = req->more;
	if (!req->more) {
		nh_info("synchronized: %zu containers, %zu annotated, %zu moves resumed",
			R.containers, R.annotated, R.resumed);
		R.containers = R.annotated = R.resumed = 0;
		if (R.n > 0 && !R.running) {
			pthread_t th;

			R.running = pthread_create(&th, NULL, report_thread, NULL) == 0;
			if (R.running)
				pthread_detach(th);
		}
	}
	pthread_mutex_unlock(&R.lock);
	return 0;
}

static void on_error(void *ctx, const char *method, const nh_error_t *err)
{
	(void)ctx;
	/* A handler's refusal as the runtime reports it (the CRI error, kubelet's
	 * events carry the same text); a request that could not be read says so. */
	if (method[0])
		nh_error("%s", err->msg);
	else
		nh_error("a request from the runtime: %s", err->msg);
}

static const nri_plugin_ops_t ops = {
	.configure = on_configure,
	.synchronize = on_synchronize,
	.create_container = on_create,
	.update_container = on_update,
	.state_change = on_state_change,
	.on_error = on_error,
};

/* ---------------------------------------------------------------- main loop */

/* Tells the runtime each narrowed container's cpuset.mems (UpdateContainers:
 * its record becomes the narrowed value; writing it again moves nothing).
 * From the main loop only: the connection is single-threaded. */
static void tell_runtime(nri_conn_t *c)
{
	for (;;) {
		char m[NH_NODESET_STR_MAX];
		Nri__UpdateContainersRequest req = NRI__UPDATE_CONTAINERS_REQUEST__INIT;
		Nri__UpdateContainersResponse *rsp = NULL;
		Nri__ContainerUpdate u = NRI__CONTAINER_UPDATE__INIT, *up = &u;
		Nri__LinuxContainerUpdate lu = NRI__LINUX_CONTAINER_UPDATE__INIT;
		Nri__LinuxResources res = NRI__LINUX_RESOURCES__INIT;
		Nri__LinuxCPU cpu = NRI__LINUX_CPU__INIT;
		nh_error_t err = { 0 };
		struct told *t;

		pthread_mutex_lock(&P.lock);
		t = P.to_tell;
		if (t)
			P.to_tell = t->next;
		pthread_mutex_unlock(&P.lock);
		if (!t)
			return;
		cpu.mems = (char *)FMT(&t->mems, m);
		cpu.cpus = (char *)"";
		res.cpu = &cpu;
		lu.resources = &res;
		u.container_id = t->id;
		u.linux = &lu;
		req.n_update = 1;
		req.update = &up;
		nh_log_set_id(t->id);
		if (nri_conn_call(c, "UpdateContainers", &req, &nri__update_containers_response__descriptor,
				  &rsp, TELL_TIMEOUT_MS, &err) < 0)
			nh_warn("could not record cpuset.mems %s with the runtime (its status keeps the "
				"widened value): %s",
				m, err.msg);
		else if (rsp->n_failed > 0)
			nh_warn("the runtime did not record cpuset.mems %s (its status keeps the widened "
				"value)",
				m);
		else
			nh_info("the runtime records cpuset.mems %s", m);
		if (rsp)
			nri_conn_free_msg(c, rsp);
		nh_log_set_id(NULL);
		free(t);
	}
}

static int serve(int fd, nh_error_t *err)
{
	nri_conn_t *c = nri_conn_new(fd, &ops, NULL, err);
	int r;

	if (!c)
		return -1;
	r = nri_conn_register(c, P.name, P.idx, REGISTER_TIMEOUT_MS, err);
	if (r == 0) {
		nh_log_set_id(NULL);
		nh_info("registered as %s-%s", P.idx, P.name);
		resume_recorded();
		do {
			r = nri_conn_serve(c, 500, err);
			if (r == 0 && !quit)
				tell_runtime(c);
		} while (r == 0 && !quit);
	}
	nri_conn_free(c);
	return r < 0 ? -1 : 0;
}

/* Whether stderr is the journal's stream for this service (systemd sets
 * JOURNAL_STREAM to its device and inode): the lines go to the journal by
 * its own socket already, and would show twice. */
static bool stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return v && sscanf(v, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int usage_error(const char *arg)
{
	nh_log_set_syslog(false);
	nh_error("nri: unexpected argument \"%s\" (see oci-numa-hook nri --help)",
		 nh_quote(arg, strlen(arg), 0));
	return NH_EXIT_INVALID;
}

bool nh_plugin_launched(int argc)
{
	return argc < 2 && getenv(NRI_ENV_PLUGIN_SOCKET);
}

int nh_plugin_main(int argc, char **argv)
{
	const char *config = NH_CONFIG_FILE, *env_fd = getenv(NRI_ENV_PLUGIN_SOCKET);
	struct sigaction sa = { .sa_handler = on_signal };
	nh_error_t err = { 0 };
	bool said = false;
	int fd, status = 0;

	P.name = getenv(NRI_ENV_PLUGIN_NAME) ? getenv(NRI_ENV_PLUGIN_NAME) : DEFAULT_NAME;
	P.idx = getenv(NRI_ENV_PLUGIN_IDX) ? getenv(NRI_ENV_PLUGIN_IDX) : DEFAULT_IDX;
	P.socket_path = NRI_SOCKET_PATH;
	P.state_dir = STATE_DIR;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--socket") == 0 && v)
			P.socket_path = v;
		else if (strcmp(argv[i], "--name") == 0 && v)
			P.name = v;
		else if (strcmp(argv[i], "--idx") == 0 && v)
			P.idx = v;
		else if (strcmp(argv[i], "--config") == 0 && v)
			config = v;
		else if (strcmp(argv[i], "--state-dir") == 0 && v)
			P.state_dir = v;
		else
			return usage_error(argv[i]);
		i++;
	}
	P.config_path = config;
	nh_config_defaults(&P.cfg);
	if (nh_config_load(config, &P.cfg, &err) < 0) {
		nh_error("nri: %s", err.msg);
		return err.status;
	}
	nh_log_set_level(P.cfg.log_level);
	nh_log_set_file(P.cfg.log_file);
	if (stderr_is_journal())
		nh_log_set_stderr(false);
	if (mkdir("/run/oci-numa-hook", 0755) < 0 && errno != EEXIST)
		nh_warn("cannot create /run/oci-numa-hook: %s", strerror(errno));
	if (mkdir(P.state_dir, 0700) < 0 && errno != EEXIST) {
		nh_error("nri: cannot create the state directory %s: %s", P.state_dir,
			 strerror(errno));
		return NH_EXIT_SYSTEM;
	}
	/* libcgroup's set-up and the plugin's own cgroup are read once, here,
	 * before any move has a thread of its own. */
	{
		nh_place_t self;

		nh_place_init(&self, &P.cfg);
		if (nh_place_open_pid(&self, getpid(), true, &err) < 0) {
			nh_warn("nri: %s", err.msg);
			nh_error_clear(&err);
		}
		nh_place_close(&self);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	nh_info("NRI plugin %s-%s starting (nri-premigrate=%s)", P.idx, P.name,
		P.cfg.nri_premigrate == NH_PREMIGRATE_ALL  ? "all" :
		P.cfg.nri_premigrate == NH_PREMIGRATE_NONE ? "none" :
							     "annotated");
	/* Started by the runtime from its plugin directory: its socket is
	 * inherited, and when the runtime goes, so does the plugin (the runtime
	 * starts a new one when it comes back). */
	if (env_fd) {
		if (nri_socket_from_env(env_fd, &fd, &err) < 0) {
			nh_error("nri: %s", err.msg);
			return err.status;
		}
		if (serve(fd, &err) < 0) {
			nh_error("nri: %s; exiting (the runtime starts its plugins again)", err.msg);
			status = err.status ? err.status : NH_EXIT_SYSTEM;
		} else if (!quit)
			nh_info("the runtime closed the connection; exiting (it starts its plugins again)");
		quit = 1;
	}
	while (!quit) {
		nh_error_clear(&err);
		if (nri_socket_connect(P.socket_path, &fd, &err) < 0) {
			if (!said)
				nh_warn("nri: %s; retrying every %d ms", err.msg, RECONNECT_MS);
			said = true;
			usleep(RECONNECT_MS * 1000);
			continue;
		}
		said = false;
		if (serve(fd, &err) < 0)
			nh_error("nri: %s; reconnecting", err.msg);
		else if (!quit)
			nh_warn("nri: the runtime closed the connection; reconnecting");
		if (!quit)
			usleep(RECONNECT_MS * 1000);
	}
	/* Moves under way stop where they are: cpuset.mems stays old and new,
	 * and the next Synchronize finishes them. */
	pthread_mutex_lock(&P.lock);
	for (struct job *j = P.jobs; j; j = j->next)
		atomic_store(&j->stop, true);
	for (struct job *j = P.jobs; j; j = j->next)
		if (j->started && !atomic_load(&j->done)) {
			pthread_mutex_unlock(&P.lock);
			pthread_join(j->thread, NULL);
			pthread_mutex_lock(&P.lock);
			j->started = false;
		}
	pthread_mutex_unlock(&P.lock);
	/* A Synchronize report under way ends after its container (quit). */
	for (;;) {
		bool running;

		pthread_mutex_lock(&R.lock);
		running = R.running;
		pthread_mutex_unlock(&R.lock);
		if (!running)
			break;
		usleep(10000);
	}
	/* Not told (the runtime went away first): the runtime keeps the
	 * widened value, and its next update of this container writes it back
	 * (which widens, moving nothing).  Logged, so an operator can see it. */
	while (P.to_tell) {
		struct told *t = P.to_tell;

		P.to_tell = t->next;
		nh_log_set_id(t->id);
		nh_warn("exiting before the runtime recorded the narrowed cpuset.mems");
		free(t);
	}
	nh_log_set_id(NULL);
	nh_info("NRI plugin stopped");
	nh_config_free(&P.cfg);
	return status;
}
