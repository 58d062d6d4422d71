/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "common/log.h"
#include "common/util.h"
#include "cli/overview.h"
#include "place/survey.h"
#include "numa/topology.h"

#define FMT(set, buf) nh_nodeset_format((set), (buf), sizeof(buf))
#define FOR_EACH_NODE(o, n)                                                                        \
	for (int n = nh_nodeset_next(&(o)->nodes, 0); n >= 0;                                      \
	     n = nh_nodeset_next(&(o)->nodes, (unsigned)n + 1))

/* What oci-numa-hook/nodes names, as the hook would resolve it (without the
 * admin's limits: this shows what the container asked for). */
static bool resolve_target(const char *value, const nh_topology_t *topo, const nh_cgroup_t *cg,
			   nh_nodeset_t *out)
{
	nh_error_t err = { 0 };
	nh_cpuset_t cpus;

	if (strcmp(value, "all") == 0) {
		*out = topo->has_memory;
		return true;
	}
	if (strcmp(value, "auto") == 0) {
		if (!cg->has_cpuset || nh_cgroup_read_cpus(cg, &cpus, &err) < 0 ||
		    nh_topology_nodes_of_cpus("/sys", topo, &cpus, out, &err) < 0)
			return false;
		nh_nodeset_and(out, out, &topo->has_memory);
		return !nh_nodeset_empty(out);
	}
	return nh_nodeset_parse(value, out, "oci-numa-hook/nodes", &err) == 0;
}

/* A row for one container; 1 when it is not one to show (sandbox, not
 * running), -1 with err set when it cannot be read. */
static int fill_row(nh_overview_t *o, const nh_topology_t *topo, nh_container_t *c,
		    bool verify_id, nh_overview_row_t *row, nh_error_t *err)
{
	_cleanup_close_ int procfd = -1;
	nh_cgroup_t cg = { .dirfd = -1 };
	nh_survey_t s = { 0 };
	char path[32];
	int r = -1;

	if (nh_container_load(c, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		nh_error_clear(err); /* deleted since it was listed */
		return 1;
	}
	if (c->info.sandbox)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d", (int)c->pid);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return 1; /* stopped: its state stays until it is deleted */
	if (nh_cgroup_of_process(procfd, c->pid, false, &cg, err) < 0)
		goto out;
	if (verify_id && !strstr(cg.path, c->id)) {
		nh_fail(err, NH_EXIT_INVALID, 0,
			"process %d is in cgroup %s, which does not name the container", (int)c->pid,
			cg.path);
		goto out;
	}
	memset(row, 0, sizeof(*row));
	row->c = c;
	row->v1 = cg.v1;
	row->cgroup = strdup(cg.path);
	row->pages = calloc(o->span ? o->span : 1, sizeof(uint64_t));
	if (!row->cgroup || !row->pages) {
		nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "status --all");
		goto out;
	}
	if (cg.has_cpuset && nh_cgroup_read_mems(&cg, true, &row->mems, err) == 0)
		row->has_mems = true;
	nh_error_clear(err);
	if (c->info.nodes) {
		row->has_target = true;
		row->target_ok = resolve_target(c->info.nodes, topo, &cg, &row->target);
	}
	if (nh_survey_collect(&cg, &o->nodes, &s, err) < 0)
		goto out;
	for (unsigned n = 0; n < o->span; n++) {
		row->pages[n] = s.total[n];
		row->total += s.total[n];
		if (row->target_ok && nh_nodeset_has(&row->target, n))
			row->on_target += s.total[n];
	}
	row->numa_stat = malloc(sizeof(*row->numa_stat));
	if (!row->numa_stat) {
		nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "status --all");
		goto out;
	}
	r = nh_cgroup_read_numa_stat(&cg, row->numa_stat, err);
	if (r != 0) {
		free(row->numa_stat);
		row->numa_stat = NULL;
	}
	r = r < 0 ? -1 : 0;
out:
	nh_survey_free(&s);
	nh_cgroup_close(&cg);
	if (r < 0 && row->c == c) {
		free(row->cgroup);
		free(row->pages);
		memset(row, 0, sizeof(*row));
	}
	return r;
}

/* The share of a row's memory on its target: 1 when nothing is resident,
 * -1 without a (valid) target. */
static double on_target_share(const nh_overview_row_t *row)
{
	if (!row->target_ok)
		return -1;
	return row->total ? (double)row->on_target / (double)row->total : 1.0;
}

static int compare_rows(const void *a, const void *b)
{
	const nh_overview_row_t *x = a, *y = b;
	double sx = on_target_share(x), sy = on_target_share(y);
	uint64_t ox = x->total - x->on_target, oy = y->total - y->on_target;

	/* An invalid target sorts with the containers that have one, first. */
	if (x->has_target != y->has_target)
		return x->has_target ? -1 : 1;
	if (x->has_target && sx != sy)
		return sx < sy ? -1 : 1;
	if (x->has_target && ox != oy)
		return ox > oy ? -1 : 1;
	return strcmp(x->c->id, y->c->id);
}

int nh_overview_collect(const char *root, bool verify_id, nh_overview_t *o, nh_error_t *err)
{
	nh_topology_t topo;

	memset(o, 0, sizeof(*o));
	if (nh_topology_read("/sys", &topo, err) < 0 || nh_containers_list(root, &o->list, err) < 0)
		return -1;
	o->nodes = topo.has_memory;
	o->span = nh_nodeset_span(&o->nodes);
	o->rows = calloc(o->list.n ? o->list.n : 1, sizeof(*o->rows));
	if (!o->rows) {
		nh_containers_free(&o->list);
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "status --all");
	}
	for (size_t i = 0; i < o->list.n; i++) {
		nh_error_t e = { 0 };
		int r = fill_row(o, &topo, &o->list.v[i], verify_id, &o->rows[o->n], &e);

		if (r == 0) {
			o->n++;
		} else if (r < 0 && e.status == NH_EXIT_SYSTEM && e.errnum == ENOMEM) {
			*err = e;
			nh_overview_free(o);
			return -1;
		} else if (r < 0) {
			nh_warn("container %s skipped: %s", nh_quote_whole(o->list.v[i].id, 0), e.msg);
			o->skipped++;
		}
	}
	qsort(o->rows, o->n, sizeof(*o->rows), compare_rows);
	return 0;
}

void nh_overview_free(nh_overview_t *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->rows[i].cgroup);
		free(o->rows[i].pages);
		free(o->rows[i].numa_stat);
	}
	free(o->rows);
	nh_containers_free(&o->list);
	memset(o, 0, sizeof(*o));
}

/* ---- the table */

void nh_overview_print_table(const nh_overview_t *o, FILE *out)
{
	char head[32], buf[NH_NODESET_STR_MAX], label[512];

	fprintf(out, "%-12s  %-30s %-8s %-8s", "CONTAINER", "NAME", "TARGET", "MEMS");
	FOR_EACH_NODE(o, n) {
		snprintf(head, sizeof(head), "N%d MiB", n);
		fprintf(out, " %9s", head);
	}
	fprintf(out, " %9s", "ON-TARGET");
	FOR_EACH_NODE(o, n) {
		snprintf(head, sizeof(head), "N%d CACHE", n);
		fprintf(out, " %9s", head);
	}
	fputc('\n', out);
	for (size_t i = 0; i < o->n; i++) {
		const nh_overview_row_t *row = &o->rows[i];
		const char *name = nh_container_label(row->c, label, sizeof(label));
		double share = on_target_share(row);
		const char *target = !row->has_target ? "-" :
				     row->target_ok   ? FMT(&row->target, buf) :
							"invalid";

		fprintf(out, "%-12.12s  %-30s %-8.8s", row->c->id,
			name ? nh_quote(name, strlen(name), 0) : "-", target);
		fprintf(out, " %-8.8s", row->has_mems ? FMT(&row->mems, buf) : "-");
		FOR_EACH_NODE(o, n)
			fprintf(out, " %9.1f", nh_pages_mib(row->pages[n]));
		if (share < 0)
			fprintf(out, " %9s", "-");
		else
			fprintf(out, " %8.1f%%", share * 100.0);
		/* Page cache and tmpfs of the cgroup (v2): what no process maps. */
		FOR_EACH_NODE(o, n) {
			if (row->numa_stat)
				fprintf(out, " %9.1f",
					(double)(row->numa_stat->file[n] + row->numa_stat->shmem[n]) /
						(1024.0 * 1024.0));
			else
				fprintf(out, " %9s", "-");
		}
		fputc('\n', out);
	}
	if (o->n == 0)
		fprintf(out, "(no running container in %s)\n", o->list.roots_searched);
}

/* ---- JSON */

static void json_or_null(FILE *out, const char *s)
{
	if (s)
		nh_json_string(out, s);
	else
		fputs("null", out);
}

/* {"0":V,...} of per-node values, scaled. */
static void json_nodes(const nh_overview_t *o, FILE *out, const uint64_t *v, uint64_t scale,
		       const nh_nodeset_t *only)
{
	bool first = true;

	fputc('{', out);
	FOR_EACH_NODE(o, n) {
		if (only && nh_nodeset_has(only, (unsigned)n))
			continue;
		fprintf(out, "%s\"%d\":%llu", first ? "" : ",", n,
			(unsigned long long)(v[n] * scale));
		first = false;
	}
	fputc('}', out);
}

void nh_overview_print_json(const nh_overview_t *o, FILE *out)
{
	char buf[NH_NODESET_STR_MAX];
	uint64_t page = nh_page_size();

	fprintf(out, "{\"nodes\":\"%s\",\"containers\":[", FMT(&o->nodes, buf));
	for (size_t i = 0; i < o->n; i++) {
		const nh_overview_row_t *row = &o->rows[i];
		const nh_bundle_info_t *info = &row->c->info;
		double share = on_target_share(row);

		fprintf(out, "%s{\"id\":", i ? "," : "");
		nh_json_string(out, row->c->id);
		fprintf(out, ",\"name\":");
		json_or_null(out, row->c->name);
		fprintf(out, ",\"pod\":");
		if (info->pod_name) {
			fprintf(out, "{\"namespace\":");
			json_or_null(out, info->pod_namespace);
			fprintf(out, ",\"name\":");
			nh_json_string(out, info->pod_name);
			fprintf(out, ",\"container\":");
			json_or_null(out, info->container_name);
			fputc('}', out);
		} else {
			fputs("null", out);
		}
		fprintf(out, ",\"state_dir\":");
		nh_json_string(out, row->c->root);
		fprintf(out, ",\"pid\":%d,\"cgroup\":", (int)row->c->pid);
		nh_json_string(out, row->cgroup);
		fprintf(out, ",\"cgroup_version\":%d,\"target\":", row->v1 ? 1 : 2);
		json_or_null(out, info->nodes);
		fprintf(out, ",\"target_nodes\":");
		if (row->target_ok)
			fprintf(out, "\"%s\"", FMT(&row->target, buf));
		else
			fputs("null", out);
		fprintf(out, ",\"cpuset_mems\":");
		if (row->has_mems)
			fprintf(out, "\"%s\"", FMT(&row->mems, buf));
		else
			fputs("null", out);
		fprintf(out, ",\"resident_bytes\":");
		json_nodes(o, out, row->pages, page, NULL);
		fprintf(out, ",\"off_target_bytes\":");
		if (row->target_ok)
			json_nodes(o, out, row->pages, page, &row->target);
		else
			fputs("null", out);
		fprintf(out, ",\"on_target_share\":");
		if (share < 0)
			fputs("null", out);
		else
			fprintf(out, "%.4f", share);
		fprintf(out, ",\"memory_numa_stat\":");
		if (row->numa_stat) {
			fprintf(out, "{\"anon\":");
			json_nodes(o, out, row->numa_stat->anon, 1, NULL);
			fprintf(out, ",\"file\":");
			json_nodes(o, out, row->numa_stat->file, 1, NULL);
			fprintf(out, ",\"shmem\":");
			json_nodes(o, out, row->numa_stat->shmem, 1, NULL);
			fputc('}', out);
		} else {
			fputs("null", out);
		}
		fputc('}', out);
	}
	fprintf(out, "],\"skipped\":%u}\n", o->skipped);
}

/* ---- Prometheus */

/* A label value: \\, \" and \n escaped; bytes the format cannot carry
 * (other control bytes, non-ASCII that may not be UTF-8) become '?'. */
static void prom_value(FILE *out, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
		if (*c == '\\' || *c == '"')
			fprintf(out, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", out);
		else if (*c < 0x20 || *c >= 0x7f)
			fputc('?', out);
		else
			fputc(*c, out);
	}
}

static void prom_labels(FILE *out, const nh_overview_row_t *row)
{
	const nh_bundle_info_t *info = &row->c->info;

	fputs("{container_id=\"", out);
	prom_value(out, row->c->id);
	fputs("\",name=\"", out);
	prom_value(out, row->c->name);
	fputs("\",namespace=\"", out);
	prom_value(out, info->pod_namespace);
	fputs("\",pod=\"", out);
	prom_value(out, info->pod_name);
	fputs("\",container=\"", out);
	prom_value(out, info->container_name);
	fputc('"', out);
}

void nh_overview_print_prometheus(const nh_overview_t *o, FILE *out)
{
	static const char *const stat_types[] = { "anon", "file", "shmem" };
	uint64_t page = nh_page_size();

	fputs("# HELP oci_numa_hook_resident_bytes Resident memory of a container's processes on "
	      "a NUMA node (numa_maps).\n"
	      "# TYPE oci_numa_hook_resident_bytes gauge\n",
	      out);
	for (size_t i = 0; i < o->n; i++)
		FOR_EACH_NODE(o, n) {
			fputs("oci_numa_hook_resident_bytes", out);
			prom_labels(out, &o->rows[i]);
			fprintf(out, ",node=\"%d\"} %llu\n", n,
				(unsigned long long)(o->rows[i].pages[n] * page));
		}
	fputs("# HELP oci_numa_hook_off_target_bytes Resident memory of a container's processes on "
	      "a NUMA node outside its oci-numa-hook/nodes target.\n"
	      "# TYPE oci_numa_hook_off_target_bytes gauge\n",
	      out);
	for (size_t i = 0; i < o->n; i++) {
		const nh_overview_row_t *row = &o->rows[i];

		if (!row->target_ok)
			continue;
		FOR_EACH_NODE(o, n) {
			fputs("oci_numa_hook_off_target_bytes", out);
			prom_labels(out, row);
			fprintf(out, ",node=\"%d\"} %llu\n", n,
				nh_nodeset_has(&row->target, (unsigned)n) ?
					0ULL :
					(unsigned long long)(row->pages[n] * page));
		}
	}
	fputs("# HELP oci_numa_hook_cgroup_numa_stat_bytes The container cgroup's memory.numa_stat "
	      "(cgroup v2) per node: anon, file (page cache) and shmem (tmpfs).\n"
	      "# TYPE oci_numa_hook_cgroup_numa_stat_bytes gauge\n",
	      out);
	for (size_t i = 0; i < o->n; i++) {
		const nh_overview_row_t *row = &o->rows[i];

		if (!row->numa_stat)
			continue;
		for (size_t t = 0; t < NH_ARRAY_SIZE(stat_types); t++) {
			const uint64_t *v = t == 0 ? row->numa_stat->anon :
					    t == 1 ? row->numa_stat->file :
						     row->numa_stat->shmem;

			FOR_EACH_NODE(o, n) {
				fputs("oci_numa_hook_cgroup_numa_stat_bytes", out);
				prom_labels(out, row);
				fprintf(out, ",node=\"%d\",type=\"%s\"} %llu\n", n, stat_types[t],
					(unsigned long long)v[n]);
			}
		}
	}
}
