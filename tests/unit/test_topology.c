/* SPDX-License-Identifier: Apache-2.0 */
/* numa/topology against a fake sysfs and /proc tree made in a temporary
 * directory: nodes 0 and 1 with CPUs and memory, node 2 with memory only
 * (CPU-less, like CXL or HBM memory), node 3 possible but offline. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "numa/topology.h"
#include "tests/unit/unit.h"

#define NODE "devices/system/node/"

struct file {
	const char *path, *content;
};

static const struct file machine[] = {
	{ NODE "possible", "0-3\n" },
	{ NODE "online", "0-2\n" },
	{ NODE "has_memory", "0-2\n" },
	{ NODE "has_normal_memory", "0-2\n" },
	{ NODE "has_cpu", "0-1\n" },
	{ NODE "node0/cpulist", "0-3,8-11\n" },
	{ NODE "node1/cpulist", "4-7,12-15,4096\n" },
	{ NODE "node2/cpulist", "\n" },
	{ "proc/self/status", "Name:\toci-numa-hook\nCpus_allowed_list:\t0-15\n"
			      "Mems_allowed:\t00000000,00000007\nMems_allowed_list:\t0-2\n"
			      "voluntary_ctxt_switches:\t1\n" },
	{ "proc/4242/status", "Name:\tsleep\nMems_allowed:\t00000000,00000002\n"
			      "Mems_allowed_list:\t1\nvoluntary_ctxt_switches:\t0\n" },
	{ NULL, NULL },
};

/* The machine with some files replaced or added (content NULL: removed). */
static char *make_tree(const struct file *changes)
{
	char *dir = ut_mkdtemp("topology");

	for (const struct file *f = machine; f->path; f++) {
		bool changed = false;

		for (const struct file *c = changes; c && c->path; c++)
			changed = changed || strcmp(c->path, f->path) == 0;
		if (!changed)
			ut_write_file(dir, f->path, f->content);
	}
	for (const struct file *c = changes; c && c->path; c++)
		if (c->content)
			ut_write_file(dir, c->path, c->content);
	return dir;
}

static const char *fmt(const nh_nodeset_t *s)
{
	static char bufs[3][NH_NODESET_STR_MAX];
	static int i;

	return nh_nodeset_format(s, bufs[i++ % 3], sizeof(bufs[0]));
}

struct topo_case {
	const char *name;
	struct file changes[4];
	const char *online, *memory, *cpu; /* expected; NULL when refused */
	int status;
	const char *why;
};

static const struct topo_case topo_cases[] = {
	{ "2 nodes + memory-only + offline", { { NULL } }, "0-2", "0-2", "0-1", 0, NULL },
	{ "has_memory names an offline node",
	  { { NODE "has_memory", "0-3\n" } },
	  "0-2",
	  "0-2",
	  "0-1",
	  0,
	  NULL },
	{ "one node",
	  { { NODE "online", "0\n" }, { NODE "has_memory", "0\n" }, { NODE "has_cpu", "0\n" } },
	  "0",
	  "0",
	  "0",
	  0,
	  NULL },
	{ "no node has memory", { { NODE "has_memory", "\n" } }, "0-2", "", "0-1", 0, NULL },
	{ "files without newline",
	  { { NODE "online", "0-2" }, { NODE "has_cpu", "0-1" } },
	  "0-2",
	  "0-2",
	  "0-1",
	  0,
	  NULL },
	{ "1024 nodes",
	  { { NODE "online", "0-1023\n" }, { NODE "has_memory", "0-1023\n" } },
	  "0-1023",
	  "0-1023",
	  "0-1",
	  0,
	  NULL },
	{ "has_cpu missing",
	  { { NODE "has_cpu", NULL } },
	  NULL,
	  NULL,
	  NULL,
	  NH_EXIT_SYSTEM,
	  "cannot read " },
	{ "online missing",
	  { { NODE "online", NULL } },
	  NULL,
	  NULL,
	  NULL,
	  NH_EXIT_SYSTEM,
	  NODE "online" },
	{ "has_memory garbage",
	  { { NODE "has_memory", "0-2 junk\n" } },
	  NULL,
	  NULL,
	  NULL,
	  NH_EXIT_INVALID,
	  NODE "has_memory \"0-2 junk\\x0a\"" },
	{ "online out of range",
	  { { NODE "online", "0-1024\n" } },
	  NULL,
	  NULL,
	  NULL,
	  NH_EXIT_INVALID,
	  "1024 is out of range" },
};

static void check_topology(void **state)
{
	const struct topo_case *c = *state;
	_cleanup_free_ char *dir = make_tree(c->changes);
	nh_error_t err = { 0 };
	nh_topology_t topo;
	int r;

	memset(&topo, 0x5a, sizeof(topo));
	r = nh_topology_read(dir, &topo, &err);
	if (c->why) {
		assert_int_equal(r, -1);
		assert_int_equal(err.status, c->status);
		UT_EXPECT_CONTAINS(err.msg, c->why);
		UT_EXPECT_CONTAINS(err.msg, dir); /* the full path of the file */
	} else {
		UT_EXPECT_NO_ERROR(&err);
		assert_int_equal(r, 0);
		assert_string_equal(fmt(&topo.online), c->online);
		assert_string_equal(fmt(&topo.has_memory), c->memory);
		assert_string_equal(fmt(&topo.has_cpu), c->cpu);
	}
	ut_rmtree(dir);
}

struct cpus_case {
	const char *cpus; /* kernel format, as in cpuset.cpus.effective */
	const char *nodes;
};

static const struct cpus_case cpus_cases[] = {
	{ "0", "0" },	   { "3", "0" },    { "4", "1" },      { "3-4", "0-1" },
	{ "8-11", "0" },   { "12", "1" },   { "0-15", "0-1" }, { "16", "" },
	{ "16-4095", "" }, { "4096", "1" }, { "", "" },	       { "7,8", "0-1" },
};

static void check_nodes_of_cpus(void **state)
{
	const struct cpus_case *c = *state;
	_cleanup_free_ char *dir = make_tree(NULL);
	nh_error_t err = { 0 };
	nh_topology_t topo;
	nh_cpuset_t cpus;
	nh_nodeset_t out;

	assert_int_equal(nh_topology_read(dir, &topo, &err), 0);
	assert_int_equal(nh_cpuset_parse_kernel(c->cpus, strlen(c->cpus), &cpus, "cpus", &err), 0);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(nh_topology_nodes_of_cpus(dir, &topo, &cpus, &out, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_string_equal(fmt(&out), c->nodes);
	ut_rmtree(dir);
}

/* The memory-only node has no cpulist worth reading; a node with CPUs whose
 * cpulist is gone is an error naming the file. */
static void nodes_of_cpus_missing_cpulist(void **state)
{
	static const struct file gone[] = { { NODE "node1/cpulist", NULL }, { NULL, NULL } };
	_cleanup_free_ char *dir = make_tree(gone);
	nh_error_t err = { 0 };
	nh_topology_t topo;
	nh_cpuset_t cpus;
	nh_nodeset_t out;

	assert_int_equal(nh_topology_read(dir, &topo, &err), 0);
	assert_int_equal(nh_cpuset_parse_kernel("0", 1, &cpus, "cpus", &err), 0);
	assert_int_equal(nh_topology_nodes_of_cpus(dir, &topo, &cpus, &out, &err), -1);
	assert_int_equal(err.status, NH_EXIT_SYSTEM);
	assert_int_equal(err.errnum, ENOENT);
	UT_EXPECT_CONTAINS(err.msg, "node1/cpulist");
	ut_rmtree(dir);
}

static void nodes_of_cpus_memory_only_not_read(void **state)
{
	static const struct file gone[] = { { NODE "node2/cpulist", NULL }, { NULL, NULL } };
	_cleanup_free_ char *dir = make_tree(gone);
	nh_error_t err = { 0 };
	nh_topology_t topo;
	nh_cpuset_t cpus;
	nh_nodeset_t out;

	assert_int_equal(nh_topology_read(dir, &topo, &err), 0);
	assert_int_equal(nh_cpuset_parse_kernel("0-15", 4, &cpus, "cpus", &err), 0);
	assert_int_equal(nh_topology_nodes_of_cpus(dir, &topo, &cpus, &out, &err), 0);
	assert_string_equal(fmt(&out), "0-1");
	ut_rmtree(dir);
}

struct mems_case {
	const char *name;
	int pid;
	const char *status; /* proc/<pid>/status content; NULL: the machine's */
	const char *expect; /* NULL: refused */
	const char *why;
};

static const struct mems_case mems_cases[] = {
	{ "self", 0, NULL, "0-2", NULL },
	{ "pid 4242", 4242, NULL, "1", NULL },
	{ "last line without newline", 4243, "Name:\tx\nMems_allowed_list:\t0,2", "0,2", NULL },
	{ "spaces before the list", 4243, "Mems_allowed_list:   1-2\n", "1-2", NULL },
	{ "empty list", 4243, "Mems_allowed_list:\t\n", "", NULL },
	{ "first line", 4243, "Mems_allowed_list:\t2\nName:\tx\n", "2", NULL },
	{ "not at a line start", 4243, "XMems_allowed_list:\t1\n", NULL,
	  "has no Mems_allowed_list: line" },
	{ "no such line", 4243, "Name:\tx\nMems_allowed:\t1\n", NULL,
	  "/proc/4243/status has no Mems_allowed_list: line" },
	{ "empty file", 4243, "", NULL, "has no Mems_allowed_list: line" },
	{ "garbage list", 4243, "Mems_allowed_list:\tall\n", NULL, "\"all\" is not a number" },
	{ "no such process", 999999, NULL, NULL, "cannot read " },
};

static void check_mems_allowed(void **state)
{
	const struct mems_case *c = *state;
	_cleanup_free_ char *dir = make_tree(NULL);
	_cleanup_free_ char *proc = ut_strdupf("%s/proc", dir);
	nh_error_t err = { 0 };
	nh_nodeset_t out;
	int r;

	if (c->status) {
		_cleanup_free_ char *rel = ut_strdupf("proc/%d/status", c->pid);

		ut_write_file(dir, rel, c->status);
	}
	r = nh_mems_allowed(proc, c->pid, &out, &err);
	if (c->expect) {
		UT_EXPECT_NO_ERROR(&err);
		assert_int_equal(r, 0);
		assert_string_equal(fmt(&out), c->expect);
	} else {
		assert_int_equal(r, -1);
		UT_EXPECT_CONTAINS(err.msg, c->why);
		UT_EXPECT_CONTAINS(err.msg, proc); /* names the file */
	}
	ut_rmtree(dir);
}

int main(void)
{
	ut_list_t l = { 0 };

	for (size_t i = 0; i < NH_ARRAY_SIZE(topo_cases); i++)
		ut_add(&l, check_topology, &topo_cases[i], "read: %s -> %s", topo_cases[i].name,
		       topo_cases[i].why ? "refused" : "ok");
	for (size_t i = 0; i < NH_ARRAY_SIZE(cpus_cases); i++)
		ut_add(&l, check_nodes_of_cpus, &cpus_cases[i], "nodes of cpus \"%s\" -> \"%s\"",
		       cpus_cases[i].cpus, cpus_cases[i].nodes);
	ut_add(&l, nodes_of_cpus_missing_cpulist, NULL, "nodes of cpus: missing cpulist -> error");
	ut_add(&l, nodes_of_cpus_memory_only_not_read, NULL,
	       "nodes of cpus: memory-only node's cpulist not needed");
	for (size_t i = 0; i < NH_ARRAY_SIZE(mems_cases); i++)
		ut_add(&l, check_mems_allowed, &mems_cases[i], "mems allowed: %s -> %s",
		       mems_cases[i].name, mems_cases[i].expect ? "ok" : "refused");
	return ut_run("topology", &l);
}
