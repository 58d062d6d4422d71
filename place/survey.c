/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <string.h>

#include "common/util.h"
#include "place/survey.h"
#include "numa/placement.h"

#define PAGE_MIB(pages) nh_pages_mib(pages)

struct collect {
	nh_survey_t *s;
	const nh_cgroup_t *cg;
	nh_error_t *err;
};

static void read_command(int procfd, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (nh_read_file_at(procfd, "comm", 256, &text, &len) < 0) {
		snprintf(buf, size, "?");
		return;
	}
	text[strcspn(text, "\n")] = '\0';
	snprintf(buf, size, "%s", text);
}

static int add_process(pid_t pid, void *data)
{
	struct collect *c = data;
	nh_survey_t *s = c->s;
	_cleanup_close_ int procfd = -1;
	nh_placement_t *pl = NULL;
	nh_survey_proc_t *procs, *p;
	char path[32];
	int r;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || !nh_cgroup_holds_process(c->cg, procfd))
		return 0; /* gone or moved away meanwhile */
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return nh_fail(c->err, NH_EXIT_SYSTEM, ENOMEM, "survey");
	r = nh_placement_read(procfd, pl, c->err);
	if (r < 0) {
		free(pl);
		if (r == -ESRCH || c->err->status == 0) {
			nh_error_clear(c->err);
			return 0;
		}
		return nh_prefix(c->err, "process %d", (int)pid);
	}
	procs = realloc(s->procs, (s->n_procs + 1) * sizeof(*procs));
	if (!procs) {
		free(pl);
		return nh_fail(c->err, NH_EXIT_SYSTEM, ENOMEM, "survey");
	}
	s->procs = procs;
	p = &s->procs[s->n_procs];
	p->pid = pid;
	read_command(procfd, p->command, sizeof(p->command));
	p->pages = calloc(s->span ? s->span : 1, sizeof(uint64_t));
	if (!p->pages) {
		free(pl);
		return nh_fail(c->err, NH_EXIT_SYSTEM, ENOMEM, "survey");
	}
	s->n_procs++;
	for (unsigned n = 0; n < s->span; n++) {
		p->pages[n] = pl->pages[n];
		s->total[n] += pl->pages[n];
	}
	free(pl);
	return 0;
}

static int survey_init(const nh_nodeset_t *nodes, nh_survey_t *s, nh_error_t *err)
{
	memset(s, 0, sizeof(*s));
	s->nodes = *nodes;
	s->span = nh_nodeset_span(nodes);
	s->total = calloc(s->span ? s->span : 1, sizeof(uint64_t));
	if (!s->total)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "survey");
	return 0;
}

int nh_survey_collect(const nh_cgroup_t *cg, const nh_nodeset_t *nodes, nh_survey_t *s,
		      nh_error_t *err)
{
	struct collect c = { .s = s, .cg = cg, .err = err };

	if (survey_init(nodes, s, err) < 0)
		return -1;
	if (nh_cgroup_for_each_process(cg, add_process, &c, err) < 0) {
		nh_survey_free(s);
		return -1;
	}
	return 0;
}

int nh_survey_collect_pid(const nh_cgroup_t *cg, pid_t pid, const nh_nodeset_t *nodes,
			  nh_survey_t *s, nh_error_t *err)
{
	struct collect c = { .s = s, .cg = cg, .err = err };

	if (survey_init(nodes, s, err) < 0)
		return -1;
	if (add_process(pid, &c) < 0) {
		nh_survey_free(s);
		return -1;
	}
	return 0;
}

uint64_t nh_survey_sum(const nh_survey_t *s, const nh_nodeset_t *nodes)
{
	uint64_t sum = 0;

	for (unsigned n = 0; n < s->span; n++)
		if (nh_nodeset_has(nodes, n))
			sum += s->total[n];
	return sum;
}

void nh_survey_free(nh_survey_t *s)
{
	for (size_t i = 0; i < s->n_procs; i++)
		free(s->procs[i].pages);
	free(s->procs);
	free(s->total);
	memset(s, 0, sizeof(*s));
}

#define FOR_EACH_NODE(s, n)                                                                        \
	for (int n = nh_nodeset_next(&(s)->nodes, 0); n >= 0;                                      \
	     n = nh_nodeset_next(&(s)->nodes, (unsigned)n + 1))

static void print_row(FILE *out, const char *pid, const char *command, const nh_survey_t *s,
		      const uint64_t *pages)
{
	uint64_t sum = 0;

	fprintf(out, "%-8s %-16.16s", pid, command);
	FOR_EACH_NODE(s, n) {
		fprintf(out, " %10.2f", PAGE_MIB(pages[n]));
		sum += pages[n];
	}
	fprintf(out, " %10.2f\n", PAGE_MIB(sum));
}

static void print_rule(FILE *out, const nh_survey_t *s)
{
	fprintf(out, "-------- ----------------");
	FOR_EACH_NODE(s, n)
		fprintf(out, " ----------");
	fprintf(out, " ----------\n");
}

void nh_survey_print_table(const nh_survey_t *s, FILE *out)
{
	char pid[16], head[16];

	fprintf(out, "%-8s %-16s", "PID", "COMMAND");
	FOR_EACH_NODE(s, n) {
		snprintf(head, sizeof(head), "Node %d", n);
		fprintf(out, " %10s", head);
	}
	fprintf(out, " %10s\n", "Total");
	print_rule(out, s);
	for (size_t i = 0; i < s->n_procs; i++) {
		snprintf(pid, sizeof(pid), "%d", (int)s->procs[i].pid);
		print_row(out, pid, s->procs[i].command, s, s->procs[i].pages);
	}
	print_rule(out, s);
	print_row(out, "Total", "", s, s->total);
}

void nh_json_string(FILE *out, const char *str)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

static void print_pages_json(FILE *out, const nh_survey_t *s, const uint64_t *pages)
{
	bool first = true;

	fputc('{', out);
	FOR_EACH_NODE(s, n) {
		fprintf(out, "%s\"%d\":%llu", first ? "" : ",", n, (unsigned long long)pages[n]);
		first = false;
	}
	fputc('}', out);
}

void nh_survey_print_json(const nh_survey_t *s, FILE *out)
{
	fprintf(out, "{\"page_size\":%zu,\"processes\":[", nh_page_size());
	for (size_t i = 0; i < s->n_procs; i++) {
		fprintf(out, "%s{\"pid\":%d,\"command\":", i ? "," : "", (int)s->procs[i].pid);
		nh_json_string(out, s->procs[i].command);
		fprintf(out, ",\"pages\":");
		print_pages_json(out, s, s->procs[i].pages);
		fputc('}', out);
	}
	fprintf(out, "],\"total_pages\":");
	print_pages_json(out, s, s->total);
	fputc('}', out);
}
