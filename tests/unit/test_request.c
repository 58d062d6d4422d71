/* SPDX-License-Identifier: Apache-2.0 */
/* oci/request: annotations -> request, under the admin's override rules. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/request.h"
#include "tests/unit/unit.h"

#define P "oci-numa-hook/"

struct req_case {
	const char *name;
	const char *ann[13]; /* key, value, ..., NULL */
	const char *cfg;     /* admin config text; NULL: the defaults */
	const char *why;     /* part of the error message; NULL: accepted */
	enum nh_nodes_kind kind;
	const char *nodes; /* formatted, for NH_NODES_LIST */
	const char *from;  /* formatted; NULL: no from annotation */
	enum nh_mems_mode mems;
	enum nh_on_error on_error;
	enum nh_engine engine; /* designated initializers leave migrate_pages */
	uint64_t rate;
};

/* clang-format off */
/* Accepted with nodes given as a list. */
#define LIST(n, nodes_, from_, mems_, onerr, ...)                                                  \
	{ .name = n, .ann = { __VA_ARGS__, NULL }, .kind = NH_NODES_LIST, .nodes = nodes_,         \
	  .from = from_, .mems = mems_, .on_error = onerr }
#define KIND(n, kind_, ...)                                                                        \
	{ .name = n, .ann = { __VA_ARGS__, NULL }, .kind = kind_, .mems = NH_MEMS_SET,             \
	  .on_error = NH_ON_ERROR_FAIL }
#define BAD(n, why_, ...) { .name = n, .ann = { __VA_ARGS__, NULL }, .why = why_ }
#define BAD_CFG(n, cfg_, why_, ...)                                                                \
	{ .name = n, .ann = { __VA_ARGS__, NULL }, .cfg = cfg_, .why = why_ }
#define LIST_CFG(n, cfg_, nodes_, from_, mems_, onerr, ...)                                        \
	{ .name = n, .ann = { __VA_ARGS__, NULL }, .cfg = cfg_, .kind = NH_NODES_LIST,             \
	  .nodes = nodes_, .from = from_, .mems = mems_, .on_error = onerr }
/* clang-format on */

#define SET NH_MEMS_SET
#define KEEP NH_MEMS_KEEP
#define FAIL NH_ON_ERROR_FAIL
#define WARN NH_ON_ERROR_WARN

static const struct req_case cases[] = {
	/* nodes */
	LIST("nodes 1", "1", NULL, SET, FAIL, P "nodes", "1"),
	LIST("nodes 0-1", "0-1", NULL, SET, FAIL, P "nodes", "0-1"),
	LIST("nodes 0,2-3", "0,2-3", NULL, SET, FAIL, P "nodes", "0,2-3"),
	LIST("nodes 1023", "1023", NULL, SET, FAIL, P "nodes", "1023"),
	KIND("nodes all", NH_NODES_ALL, P "nodes", "all"),
	KIND("nodes auto", NH_NODES_AUTO, P "nodes", "auto"),
	BAD("nodes ALL", "\"ALL\" is not a number", P "nodes", "ALL"),
	BAD("nodes Auto", "\"Auto\" is not a number", P "nodes", "Auto"),
	BAD("nodes ' all'", "is not a number", P "nodes", " all"),
	BAD("nodes 'all '", "is not a number", P "nodes", "all "),
	BAD("nodes all,1", "is not a number", P "nodes", "all,1"),
	BAD("nodes none", "\"none\" is not a number", P "nodes", "none"),
	BAD("nodes 1024", "1024 is out of range", P "nodes", "1024"),
	BAD("nodes 1,,2", "\"1,,2\": empty item", P "nodes", "1,,2"),
	BAD("nodes 2-1", "range 2-1 is reversed", P "nodes", "2-1"),
	BAD("nodes 1,1", "node 1 is listed twice", P "nodes", "1,1"),
	BAD("nodes empty", "annotation oci-numa-hook/nodes has an empty value", P "nodes", ""),
	BAD("nodes missing", "annotation oci-numa-hook/nodes is missing", P "from", "0"),
	BAD("no annotations", "annotation oci-numa-hook/nodes is missing", NULL),
	/* from */
	LIST("from 0", "1", "0", SET, FAIL, P "nodes", "1", P "from", "0"),
	LIST("from 0,2-3", "1", "0,2-3", SET, FAIL, P "nodes", "1", P "from", "0,2-3"),
	LIST("from before nodes", "1", "0", SET, FAIL, P "from", "0", P "nodes", "1"),
	LIST("from overlapping nodes (the hook decides)", "0-1", "1", SET, FAIL, P "nodes", "0-1",
	     P "from", "1"),
	BAD("from all", "annotation oci-numa-hook/from \"all\": \"all\" is not a number", P "nodes",
	    "1", P "from", "all"),
	BAD("from auto", "\"auto\" is not a number", P "nodes", "1", P "from", "auto"),
	BAD("from empty", "annotation oci-numa-hook/from has an empty value", P "nodes", "1",
	    P "from", ""),
	BAD("from 0x1", "\"0x1\" is not a number", P "nodes", "1", P "from", "0x1"),
	BAD("from -1", "annotation oci-numa-hook/from \"-1\"", P "nodes", "1", P "from", "-1"),
	/* mems */
	LIST("mems set", "1", NULL, SET, FAIL, P "nodes", "1", P "mems", "set"),
	LIST("mems keep", "1", NULL, KEEP, FAIL, P "nodes", "1", P "mems", "keep"),
	BAD("mems SET", "annotation oci-numa-hook/mems=\"SET\": expected set or keep", P "nodes",
	    "1", P "mems", "SET"),
	BAD("mems yes", "annotation oci-numa-hook/mems=\"yes\": expected set or keep", P "nodes",
	    "1", P "mems", "yes"),
	BAD("mems 'keep '", "mems=\"keep \": expected set or keep", P "nodes", "1", P "mems",
	    "keep "),
	BAD("mems empty", "annotation oci-numa-hook/mems has an empty value", P "nodes", "1",
	    P "mems", ""),
	/* on-error */
	LIST("on-error fail", "1", NULL, SET, FAIL, P "nodes", "1", P "on-error", "fail"),
	LIST("on-error warn", "1", NULL, SET, WARN, P "nodes", "1", P "on-error", "warn"),
	BAD("on-error ignore",
	    "annotation oci-numa-hook/on-error=\"ignore\": expected fail or warn", P "nodes", "1",
	    P "on-error", "ignore"),
	BAD("on-error Warn", "on-error=\"Warn\": expected fail or warn", P "nodes", "1",
	    P "on-error", "Warn"),
	BAD("on-error empty", "annotation oci-numa-hook/on-error has an empty value", P "nodes",
	    "1", P "on-error", ""),
	/* engine */
	LIST("engine migrate_pages", "1", NULL, SET, FAIL, P "nodes", "1", P "engine",
	     "migrate_pages"),
	{ .name = "engine move_pages",
	  .ann = { P "nodes", "1", P "engine", "move_pages" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .engine = NH_ENGINE_MOVE_PAGES },
	BAD("engine warp",
	    "annotation oci-numa-hook/engine=\"warp\": expected migrate_pages or "
	    "move_pages",
	    P "nodes", "1", P "engine", "warp"),
	BAD("engine migratepages", "engine=\"migratepages\": expected migrate_pages or move_pages",
	    P "nodes", "1", P "engine", "migratepages"),
	BAD("engine Move_pages", "engine=\"Move_pages\": expected", P "nodes", "1", P "engine",
	    "Move_pages"),
	BAD("engine empty", "annotation oci-numa-hook/engine has an empty value", P "nodes", "1",
	    P "engine", ""),
	BAD_CFG("engine not in allowed-engines", "allowed-engines = migrate_pages\n",
		"annotation oci-numa-hook/engine=\"move_pages\": this engine is not allowed by the "
		"admin configuration (allowed-engines)",
		P "nodes", "1", P "engine", "move_pages"),
	{ .name = "engine in allowed-engines",
	  .cfg = "allowed-engines = move_pages\n",
	  .ann = { P "nodes", "1", P "engine", "move_pages" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .engine = NH_ENGINE_MOVE_PAGES },
	{ .name = "default-engine outside allowed-engines",
	  .cfg = "default-engine = move_pages\nallowed-engines = migrate_pages\n",
	  .ann = { P "nodes", "1" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .engine = NH_ENGINE_MOVE_PAGES },
	/* rate */
	{ .name = "rate 512M",
	  .ann = { P "nodes", "1", P "rate", "512M" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .rate = 512ull << 20 },
	{ .name = "rate in bytes",
	  .ann = { P "nodes", "1", P "rate", "1000000" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .rate = 1000000 },
	{ .name = "rate from default-rate",
	  .cfg = "default-rate = 2G\n",
	  .ann = { P "nodes", "1" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .rate = 2ull << 30 },
	{ .name = "rate over default-rate",
	  .cfg = "default-rate = 2G\n",
	  .ann = { P "nodes", "1", P "rate", "1G" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .rate = 1ull << 30 },
	{ .name = "rate equal to max-rate",
	  .cfg = "max-rate = 1G\n",
	  .ann = { P "nodes", "1", P "rate", "1024M" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .rate = 1ull << 30 },
	BAD_CFG("rate above max-rate", "max-rate = 1G\n",
		"annotation oci-numa-hook/rate=\"2G\": more than the admin's max-rate of "
		"1073741824 bytes per second",
		P "nodes", "1", P "rate", "2G"),
	BAD("rate 0", "annotation oci-numa-hook/rate=\"0\": expected bytes per second like 512M",
	    P "nodes", "1", P "rate", "0"),
	BAD("rate unlimited", "rate=\"unlimited\": expected bytes per second", P "nodes", "1",
	    P "rate", "unlimited"),
	BAD("rate 1.5G", "rate=\"1.5G\": expected bytes per second", P "nodes", "1", P "rate",
	    "1.5G"),
	BAD("rate 2T", "rate=\"2T\": expected bytes per second", P "nodes", "1", P "rate", "2T"),
	BAD("rate 512mb", "rate=\"512mb\": expected", P "nodes", "1", P "rate", "512mb"),
	BAD("rate empty", "annotation oci-numa-hook/rate has an empty value", P "nodes", "1",
	    P "rate", ""),
	/* every key at once */
	{ .name = "every key",
	  .ann = { P "nodes", "2-3", P "from", "0-1", P "mems", "keep", P "on-error", "warn",
		   P "engine", "move_pages", P "rate", "64M" },
	  .kind = NH_NODES_LIST,
	  .nodes = "2-3",
	  .from = "0-1",
	  .mems = KEEP,
	  .on_error = WARN,
	  .engine = NH_ENGINE_MOVE_PAGES,
	  .rate = 64ull << 20 },
	/* unknown keys are errors, not silently ignored typos */
	BAD("unknown key speed",
	    "unknown annotation oci-numa-hook/speed (known: nodes, from, mems, on-error, engine, "
	    "rate)",
	    P "nodes", "1", P "speed", "512M"),
	BAD("unknown key node", "unknown annotation oci-numa-hook/node ", P "nodes", "1", P "node",
	    "1"),
	BAD("unknown key Nodes", "unknown annotation oci-numa-hook/Nodes", P "nodes", "1",
	    P "Nodes", "1"),
	BAD("unknown key: prefix only", "unknown annotation oci-numa-hook/ ", P "nodes", "1", P "",
	    "x"),
	BAD("unknown key with control bytes", "unknown annotation oci-numa-hook/\\x1b[2J",
	    P "nodes", "1", P "\x1b[2J", "x"),
	/* admin: allow-annotation-override = none */
	LIST_CFG("override none: nodes alone", "allow-annotation-override = none\n", "1", NULL, SET,
		 FAIL, P "nodes", "1"),
	BAD_CFG("override none: from", "allow-annotation-override = none\n",
		"annotation oci-numa-hook/from is not allowed by the admin configuration "
		"(allow-annotation-override)",
		P "nodes", "1", P "from", "0"),
	BAD_CFG("override none: mems", "allow-annotation-override = none\n",
		"annotation oci-numa-hook/mems is not allowed", P "nodes", "1", P "mems", "keep"),
	BAD_CFG("override none: on-error", "allow-annotation-override = none\n",
		"annotation oci-numa-hook/on-error is not allowed", P "nodes", "1", P "on-error",
		"warn"),
	BAD_CFG("override none: engine", "allow-annotation-override = none\n",
		"annotation oci-numa-hook/engine is not allowed", P "nodes", "1", P "engine",
		"migrate_pages"),
	BAD_CFG("override none: rate", "allow-annotation-override = none\n",
		"annotation oci-numa-hook/rate is not allowed", P "nodes", "1", P "rate", "1G"),
	/* admin: a list */
	LIST_CFG("override from,mems: both", "allow-annotation-override = from, mems\n", "1", "0",
		 KEEP, FAIL, P "nodes", "1", P "from", "0", P "mems", "keep"),
	BAD_CFG("override from,mems: on-error", "allow-annotation-override = from,mems\n",
		"annotation oci-numa-hook/on-error is not allowed", P "nodes", "1", P "on-error",
		"warn"),
	BAD_CFG("override from,mems: engine", "allow-annotation-override = from,mems\n",
		"annotation oci-numa-hook/engine is not allowed", P "nodes", "1", P "engine",
		"migrate_pages"),
	BAD_CFG("override from,mems: rate", "allow-annotation-override = from,mems\n",
		"annotation oci-numa-hook/rate is not allowed", P "nodes", "1", P "rate", "1G"),
	{ .name = "override engine,rate: both",
	  .cfg = "allow-annotation-override = engine,rate\n",
	  .ann = { P "nodes", "1", P "engine", "move_pages", P "rate", "1G" },
	  .kind = NH_NODES_LIST,
	  .nodes = "1",
	  .engine = NH_ENGINE_MOVE_PAGES,
	  .rate = 1ull << 30 },
	LIST_CFG("override on-error: on-error", "allow-annotation-override = on-error\n", "1", NULL,
		 SET, WARN, P "nodes", "1", P "on-error", "warn"),
	BAD_CFG("override on-error: mems", "allow-annotation-override = on-error\n",
		"annotation oci-numa-hook/mems is not allowed", P "nodes", "1", P "mems", "set"),
	LIST_CFG("override all", "allow-annotation-override = all\n", "1", "0", KEEP, WARN,
		 P "nodes", "1", P "from", "0", P "mems", "keep", P "on-error", "warn"),
	/* admin defaults, and annotations over them when allowed */
	LIST_CFG("default mems keep", "default-mems = keep\n", "1", NULL, KEEP, FAIL, P "nodes",
		 "1"),
	LIST_CFG("default on-error warn", "default-on-error = warn\n", "1", NULL, SET, WARN,
		 P "nodes", "1"),
	LIST_CFG("annotation over default mems", "default-mems = keep\n", "1", NULL, SET, FAIL,
		 P "nodes", "1", P "mems", "set"),
	LIST_CFG("annotation over default on-error", "default-on-error = warn\n", "1", NULL, SET,
		 FAIL, P "nodes", "1", P "on-error", "fail"),
	/* node lists are checked for form only; the hook checks the machine and
	 * the allow-list */
	LIST_CFG("nodes outside allowed-nodes parse", "allowed-nodes = 0-1\n", "5", NULL, SET, FAIL,
		 P "nodes", "5"),
};

static nh_state_t state_of(const char *const *ann)
{
	static nh_annotation_t a[8];
	nh_state_t st = { .pid = 1, .annotations = a };

	for (; ann[2 * st.n_annotations]; st.n_annotations++) {
		assert_true(st.n_annotations < NH_ARRAY_SIZE(a));
		a[st.n_annotations].key = (char *)ann[2 * st.n_annotations];
		a[st.n_annotations].value = (char *)ann[2 * st.n_annotations + 1];
	}
	return st;
}

static nh_config_t config_of(const char *text)
{
	nh_config_t cfg;
	nh_error_t err = { 0 };

	nh_config_defaults(&cfg);
	if (text) {
		assert_int_equal(nh_config_parse(text, strlen(text), "test.conf", &cfg, &err), 0);
		UT_EXPECT_NO_ERROR(&err);
	}
	return cfg;
}

static void check_request(void **state)
{
	const struct req_case *c = *state;
	nh_state_t st = state_of(c->ann);
	nh_config_t cfg = config_of(c->cfg);
	nh_error_t err = { 0 };
	nh_request_t req;
	char buf[NH_NODESET_STR_MAX];
	int r;

	memset(&req, 0x5a, sizeof(req));
	r = nh_request_parse(&st, &cfg, &req, &err);
	if (c->why) {
		assert_int_equal(r, -1);
		UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, c->why);
		return;
	}
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(r, 0);
	assert_int_equal(req.nodes_kind, c->kind);
	if (c->kind == NH_NODES_LIST)
		assert_string_equal(nh_nodeset_format(&req.nodes, buf, sizeof(buf)), c->nodes);
	assert_int_equal(req.has_from, c->from != NULL);
	if (c->from)
		assert_string_equal(nh_nodeset_format(&req.from, buf, sizeof(buf)), c->from);
	assert_int_equal(req.mems, c->mems);
	assert_int_equal(req.on_error, c->on_error);
	assert_int_equal(req.engine, c->engine);
	assert_int_equal(req.rate, c->rate);
}

/* Values longer than NH_ANNOTATION_VALUE_MAX are refused for every key,
 * known or not, before anything else reads them. */
static const char *const long_keys[] = { P "nodes",  P "from", P "mems",   P "on-error",
					 P "engine", P "rate", P "unknown" };

static void check_long_value(void **state)
{
	const char *key = *state;
	_cleanup_free_ char *v = malloc(NH_ANNOTATION_VALUE_MAX + 2);
	const char *ann[5] = { P "nodes", "1", key, v, NULL };
	nh_state_t st;
	nh_config_t cfg = config_of(NULL);
	nh_error_t err = { 0 };
	nh_request_t req;

	assert_non_null(v);
	memset(v, '1', NH_ANNOTATION_VALUE_MAX + 1);
	v[NH_ANNOTATION_VALUE_MAX + 1] = '\0';
	if (strcmp(key, P "nodes") == 0) {
		ann[1] = v;
		ann[2] = NULL;
	}
	st = state_of(ann);
	assert_int_equal(nh_request_parse(&st, &cfg, &req, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, key,
			"value of 4097 bytes is too long (at most 4096)");
}

/* A state that had more annotations of ours than it kept is refused. */
static void too_many_annotations(void **state)
{
	const char *ann[] = { P "nodes", "1", NULL };
	nh_state_t st = state_of(ann);
	nh_config_t cfg = config_of(NULL);
	nh_error_t err = { 0 };
	nh_request_t req;

	st.n_dropped = 1;
	assert_int_equal(nh_request_parse(&st, &cfg, &req, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "more than 64 annotations under oci-numa-hook/");
}

/* At the limit the value is read (and here found invalid for its own reason). */
static void value_at_limit_is_read(void **state)
{
	_cleanup_free_ char *v = malloc(NH_ANNOTATION_VALUE_MAX + 1);
	const char *ann[] = { P "nodes", "1", P "mems", v, NULL };
	nh_state_t st;
	nh_config_t cfg = config_of(NULL);
	nh_error_t err = { 0 };
	nh_request_t req;

	assert_non_null(v);
	memset(v, 'k', NH_ANNOTATION_VALUE_MAX);
	v[NH_ANNOTATION_VALUE_MAX] = '\0';
	st = state_of(ann);
	assert_int_equal(nh_request_parse(&st, &cfg, &req, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "expected set or keep");
	assert_true(strlen(err.msg) < 200); /* the value is quoted shortened */
}

struct on_error_case {
	const char *name;
	const char *value; /* the on-error annotation, or NULL */
	const char *cfg;
	enum nh_on_error expect;
	const char *other; /* another (maybe invalid) annotation's value for mems */
};

static const struct on_error_case on_error_cases[] = {
	{ "no annotation, default", NULL, NULL, FAIL, NULL },
	{ "no annotation, config warn", NULL, "default-on-error = warn\n", WARN, NULL },
	{ "warn", "warn", NULL, WARN, NULL },
	{ "fail over config warn", "fail", "default-on-error = warn\n", FAIL, NULL },
	{ "warn not allowed", "warn", "allow-annotation-override = none\n", FAIL, NULL },
	{ "fail not allowed, config warn", "fail",
	  "allow-annotation-override = mems\ndefault-on-error = warn\n", WARN, NULL },
	{ "invalid value", "maybe", NULL, FAIL, NULL },
	{ "invalid value, config warn", "maybe", "default-on-error = warn\n", WARN, NULL },
	{ "empty value", "", "default-on-error = warn\n", WARN, NULL },
	/* the point: judged even when the rest of the request is invalid */
	{ "warn with an invalid mems", "warn", NULL, WARN, "bogus" },
	{ "warn allowed by a list", "warn", "allow-annotation-override = on-error\n", WARN,
	  "bogus" },
};

static void check_on_error(void **state)
{
	const struct on_error_case *c = *state;
	const char *ann[7] = { P "nodes", "1", NULL };
	size_t n = 2;
	nh_state_t st;
	nh_config_t cfg = config_of(c->cfg);

	if (c->other) {
		ann[n++] = P "mems";
		ann[n++] = c->other;
	}
	if (c->value) {
		ann[n++] = P "on-error";
		ann[n++] = c->value;
	}
	ann[n] = NULL;
	st = state_of(ann);
	assert_int_equal(nh_request_on_error(&st, &cfg), c->expect);
}

int main(void)
{
	ut_list_t l = { 0 };

	for (size_t i = 0; i < NH_ARRAY_SIZE(cases); i++)
		ut_add(&l, check_request, &cases[i], "%s -> %s", ut_show_str(cases[i].name),
		       cases[i].why ? "refused" : "ok");
	for (size_t i = 0; i < NH_ARRAY_SIZE(long_keys); i++)
		ut_add(&l, check_long_value, long_keys[i], "%s value of 4097 bytes -> refused",
		       long_keys[i]);
	ut_add(&l, value_at_limit_is_read, NULL, "value of 4096 bytes is read");
	ut_add(&l, too_many_annotations, NULL, "more than 64 annotations of ours -> refused");
	for (size_t i = 0; i < NH_ARRAY_SIZE(on_error_cases); i++)
		ut_add(&l, check_on_error, &on_error_cases[i], "on_error: %s",
		       on_error_cases[i].name);
	return ut_run("request", &l);
}
