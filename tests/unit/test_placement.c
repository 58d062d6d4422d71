/* SPDX-License-Identifier: Apache-2.0 */
/* numa/placement: pages per node from /proc/<pid>/numa_maps. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "numa/placement.h"
#include "tests/unit/unit.h"

/* The tables are written for 4 KiB base pages (x86-64), where the counts
 * are in base pages. */
#define BASE_KB 4

struct count {
	unsigned node;
	uint64_t pages;
};

struct pl_case {
	const char *name;
	const char *text;
	struct count expect[4]; /* the non-zero nodes; pages 0 ends the list */
	const char *why;	/* part of the error message; NULL: accepted */
};

/* clang-format off */
#define OK(n, t, ...) { .name = n, .text = t, .expect = { __VA_ARGS__ } }
#define BAD(n, t, w) { .name = n, .text = t, .why = w }
/* clang-format on */

static const struct pl_case cases[] = {
	OK("empty", "", { 0, 0 }),
	OK("a line without pages", "7ffd3e5fb000 default\n", { 0, 0 }),
	OK("anon", "55d4b3d0f000 default heap anon=3 dirty=3 N0=1 N1=2 kernelpagesize_kB=4\n",
	   { 0, 1 }, { 1, 2 }),
	OK("file",
	   "7f2a21a00000 default file=/usr/lib/libc.so.6 mapped=38 mapmax=12 N0=38 "
	   "kernelpagesize_kB=4\n",
	   { 0, 38 }),
	OK("stack", "7ffd3e5f1000 default stack anon=9 dirty=9 N0=9 kernelpagesize_kB=4\n",
	   { 0, 9 }),
	OK("policies",
	   "7f00 bind:1 anon=5 N1=5 kernelpagesize_kB=4\n"
	   "7f01 interleave:0-1 anon=4 N0=2 N1=2 kernelpagesize_kB=4\n"
	   "7f02 prefer:0 anon=1 N0=1 kernelpagesize_kB=4\n",
	   { 0, 3 }, { 1, 7 }),
	OK("lines add up",
	   "1000 default anon=1 N3=1 kernelpagesize_kB=4\n"
	   "2000 default anon=2 N3=2 kernelpagesize_kB=4\n",
	   { 3, 3 }),
	OK("no newline at the end", "1000 default anon=1 N2=7 kernelpagesize_kB=4", { 2, 7 }),
	OK("no kernelpagesize_kB: base pages", "1000 default anon=6 N0=6\n", { 0, 6 }),
	OK("high node numbers", "1000 default N63=1 N64=2 N1023=3 kernelpagesize_kB=4\n", { 63, 1 },
	   { 64, 2 }, { 1023, 3 }),
	/* hugetlbfs pages count as their size in base pages */
	OK("huge 2 MiB",
	   "7f2a1c000000 default file=/anon_hugepage\\040(deleted) huge anon=2 dirty=2 N1=2 "
	   "kernelpagesize_kB=2048\n",
	   { 1, 2 * 512 }),
	OK("huge 1 GiB",
	   "7f0000000000 default file=/dev/hugepages/x huge N0=1 N1=3 "
	   "kernelpagesize_kB=1048576\n",
	   { 0, 262144 }, { 1, 3 * 262144 }),
	OK("huge: size before the counts", "7f00 default huge kernelpagesize_kB=2048 N0=1\n",
	   { 0, 512 }),
	OK("huge and base lines",
	   "7f00 default huge N0=1 kernelpagesize_kB=2048\n"
	   "7f01 default anon=1 N0=1 kernelpagesize_kB=4\n",
	   { 0, 513 }),
	OK("kernelpagesize_kB unreadable: base pages", "7f00 default N0=3 kernelpagesize_kB=x\n",
	   { 0, 3 }),
	OK("kernelpagesize_kB 0: base pages", "7f00 default N0=3 kernelpagesize_kB=0\n", { 0, 3 }),
	/* tokens that look like counts but are not the kernel's */
	OK("lone N is not a count", "7f00 default N N0=1\n", { 0, 1 }),
	OK("double spaces", "7f00  default  N0=4  kernelpagesize_kB=4 \n", { 0, 4 }),
	OK("file name with N escaped", "7f00 default file=/tmp/a\\040N9=1 N0=1\n", { 0, 1 }),
	BAD("N without =", "7f00 default Nfoo N0=1\n", "numa_maps: cannot parse \"Nfoo\""),
	BAD("N=5", "7f00 default N=5\n", "cannot parse \"N=5\""),
	BAD("N0=", "7f00 default N0=\n", "cannot parse \"N0=\""),
	BAD("N0=x", "7f00 default N0=x\n", "cannot parse \"N0=x\""),
	BAD("N0=-1", "7f00 default N0=-1\n", "cannot parse \"N0=-1\""),
	BAD("Nx=1", "7f00 default Nx=1\n", "cannot parse \"Nx=1\""),
	BAD("N-1=1", "7f00 default N-1=1\n", "cannot parse \"N-1=1\""),
	BAD("N1024=1", "7f00 default N1024=1\n", "cannot parse \"N1024=1\""),
	BAD("N99999999999999999999=1", "7f00 default N99999999999999999999=1\n", "cannot parse"),
	BAD("count too large", "7f00 default N0=99999999999999999999\n",
	    "cannot parse \"N0=99999999999999999999\""),
	BAD("count above UINT64_MAX/512", "7f00 default N0=36028797018963968\n", "cannot parse"),
	BAD("control bytes escaped", "7f00 default N\x1b[2J=1\n", "cannot parse \"N\\x1b[2J=1\""),
};

static void check_parse(void **state)
{
	const struct pl_case *c = *state;
	_cleanup_free_ nh_placement_t *p = calloc(1, sizeof(*p));
	/* The exact length on the heap, no NUL after it: only len bytes may be read. */
	size_t len = strlen(c->text);
	_cleanup_free_ char *text = malloc(len ? len : 1);
	nh_error_t err = { 0 };
	int r;

	assert_non_null(p);
	assert_non_null(text);
	memcpy(text, c->text, len);
	r = nh_placement_parse(text, len, p, &err);
	if (c->why) {
		assert_int_equal(r, -1);
		UT_EXPECT_ERROR(&err, NH_EXIT_SYSTEM, c->why);
		return;
	}
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(r, 0);
	for (unsigned n = 0; n < NH_MAX_NODES; n++) {
		uint64_t want = 0;

		for (size_t i = 0; i < NH_ARRAY_SIZE(c->expect) && c->expect[i].pages; i++)
			if (c->expect[i].node == n)
				want = c->expect[i].pages;
		if (p->pages[n] != want) {
			ut_diag("node %u: %llu pages, expected %llu", n,
				(unsigned long long)p->pages[n], (unsigned long long)want);
			fail();
		}
	}
}

/* The parser adds to what p holds (one p for every process of a cgroup). */
static void parse_adds(void **state)
{
	_cleanup_free_ nh_placement_t *p = calloc(1, sizeof(*p));
	nh_error_t err = { 0 };
	const char *t = "1000 default N0=1 N1=2\n";

	assert_non_null(p);
	assert_int_equal(nh_placement_parse(t, strlen(t), p, &err), 0);
	assert_int_equal(nh_placement_parse(t, strlen(t), p, &err), 0);
	assert_int_equal(p->pages[0], 2);
	assert_int_equal(p->pages[1], 4);
}

/* A real process on two nodes, captured on a 2-node machine. */
static void sample_two_nodes(void **state)
{
	size_t len;
	_cleanup_free_ char *text = ut_read_data("numa_maps-2node.txt", &len);
	_cleanup_free_ nh_placement_t *p = calloc(1, sizeof(*p));
	nh_error_t err = { 0 };
	nh_nodeset_t n0, n1, both, none;

	assert_non_null(p);
	assert_int_equal(nh_placement_parse(text, len, p, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(p->pages[0], 2 + 3 + 1 + 5 + 38 + 2 + 9);
	assert_int_equal(p->pages[1], 1 + 1 + 2 + 2 * 512 + 512 + 5);
	assert_int_equal(p->pages[2], 0);
	nh_nodeset_clear(&n0);
	nh_nodeset_add(&n0, 0);
	nh_nodeset_clear(&n1);
	nh_nodeset_add(&n1, 1);
	nh_nodeset_or(&both, &n0, &n1);
	nh_nodeset_clear(&none);
	assert_int_equal(nh_placement_sum(p, &n0), 60);
	assert_int_equal(nh_placement_sum(p, &n1), 1545);
	assert_int_equal(nh_placement_sum(p, &both), 1605);
	assert_int_equal(nh_placement_sum(p, &none), 0);
}

static void sum_over_every_node(void **state)
{
	_cleanup_free_ nh_placement_t *p = calloc(1, sizeof(*p));
	nh_nodeset_t all;

	assert_non_null(p);
	nh_nodeset_clear(&all);
	for (unsigned n = 0; n < NH_MAX_NODES; n++) {
		p->pages[n] = n;
		nh_nodeset_add(&all, n);
	}
	assert_int_equal(nh_placement_sum(p, &all),
			 (uint64_t)NH_MAX_NODES * (NH_MAX_NODES - 1) / 2);
}

/* nh_placement_read on a fake /proc/<pid> directory. */
static void read_from_a_directory(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("placement");
	_cleanup_free_ nh_placement_t *p = calloc(1, sizeof(*p));
	_cleanup_close_ int dfd = -1;
	nh_error_t err = { 0 };

	assert_non_null(p);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	/* a process that exited: no error, -ESRCH */
	assert_int_equal(nh_placement_read(dfd, p, &err), -ESRCH);
	UT_EXPECT_NO_ERROR(&err);
	ut_write_file(dir, "numa_maps", "1000 default anon=2 N1=2 kernelpagesize_kB=4\n");
	assert_int_equal(nh_placement_read(dfd, p, &err), 0);
	assert_int_equal(p->pages[1], 2);
	ut_rmtree(dir);
}

int main(void)
{
	ut_list_t l = { 0 };

	if (sysconf(_SC_PAGESIZE) == BASE_KB * 1024) {
		for (size_t i = 0; i < NH_ARRAY_SIZE(cases); i++)
			ut_add(&l, check_parse, &cases[i], "parse: %s -> %s",
			       ut_show_str(cases[i].name), cases[i].why ? "refused" : "ok");
		ut_add(&l, sample_two_nodes, NULL, "parse: sample of a process on 2 nodes");
		ut_add(&l, read_from_a_directory, NULL, "read: numa_maps of a /proc/<pid> dir");
	}
	ut_add(&l, parse_adds, NULL, "parse adds to the counts");
	ut_add(&l, sum_over_every_node, NULL, "sum over every node");
	return ut_run("placement", &l);
}
