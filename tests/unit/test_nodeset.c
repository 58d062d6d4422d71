/* SPDX-License-Identifier: Apache-2.0 */
/* common/nodeset: the strict node-list parser (user and kernel format), the
 * formatter and the set operations. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/nodeset.h"
#include "tests/unit/unit.h"

#define WHAT "test list"

struct parse_case {
	const char *in;
	size_t len;	    /* 0: strlen(in) */
	bool kernel;	    /* kernel format (cpuset.mems, sysfs) */
	const char *expect; /* the set formatted back, or NULL if refused */
	const char *why;    /* part of the error message when refused */
};

/* clang-format off */
#define OK(in, out) { in, 0, false, out, NULL }
#define BAD(in, why) { in, 0, false, NULL, why }
#define K_OK(in, out) { in, 0, true, out, NULL }
#define K_BAD(in, why) { in, 0, true, NULL, why }
/* clang-format on */

static const struct parse_case parse_cases[] = {
	/* single nodes and ranges */
	OK("0", "0"),
	OK("1", "1"),
	OK("7", "7"),
	OK("10", "10"),
	OK("0-1", "0-1"),
	OK("0-3", "0-3"),
	OK("2-2", "2"),
	OK("0-0", "0"),
	OK("0,2-3", "0,2-3"),
	OK("0,2,4", "0,2,4"),
	OK("0,1,2,3", "0-3"),
	OK("3,0", "0,3"),
	OK("5,1-3", "1-3,5"),
	OK("1-2,4-5,7", "1-2,4-5,7"),
	OK("10,100,1000", "10,100,1000"),
	OK("0-1,3", "0-1,3"),
	/* bounds: MAX_NUMNODES is 1024 */
	OK("1023", "1023"),
	OK("1022-1023", "1022-1023"),
	OK("0-1023", "0-1023"),
	OK("0,1023", "0,1023"),
	BAD("1024", "1024 is out of range (0-1023)"),
	BAD("0-1024", "1024 is out of range (0-1023)"),
	BAD("1024-1025", "1024 is out of range"),
	BAD("9999", "9999 is out of range"),
	/* overflow: must not wrap around to a small node number */
	BAD("4294967296", "4294967296 is out of range"),
	BAD("4294967297", "4294967297 is out of range"),
	BAD("18446744073709551616", "is out of range"),
	BAD("18446744073709551617", "is out of range"),
	BAD("99999999999999999999", "99999999999999999999 is out of range"),
	BAD("0-99999999999999999999", "is out of range"),
	/* duplicates */
	BAD("1,1", "node 1 is listed twice"),
	BAD("0,1,0", "node 0 is listed twice"),
	BAD("0-3,2", "node 2 is listed twice"),
	BAD("0-2,1-3", "node 1 is listed twice"),
	BAD("3,0-3", "node 3 is listed twice"),
	/* reversed ranges */
	BAD("3-1", "range 3-1 is reversed"),
	BAD("1-0", "range 1-0 is reversed"),
	BAD("0,1023-0", "range 1023-0 is reversed"),
	/* empty list and empty items */
	BAD("", "empty value"),
	BAD(",", "empty item"),
	BAD("1,,2", "empty item"),
	BAD(",1", "empty item"),
	BAD("1,", "empty item"),
	BAD("-", "empty item"),
	BAD("1-", "empty item"),
	BAD("-3", "empty item"),
	BAD("1--2", "not a number"),
	BAD("1-2-3", "not a number"),
	/* white space is never part of a list */
	BAD(" 1", "not a number"),
	BAD("1 ", "not a number"),
	BAD("1 2", "not a number"),
	BAD("1, 2", "not a number"),
	BAD("1 ,2", "not a number"),
	BAD("1 - 2", "not a number"),
	BAD("\t1", "not a number"),
	BAD("1\n", "not a number"),
	BAD("\n", "not a number"),
	BAD("1\r", "not a number"),
	/* signs, hex, octal, decimals, words */
	BAD("+1", "not a number"),
	BAD("1-+2", "not a number"),
	BAD("0x1", "not a number"),
	BAD("0x10", "not a number"),
	BAD("1a", "not a number"),
	BAD("a", "not a number"),
	BAD("a-b", "not a number"),
	BAD("1.5", "not a number"),
	BAD("1e3", "not a number"),
	BAD("all", "not a number"),
	BAD("\xef\xbc\x91", "not a number"), /* fullwidth digit one */
	BAD("1;2", "not a number"),
	BAD("1:2", "not a number"),
	BAD("!1", "not a number"),
	/* leading zeros: "010" is not octal 8, and not silently 10 */
	BAD("01", "leading zero"),
	BAD("00", "leading zero"),
	BAD("007", "leading zero"),
	BAD("0-01", "leading zero"),
	BAD("1,02", "leading zero"),
	/* kernel format: empty set, one trailing newline, duplicates tolerated */
	K_OK("", ""),
	K_OK("\n", ""),
	K_OK("0\n", "0"),
	K_OK("0-3\n", "0-3"),
	K_OK("0-1,3\n", "0-1,3"),
	K_OK("0,0", "0"),
	K_OK("0-3", "0-3"),
	K_BAD("0-3\n\n", "not a number"),
	K_BAD("\n\n", "not a number"),
	K_BAD("0-3 \n", "not a number"),
	K_BAD(" \n", "not a number"),
	K_BAD("1024\n", "1024 is out of range"),
	K_BAD("3-1\n", "range 3-1 is reversed"),
	K_BAD("1,\n", "empty item"),
	K_BAD("01\n", "leading zero"),
	/* NUL bytes, in both formats */
	{ "1\0", 2, false, NULL, "contains a NUL byte" },
	{ "\0", 1, false, NULL, "contains a NUL byte" },
	{ "0-1\0,3", 6, false, NULL, "contains a NUL byte" },
	{ "0\0\n", 3, true, NULL, "contains a NUL byte" },
};

static void check_parse(void **state)
{
	const struct parse_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->in);
	nh_error_t err = { 0 };
	nh_nodeset_t set;
	char buf[NH_NODESET_STR_MAX];
	int r;

	memset(&set, 0xa5, sizeof(set)); /* the parser clears it first */
	if (!c->kernel && len == strlen(c->in))
		r = nh_nodeset_parse(c->in, &set, WHAT, &err); /* the entry point for user values */
	else if (c->kernel)
		r = nh_nodeset_parse_kernel(c->in, len, &set, WHAT, &err);
	else
		r = nh_list_parse(c->in, len, set.bits, NH_MAX_NODES, false, WHAT, &err);

	if (c->expect) {
		UT_EXPECT_NO_ERROR(&err);
		assert_int_equal(r, 0);
		assert_string_equal(nh_nodeset_format(&set, buf, sizeof(buf)), c->expect);
		return;
	}
	assert_int_equal(r, -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, WHAT, c->why);
	if (len > 0)
		/* the whole value, as the message quotes it */
		UT_EXPECT_CONTAINS(err.msg, nh_quote(c->in, len, 3));
}

/* Lists too long to write in a table. */
static char *all_nodes_list(unsigned step, unsigned limit)
{
	size_t cap = 64 * 1024, used = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	for (unsigned n = 0; n < limit; n += step) {
		used += (size_t)snprintf(s + used, cap - used, "%s%u", n ? "," : "", n);
		assert_true(used < cap);
	}
	return s;
}

static void long_list_of_every_node(void **state)
{
	_cleanup_free_ char *s = all_nodes_list(1, NH_MAX_NODES);
	nh_error_t err = { 0 };
	nh_nodeset_t set;
	char buf[NH_NODESET_STR_MAX];

	assert_true(strlen(s) <= NH_NODELIST_MAX); /* 4009 bytes */
	assert_int_equal(nh_nodeset_parse(s, &set, WHAT, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(nh_nodeset_count(&set), NH_MAX_NODES);
	assert_string_equal(nh_nodeset_format(&set, buf, sizeof(buf)), "0-1023");
}

static void long_list_of_even_nodes_round_trips(void **state)
{
	_cleanup_free_ char *s = all_nodes_list(2, NH_MAX_NODES);
	nh_error_t err = { 0 };
	nh_nodeset_t set;
	char buf[NH_NODESET_STR_MAX];

	assert_int_equal(nh_nodeset_parse(s, &set, WHAT, &err), 0);
	assert_int_equal(nh_nodeset_count(&set), NH_MAX_NODES / 2);
	assert_string_equal(nh_nodeset_format(&set, buf, sizeof(buf)), s);
}

/* At the length limit the parser still reads the list (and finds the
 * duplicate); one byte more and it refuses the length. */
static void list_length_limit(void **state)
{
	char s[NH_NODELIST_MAX + 2];
	nh_error_t err = { 0 };
	nh_nodeset_t set;

	for (size_t i = 0; i < NH_NODELIST_MAX; i++)
		s[i] = i % 2 ? ',' : '1';
	s[NH_NODELIST_MAX - 1] = '1';
	s[NH_NODELIST_MAX] = '\0';
	assert_int_equal(nh_nodeset_parse(s, &set, WHAT, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "node 1 is listed twice");

	nh_error_clear(&err);
	s[NH_NODELIST_MAX] = ',';
	s[NH_NODELIST_MAX + 1] = '\0';
	assert_int_equal(nh_nodeset_parse(s, &set, WHAT, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, WHAT, "4097 bytes is too long (at most 4096)");
}

/* The kernel writes long CPU lists (cpulist of a big node); no length cap. */
static void kernel_cpu_list_is_not_capped(void **state)
{
	_cleanup_free_ char *s = all_nodes_list(2, NH_MAX_CPUS);
	nh_error_t err = { 0 };
	nh_cpuset_t cpus;

	assert_true(strlen(s) > NH_NODELIST_MAX);
	assert_int_equal(nh_cpuset_parse_kernel(s, strlen(s), &cpus, WHAT, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_true(nh_cpuset_has(&cpus, 0));
	assert_false(nh_cpuset_has(&cpus, 1));
	assert_true(nh_cpuset_has(&cpus, 8190));
	assert_false(nh_cpuset_has(&cpus, 8191));
}

static void kernel_cpu_list_bounds(void **state)
{
	nh_error_t err = { 0 };
	nh_cpuset_t cpus;

	assert_int_equal(nh_cpuset_parse_kernel("0-8191\n", 7, &cpus, WHAT, &err), 0);
	assert_true(nh_cpuset_has(&cpus, 8191));
	assert_false(nh_cpuset_has(&cpus, 8192));
	assert_int_equal(nh_cpuset_parse_kernel("8192\n", 5, &cpus, WHAT, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "8192 is out of range (0-8191)");
}

/* A long value is quoted shortened in the message, not whole. */
static void message_quotes_long_value_shortened(void **state)
{
	_cleanup_free_ char *s = all_nodes_list(1, 200);
	nh_error_t err = { 0 };
	nh_nodeset_t set;

	strcat(s, ",x");
	assert_int_equal(nh_nodeset_parse(s, &set, WHAT, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "...", "\"x\" is not a number");
	assert_true(strlen(err.msg) < 200);
}

/* Control bytes never reach a log line raw. */
static void message_escapes_control_bytes(void **state)
{
	nh_error_t err = { 0 };
	nh_nodeset_t set;

	assert_int_equal(nh_nodeset_parse("1\x1b[31m", &set, WHAT, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "\\x1b[31m");
	assert_null(strchr(err.msg, '\x1b'));
}

/* Format then parse gives the same set, for many pseudo-random sets. */
static void format_parse_round_trip(void **state)
{
	unsigned long seed = 12345;

	for (int round = 0; round < 500; round++) {
		nh_nodeset_t set, back;
		nh_error_t err = { 0 };
		char buf[NH_NODESET_STR_MAX];
		unsigned density = 1 + (unsigned)round % 7;

		nh_nodeset_clear(&set);
		for (unsigned n = 0; n < NH_MAX_NODES; n++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			if ((seed >> 33) % 8 < density)
				nh_nodeset_add(&set, n);
		}
		if (nh_nodeset_empty(&set))
			nh_nodeset_add(&set, (unsigned)round);
		nh_nodeset_format(&set, buf, sizeof(buf));
		assert_null(strstr(buf, "..."));
		assert_int_equal(nh_nodeset_parse(buf, &back, WHAT, &err), 0);
		assert_true(nh_nodeset_equal(&set, &back));
	}
}

struct format_case {
	const char *set; /* parsed as the input */
	size_t size;	 /* buffer size */
	const char *expect;
};

static const struct format_case format_cases[] = {
	{ "0-3", 4, "0-3" },	/* exactly fits */
	{ "0-3", 3, NULL },	/* too small even for "...": only terminated */
	{ "0-3,5", 5, "0..." }, /* cut: ends in "..." */
	{ "0-3,5", 6, "0-3,5" }, { "0,2,4,6,8,10", 8, "0,2,..." }, { "1023", 5, "1023" },
	{ "1023", 4, "..." },	 { "0-1023", 7, "0-1023" },
};

static void check_format(void **state)
{
	const struct format_case *c = *state;
	nh_error_t err = { 0 };
	nh_nodeset_t set;
	char buf[32];

	assert_int_equal(nh_nodeset_parse(c->set, &set, WHAT, &err), 0);
	memset(buf, 'Z', sizeof(buf));
	assert_ptr_equal(nh_nodeset_format(&set, buf, c->size), buf);
	if (c->expect)
		assert_string_equal(buf, c->expect);
	assert_true(strnlen(buf, c->size) < c->size);
	for (size_t i = c->size; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z'); /* nothing written past size */
}

static void format_empty_set(void **state)
{
	nh_nodeset_t set;
	char buf[8] = "junk";

	nh_nodeset_clear(&set);
	assert_string_equal(nh_nodeset_format(&set, buf, sizeof(buf)), "");
}

static void format_every_even_node_fits_the_documented_size(void **state)
{
	nh_nodeset_t set;
	char buf[NH_NODESET_STR_MAX];

	nh_nodeset_clear(&set);
	for (unsigned n = 0; n < NH_MAX_NODES; n += 2)
		nh_nodeset_add(&set, n);
	nh_nodeset_format(&set, buf, sizeof(buf));
	assert_null(strstr(buf, "..."));
	assert_int_equal(strncmp(buf, "0,2,4,", 6), 0);
	assert_non_null(strstr(buf, ",1020,1022"));
}

static nh_nodeset_t set_of(const char *list)
{
	nh_nodeset_t s;
	nh_error_t err = { 0 };

	if (*list == '\0')
		nh_nodeset_clear(&s);
	else
		assert_int_equal(nh_nodeset_parse(list, &s, WHAT, &err), 0);
	return s;
}

static const char *fmt(const nh_nodeset_t *s)
{
	static char bufs[2][NH_NODESET_STR_MAX];
	static int i;

	return nh_nodeset_format(s, bufs[i++ % 2], sizeof(bufs[0]));
}

struct ops_case {
	const char *a, *b;
	const char *and_, *or_, *andnot;
	bool equal, a_in_b;
};

static const struct ops_case ops_cases[] = {
	{ "0-3", "2-5", "2-3", "0-5", "0-1", false, false },
	{ "0-3", "0-3", "0-3", "0-3", "", true, true },
	{ "1", "0-3", "1", "0-3", "", false, true },
	{ "0-3", "1", "1", "0-3", "0,2-3", false, false },
	{ "", "1", "", "1", "", false, true },
	{ "", "", "", "", "", true, true },
	{ "0,1023", "63-64", "", "0,63-64,1023", "0,1023", false, false },
	{ "63-64", "0-1023", "63-64", "0-1023", "", false, true },
};

static void check_ops(void **state)
{
	const struct ops_case *c = *state;
	nh_nodeset_t a = set_of(c->a), b = set_of(c->b), d;

	nh_nodeset_and(&d, &a, &b);
	assert_string_equal(fmt(&d), c->and_);
	nh_nodeset_or(&d, &a, &b);
	assert_string_equal(fmt(&d), c->or_);
	nh_nodeset_andnot(&d, &a, &b);
	assert_string_equal(fmt(&d), c->andnot);
	assert_int_equal(nh_nodeset_equal(&a, &b), c->equal);
	assert_int_equal(nh_nodeset_subset(&a, &b), c->a_in_b);
	/* in place, as the hook uses them */
	d = a;
	nh_nodeset_and(&d, &d, &b);
	assert_string_equal(fmt(&d), c->and_);
}

static void count_next_span(void **state)
{
	nh_nodeset_t s = set_of("0,63-65,1023");

	assert_int_equal(nh_nodeset_count(&s), 5);
	assert_false(nh_nodeset_empty(&s));
	assert_int_equal(nh_nodeset_next(&s, 0), 0);
	assert_int_equal(nh_nodeset_next(&s, 1), 63);
	assert_int_equal(nh_nodeset_next(&s, 64), 64);
	assert_int_equal(nh_nodeset_next(&s, 66), 1023);
	assert_int_equal(nh_nodeset_next(&s, 1024), -1);
	assert_int_equal(nh_nodeset_span(&s), 1024);

	s = set_of("");
	assert_int_equal(nh_nodeset_count(&s), 0);
	assert_true(nh_nodeset_empty(&s));
	assert_int_equal(nh_nodeset_next(&s, 0), -1);
	assert_int_equal(nh_nodeset_span(&s), 0);

	s = set_of("2");
	assert_int_equal(nh_nodeset_span(&s), 3);
}

static void add_has_bounds(void **state)
{
	nh_nodeset_t s;

	nh_nodeset_clear(&s);
	nh_nodeset_add(&s, 1023);
	nh_nodeset_add(&s, 1024);  /* ignored, not a write past the set */
	nh_nodeset_add(&s, 99999); /* ignored */
	assert_true(nh_nodeset_has(&s, 1023));
	assert_false(nh_nodeset_has(&s, 1024));
	assert_false(nh_nodeset_has(&s, 4096));
	assert_int_equal(nh_nodeset_count(&s), 1);
	assert_false(nh_bits_test(s.bits, 1023, 1023)); /* beyond nbits */
}

static void cpuset_intersects(void **state)
{
	nh_error_t err = { 0 };
	nh_cpuset_t a, b, c;

	assert_int_equal(nh_cpuset_parse_kernel("0-3\n", 4, &a, WHAT, &err), 0);
	assert_int_equal(nh_cpuset_parse_kernel("3,8000\n", 7, &b, WHAT, &err), 0);
	assert_int_equal(nh_cpuset_parse_kernel("4-7,8191", 8, &c, WHAT, &err), 0);
	assert_true(nh_cpuset_intersects(&a, &b));
	assert_false(nh_cpuset_intersects(&a, &c));
	assert_false(nh_cpuset_intersects(&b, &c));
	assert_true(nh_cpuset_intersects(&c, &c));
}

int main(void)
{
	ut_list_t l = { 0 };

	for (size_t i = 0; i < NH_ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);

		ut_add(&l, check_parse, c, "parse%s \"%s\" -> %s", c->kernel ? " kernel" : "",
		       ut_show(c->in, len), c->expect ? ut_show_str(c->expect) : c->why);
	}
	for (size_t i = 0; i < NH_ARRAY_SIZE(format_cases); i++)
		ut_add(&l, check_format, &format_cases[i], "format %s in %zu bytes -> \"%s\"",
		       format_cases[i].set, format_cases[i].size,
		       format_cases[i].expect ? format_cases[i].expect : "(terminated)");
	for (size_t i = 0; i < NH_ARRAY_SIZE(ops_cases); i++)
		ut_add(&l, check_ops, &ops_cases[i], "ops {%s} {%s}", ops_cases[i].a,
		       ops_cases[i].b);
	ut_add(&l, long_list_of_every_node, NULL, "parse every node 0,1,...,1023 (4009 bytes)");
	ut_add(&l, long_list_of_even_nodes_round_trips, NULL, "parse 0,2,...,1022 round trip");
	ut_add(&l, list_length_limit, NULL, "parse length limit 4096 bytes");
	ut_add(&l, kernel_cpu_list_is_not_capped, NULL, "parse kernel cpu list longer than 4096");
	ut_add(&l, kernel_cpu_list_bounds, NULL, "parse kernel cpu list bounds 8191/8192");
	ut_add(&l, message_quotes_long_value_shortened, NULL,
	       "error quotes a long value shortened");
	ut_add(&l, message_escapes_control_bytes, NULL, "error escapes control bytes");
	ut_add(&l, format_parse_round_trip, NULL, "format/parse round trip, 500 random sets");
	ut_add(&l, format_empty_set, NULL, "format empty set -> \"\"");
	ut_add(&l, format_every_even_node_fits_the_documented_size, NULL,
	       "format every even node fits NH_NODESET_STR_MAX");
	ut_add(&l, count_next_span, NULL, "count, next, span");
	ut_add(&l, add_has_bounds, NULL, "add/has ignore nodes >= 1024");
	ut_add(&l, cpuset_intersects, NULL, "cpuset intersects");
	return ut_run("nodeset", &l);
}
