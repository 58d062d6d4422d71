/* SPDX-License-Identifier: Apache-2.0 */
/* Where the memory of every process of a cgroup tree is, per node: what
 * `status` prints and what `migrate` shows before and after. */
#ifndef NH_SURVEY_H
#define NH_SURVEY_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "common/nodeset.h"

typedef struct nh_survey_proc {
	pid_t pid;
	char command[64];
	uint64_t *pages; /* indexed by node, nh_survey.span entries */
} nh_survey_proc_t;

typedef struct nh_survey {
	nh_nodeset_t nodes; /* the columns: nodes with memory */
	unsigned span;      /* highest node + 1 */
	nh_survey_proc_t *procs;
	size_t n_procs;
	uint64_t *total; /* per node */
} nh_survey_t;

int nh_survey_collect(const nh_cgroup_t *cg, const nh_nodeset_t *nodes, nh_survey_t *s,
		      nh_error_t *err);
/* The same for one process (of cg): a process outside any container. */
int nh_survey_collect_pid(const nh_cgroup_t *cg, pid_t pid, const nh_nodeset_t *nodes,
			  nh_survey_t *s, nh_error_t *err);
uint64_t nh_survey_sum(const nh_survey_t *s, const nh_nodeset_t *nodes);
void nh_survey_free(nh_survey_t *s);

/* A numastat -p like table in MiB. */
void nh_survey_print_table(const nh_survey_t *s, FILE *out);
/* One JSON object (no trailing newline): {"processes":[...],"total":{...}}. */
void nh_survey_print_json(const nh_survey_t *s, FILE *out);

/* A JSON string, escaped (control and non-ASCII bytes as \u00XX). */
void nh_json_string(FILE *out, const char *s);

#endif
