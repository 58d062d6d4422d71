/* SPDX-License-Identifier: Apache-2.0 */
/* oci/state: the OCI state a runtime writes on the hook's stdin. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/state.h"
#include "tests/unit/unit.h"

/* JSON written as C tokens: J({"id":"c1","pid":12}). */
#define J(...) #__VA_ARGS__

struct state_case {
	const char *name;
	const char *json;
	size_t len;	 /* 0: strlen(json) */
	const char *why; /* part of the error message, NULL if accepted */
	int pid;
	const char *id, *status, *bundle;
	const char *ann[9]; /* the annotations kept: key, value, ..., NULL */
};

#define RUNC_HEAD "\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\",\"bundle\":\"/b\""
#define WITH_PID(p) "{" RUNC_HEAD ",\"pid\":" p "}"
#define WITH_ANN(a) "{" RUNC_HEAD ",\"pid\":12,\"annotations\":" a "}"

/* clang-format off */
#define REFUSED(n, j, w) { .name = n, .json = j, .why = w }
#define REFUSED_LEN(n, j, l, w) { .name = n, .json = j, .len = l, .why = w }
#define ACCEPTED(n, j, p, i, s, b, ...)                                                            \
	{ .name = n, .json = j, .pid = p, .id = i, .status = s, .bundle = b,                       \
	  .ann = { __VA_ARGS__ } }
/* clang-format on */

static const struct state_case cases[] = {
	/* the fields */
	ACCEPTED("runc fields", J({
			 "ociVersion" : "1.0.2",
			 "id" : "c1",
			 "status" : "created",
			 "pid" : 12,
			 "bundle" : "/b"
		 }),
		 12, "c1", "created", "/b", NULL),
	ACCEPTED("crun fields with root", J({
			 "ociVersion" : "1.0",
			 "id" : "c2",
			 "pid" : 7,
			 "root" : "/r",
			 "bundle" : "/b2",
			 "status" : "created"
		 }),
		 7, "c2", "created", "/b2", NULL),
	ACCEPTED("only a pid", J({ "pid" : 1 }), 1, NULL, NULL, NULL, NULL),
	ACCEPTED("empty object", J({}), 0, NULL, NULL, NULL, NULL),
	ACCEPTED("unknown keys ignored", J({
			 "id" : "c",
			 "x" : { "deep" : [ 1, 2, { "a" : null } ] },
			 "rootfs" : "/r",
			 "y" : [],
			 "z" : 1.5,
			 "w" : false
		 }),
		 0, "c", NULL, NULL, NULL),
	ACCEPTED("unicode escapes decoded", J({ "id" : "caf\u00e9 \u2603", "bundle" : "\/b" }), 0,
		 "caf\xc3\xa9 \xe2\x98\x83", NULL, "/b", NULL),
	ACCEPTED("white space around", " \n\t{ \"pid\" : 3 }\r\n ", 3, NULL, NULL, NULL, NULL),
	/* pid */
	ACCEPTED("pid missing (runc poststop)", J({ "id" : "c", "status" : "stopped" }), 0, "c",
		 "stopped", NULL, NULL),
	ACCEPTED("pid 0 means none (crun poststop)", WITH_PID("0"), 0, "c1", "creating", "/b",
		 NULL),
	ACCEPTED("pid 1", WITH_PID("1"), 1, "c1", "creating", "/b", NULL),
	ACCEPTED("pid 2147483647", WITH_PID("2147483647"), 2147483647, "c1", "creating", "/b",
		 NULL),
	REFUSED("pid 2147483648", WITH_PID("2147483648"), "\"pid\" 2147483648 is out of range"),
	REFUSED("pid 4294967308", WITH_PID("4294967308"), "\"pid\" 4294967308 is out of range"),
	REFUSED("pid -5", WITH_PID("-5"), "\"pid\" -5 is out of range"),
	REFUSED("pid -2147483648", WITH_PID("-2147483648"), "is out of range"),
	REFUSED("pid string", WITH_PID("\"12\""), "\"pid\" is not an integer (got a string)"),
	REFUSED("pid 1e99", WITH_PID("1e99"), "\"pid\" is not an integer (got a non-integer"),
	REFUSED("pid 1.5", WITH_PID("1.5"), "\"pid\" is not an integer (got a non-integer"),
	REFUSED("pid 12.0", WITH_PID("12.0"), "\"pid\" is not an integer"),
	REFUSED("pid 1e2", WITH_PID("1e2"), "\"pid\" is not an integer"),
	REFUSED("pid 20 digits", WITH_PID("99999999999999999999"),
		"\"pid\" is not an integer (got a non-integer or out-of-range number)"),
	REFUSED("pid null", WITH_PID("null"), "\"pid\" is not an integer (got another type)"),
	REFUSED("pid true", WITH_PID("true"), "\"pid\" is not an integer (got another type)"),
	REFUSED("pid array", WITH_PID("[12]"), "\"pid\" is not an integer (got another type)"),
	REFUSED("pid object", WITH_PID("{\"v\":12}"),
		"\"pid\" is not an integer (got another type)"),
	/* other fields' types */
	REFUSED("id number", J({ "id" : 5 }), "\"id\" is not a string"),
	REFUSED("id null", J({ "id" : null }), "\"id\" is not a string"),
	REFUSED("status array", J({ "status" : ["created"] }), "\"status\" is not a string"),
	REFUSED("bundle object", J({ "bundle" : {} }), "\"bundle\" is not a string"),
	/* duplicate keys: yajl keeps both, the first would silently lose */
	REFUSED("pid twice", J({ "pid" : 1, "pid" : 2 }), "key \"pid\" is given twice"),
	REFUSED("id twice", J({ "id" : "a", "pid" : 1, "id" : "b" }), "key \"id\" is given twice"),
	REFUSED("annotations twice", J({
			"annotations" : { "oci-numa-hook/nodes" : "1" },
			"annotations" : { "oci-numa-hook/nodes" : "2" }
		}),
		"key \"annotations\" is given twice"),
	ACCEPTED("unknown key twice is ignored", J({ "root" : "/a", "root" : "/b", "pid" : 4 }), 4,
		 NULL, NULL, NULL, NULL),
	/* annotations: only ours are kept, in order */
	ACCEPTED("annotations filtered", WITH_ANN(J({
			 "io.kubernetes.cri-o.TrustedSandbox" : "true",
			 "oci-numa-hook/nodes" : "1",
			 "oci-numa-hook" : "x",
			 "oci-numa-hookx/nodes" : "x",
			 "OCI-NUMA-HOOK/nodes" : "x",
			 "x/oci-numa-hook/nodes" : "x",
			 " oci-numa-hook/nodes" : "x",
			 "oci-numa-hook/from" : "0",
			 "oci-numa-hook/" : "empty name"
		 })),
		 12, "c1", "creating", "/b", "oci-numa-hook/nodes", "1", "oci-numa-hook/from", "0",
		 "oci-numa-hook/", "empty name", NULL),
	ACCEPTED("annotations empty object", WITH_ANN("{}"), 12, "c1", "creating", "/b", NULL),
	REFUSED("annotations array", WITH_ANN("[]"), "\"annotations\" is not an object"),
	REFUSED("annotations string", WITH_ANN("\"oci-numa-hook/nodes=1\""),
		"\"annotations\" is not an object"),
	REFUSED("annotations null", WITH_ANN("null"), "\"annotations\" is not an object"),
	REFUSED("annotations number", WITH_ANN("5"), "\"annotations\" is not an object"),
	REFUSED("our annotation not a string", WITH_ANN(J({ "oci-numa-hook/nodes" : 1 })),
		"annotation \"oci-numa-hook/nodes\" is not a string"),
	REFUSED("our annotation null", WITH_ANN(J({ "oci-numa-hook/nodes" : null })),
		"annotation \"oci-numa-hook/nodes\" is not a string"),
	REFUSED("our annotation object", WITH_ANN(J({ "oci-numa-hook/from" : { "a" : "b" } })),
		"annotation \"oci-numa-hook/from\" is not a string"),
	ACCEPTED("foreign annotation not a string is ignored",
		 WITH_ANN(J({ "io.x" : 5, "io.y" : { "z" : [] }, "oci-numa-hook/nodes" : "1" })),
		 12, "c1", "creating", "/b", "oci-numa-hook/nodes", "1", NULL),
	REFUSED("our annotation twice", WITH_ANN(J({
			"oci-numa-hook/nodes" : "1",
			"io.x" : "y",
			"oci-numa-hook/nodes" : "0"
		})),
		"annotation \"oci-numa-hook/nodes\" is given twice"),
	ACCEPTED("foreign annotation twice is ignored", WITH_ANN(J({ "io.x" : "1", "io.x" : "2" })),
		 12, "c1", "creating", "/b", NULL),
	ACCEPTED("annotation value with JSON inside",
		 WITH_ANN(J({ "oci-numa-hook/nodes" : "{\"a\":[1]}" })), 12, "c1", "creating", "/b",
		 "oci-numa-hook/nodes", "{\"a\":[1]}", NULL),
	ACCEPTED("annotation value unicode escape",
		 WITH_ANN(J({ "oci-numa-hook/nodes" : "\u0031" })), 12, "c1", "creating", "/b",
		 "oci-numa-hook/nodes", "1", NULL),
	/* an escaped NUL would cut the C string: "1\u0000,5" must not become "1" */
	REFUSED("annotation value with escaped NUL",
		"{\"annotations\":{\"oci-numa-hook/nodes\":\"1\\u0000,5\"}}", "\\u0000"),
	REFUSED("annotation key with escaped NUL",
		"{\"annotations\":{\"oci-numa-hook/nodes\\u0000x\":\"1\"}}", "\\u0000"),
	REFUSED("id with escaped NUL", "{\"id\":\"a\\u0000b\"}", "\\u0000"),
	ACCEPTED("escaped backslash then u0000 is text", "{\"id\":\"a\\\\u0000b\"}", 0, "a\\u0000b",
		 NULL, NULL, NULL),
	/* not an object, not JSON */
	REFUSED("empty", "", "is empty"),
	REFUSED("only white space", " \n\t\r ", "is empty"),
	REFUSED("array", "[1,2]", "is not a JSON object"),
	REFUSED("string", "\"state\"", "is not a JSON object"),
	REFUSED("number", "42", "is not a JSON object"),
	REFUSED("null", "null", "is not a JSON object"),
	REFUSED("not JSON", "hello", "is not valid JSON"),
	REFUSED("single quotes", "{'id':'x'}", "is not valid JSON"),
	REFUSED("trailing comma", J({
			"id" : "x",
		}),
		"is not valid JSON"),
	/* JSON has no comments; yajl_tree_parse would accept them, and a quote
	 * inside one would hide nesting from the depth check */
	REFUSED("block comment", "{/* c */\"id\":\"x\"}", "comments"),
	REFUSED("line comment", "{\"id\":\"x\" // c\n}", "comments"),
	ACCEPTED("slash inside a string", J({ "id" : "/*x*/ //y" }), 0, "/*x*/ //y", NULL, NULL,
		 NULL),
	REFUSED("trailing garbage", "{} x", "is not valid JSON"),
	REFUSED("two objects", "{}{}", "is not valid JSON"),
	REFUSED("truncated: open brace", "{", "is not valid JSON"),
	REFUSED("truncated: after key", "{\"id\":", "is not valid JSON"),
	REFUSED("truncated: in string", "{\"id\":\"c1", "is not valid JSON"),
	REFUSED("truncated: no closing brace", "{\"id\":\"c1\",\"pid\":12", "is not valid JSON"),
	REFUSED("truncated: in annotations", "{\"pid\":1,\"annotations\":{\"oci-numa-hook/nodes\"",
		"is not valid JSON"),
	REFUSED("unquoted key", "{id:\"x\"}", "is not valid JSON"),
	REFUSED("control byte in string",
		"{\"id\":\"a\x01"
		"b\"}",
		"is not valid JSON"),
	/* NUL bytes: the state is NUL-terminated text */
	REFUSED_LEN("NUL inside a string", "{\"id\":\"a\0b\"}", 12, "contains a NUL byte"),
	REFUSED_LEN("NUL after the object", "{}\0", 3, "contains a NUL byte"),
	REFUSED_LEN("NUL only", "\0", 1, "contains a NUL byte"),
	/* invalid UTF-8 */
	REFUSED("invalid UTF-8 0xff", "{\"id\":\"\xff\"}", "is not valid JSON"),
	REFUSED("invalid UTF-8 truncated sequence", "{\"id\":\"\xe2\x82\"}", "is not valid JSON"),
	REFUSED("invalid UTF-8 in a key", "{\"\xc3\x28\":\"x\"}", "is not valid JSON"),
	REFUSED("invalid UTF-8 in our annotation",
		"{\"annotations\":{\"oci-numa-hook/nodes\":\"1\x80\"}}", "is not valid JSON"),
	ACCEPTED("valid UTF-8 in our annotation",
		 "{\"annotations\":{\"oci-numa-hook/nodes\":\"\xc3\xa9\"}}", 0, NULL, NULL, NULL,
		 "oci-numa-hook/nodes", "\xc3\xa9", NULL),
};

static void check_state(void **state)
{
	const struct state_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->json);
	nh_error_t err = { 0 };
	nh_state_t st;
	size_t n = 0;
	int r;

	memset(&st, 0x5a, sizeof(st)); /* the parser zeroes it first */
	r = nh_state_parse(c->json, len, &st, &err);
	if (c->why) {
		assert_int_equal(r, -1);
		UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, c->why);
		/* nothing left allocated or half filled */
		assert_null(st.id);
		assert_null(st.annotations);
		assert_int_equal(st.n_annotations, 0);
		return;
	}
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(r, 0);
	assert_int_equal(st.pid, c->pid);
#define CHECK_FIELD(f)                                                                             \
	if (c->f)                                                                                  \
		assert_string_equal(st.f, c->f);                                                   \
	else                                                                                       \
		assert_null(st.f)
	CHECK_FIELD(id);
	CHECK_FIELD(status);
	CHECK_FIELD(bundle);
	for (; c->ann[2 * n]; n++) {
		assert_true(n < st.n_annotations);
		assert_string_equal(st.annotations[n].key, c->ann[2 * n]);
		assert_string_equal(st.annotations[n].value, c->ann[2 * n + 1]);
		assert_string_equal(nh_state_annotation(&st, c->ann[2 * n]), c->ann[2 * n + 1]);
	}
	assert_int_equal(st.n_annotations, n);
	nh_state_free(&st);
	assert_null(st.id);
	nh_state_free(&st); /* a second free is harmless */
}

/* Deep nesting is refused before yajl builds (and recursively frees) a tree. */
static char *nested(const char *head, unsigned depth, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(hl + 2 * depth + tl + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	memset(s + hl, '[', depth);
	memset(s + hl + depth, ']', depth);
	memcpy(s + hl + 2 * depth, tail, tl + 1);
	return s;
}

struct depth_case {
	const char *head, *tail;
	unsigned depth; /* of the [ ] inside head/tail, which add one level (the object) */
	bool ok;
};

static const struct depth_case depth_cases[] = {
	{ "{\"x\":", "}", 10000, false },
	{ "{\"annotations\":{\"io.x\":", "}}", 10000, false },
	{ "{\"x\":", "}", 63, true },  /* 64 levels with the object */
	{ "{\"x\":", "}", 64, false }, /* 65 */
	{ "{\"annotations\":{\"io.x\":", "}}", 62, true },
	{ "{\"annotations\":{\"io.x\":", "}}", 63, false },
	{ "", "", 10000, false },	  /* a bare array, never parsed */
	{ "{\"x\":", "", 100000, false }, /* unbalanced: only openers */
};

static void check_depth(void **state)
{
	const struct depth_case *c = *state;
	_cleanup_free_ char *s = nested(c->head, c->depth, c->tail);
	nh_error_t err = { 0 };
	nh_state_t st;
	size_t len = strlen(s);

	if (strcmp(c->tail, "") == 0 && c->head[0])
		len -= c->depth; /* only the openers */
	s[len] = '\0';
	if (c->ok) {
		assert_int_equal(nh_state_parse(s, len, &st, &err), 0);
		UT_EXPECT_NO_ERROR(&err);
		nh_state_free(&st);
	} else {
		assert_int_equal(nh_state_parse(s, len, &st, &err), -1);
		UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "nested deeper than 64 levels");
	}
}

/* Brackets inside strings are text, also after escaped quotes and
 * backslashes; the depth counting must resume after the string. */
static void depth_ignores_strings(void **state)
{
	char s[1024];
	nh_error_t err = { 0 };
	nh_state_t st;
	int o;

	o = snprintf(s, sizeof(s), "{\"annotations\":{\"oci-numa-hook/nodes\":\"\\\"");
	memset(s + o, '[', 200);
	o += 200;
	o += snprintf(s + o, sizeof(s) - (size_t)o, "\\\\\"}}");
	assert_int_equal(nh_state_parse(s, (size_t)o, &st, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(strlen(nh_state_annotation(&st, "oci-numa-hook/nodes")), 1 + 200 + 1);
	nh_state_free(&st);

	/* "a\\" ends the string: the 65 levels after it count */
	o = snprintf(s, sizeof(s), "{\"k\":\"a\\\\\",\"x\":");
	memset(s + o, '[', 64);
	memset(s + o + 64, ']', 64);
	o += 128;
	o += snprintf(s + o, sizeof(s) - (size_t)o, "}");
	assert_int_equal(nh_state_parse(s, (size_t)o, &st, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "nested deeper than 64 levels");
}

/* A quote inside a comment must not make the nesting that follows look
 * like a string: 400 000 levels overflow the stack in yajl_tree_free. */
static void depth_not_hidden_by_a_comment(void **state)
{
	const char *head = "{/*\"*/\"x\":";
	_cleanup_free_ char *s = nested(head, 400000, "}");
	nh_error_t err = { 0 };
	nh_state_t st;

	assert_int_equal(nh_state_parse(s, strlen(s), &st, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "OCI state on stdin");
}

static void precheck_names_the_input(void **state)
{
	nh_error_t err = { 0 };

	assert_int_equal(nh_json_precheck("[[", 2, "hooks.d file /x.json", &err), 0);
	assert_int_equal(nh_json_precheck("a\0", 2, "hooks.d file /x.json", &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "hooks.d file /x.json: contains a NUL byte");
}

/* Many annotations, few of them ours. */
static void many_annotations(void **state)
{
	size_t cap = 1 << 20, o = 0;
	_cleanup_free_ char *s = malloc(cap);
	nh_error_t err = { 0 };
	nh_state_t st;

	assert_non_null(s);
	o += (size_t)snprintf(s + o, cap - o, "{\"pid\":1,\"annotations\":{");
	for (int i = 0; i < 5000; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s\"%s%d\":\"%d\"", i ? "," : "",
				      i % 1000 ? "io.other/k" : "oci-numa-hook/k", i, i);
	o += (size_t)snprintf(s + o, cap - o, "}}");
	assert_int_equal(nh_state_parse(s, o, &st, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(st.n_annotations, 5);
	assert_string_equal(nh_state_annotation(&st, "oci-numa-hook/k4000"), "4000");
	assert_null(nh_state_annotation(&st, "io.other/k3999"));
	nh_state_free(&st);
}

/* The duplicate check is bounded: at most 64 annotations of ours. */
static char *ours(int n)
{
	size_t cap = 64 * 1024, o = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	o += (size_t)snprintf(s + o, cap - o, "{\"pid\":1,\"annotations\":{\"io.x\":\"y\"");
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, ",\"oci-numa-hook/k%d\":\"%d\"", i, i);
	snprintf(s + o, cap - o, "}}");
	return s;
}

static void sixty_four_annotations_of_ours(void **state)
{
	_cleanup_free_ char *s = ours(64);
	nh_error_t err = { 0 };
	nh_state_t st;

	assert_int_equal(nh_state_parse(s, strlen(s), &st, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(st.n_annotations, 64);
	nh_state_free(&st);
}

/* Past 64, annotations are counted, not kept: without "nodes" that is no
 * request at all (the request parser refuses one with too many). */
static void sixty_five_annotations_of_ours(void **state)
{
	_cleanup_free_ char *s = ours(65);
	nh_error_t err = { 0 };
	nh_state_t st;

	assert_int_equal(nh_state_parse(s, strlen(s), &st, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(st.n_annotations, 64);
	assert_int_equal(st.n_dropped, 1);
	assert_null(nh_state_annotation(&st, "oci-numa-hook/k64"));
	nh_state_free(&st);
}

/* "nodes" is kept wherever it comes, and still checked for a duplicate. */
static void nodes_after_many_annotations_is_kept(void **state)
{
	_cleanup_free_ char *s = ours(100);
	char *end = strrchr(s, '}');
	nh_error_t err = { 0 };
	nh_state_t st;

	strcpy(end - 1, ",\"oci-numa-hook/nodes\":\"1\"}}");
	assert_int_equal(nh_state_parse(s, strlen(s), &st, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(st.n_annotations, 65);
	assert_int_equal(st.n_dropped, 36);
	assert_string_equal(nh_state_annotation(&st, "oci-numa-hook/nodes"), "1");
	nh_state_free(&st);

	end = strrchr(s, '}');
	strcpy(end - 1, ",\"oci-numa-hook/nodes\":\"0\"}}");
	assert_int_equal(nh_state_parse(s, strlen(s), &st, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "annotation \"oci-numa-hook/nodes\" is given twice");
}

static void long_annotation_value_is_kept(void **state)
{
	size_t n = 100 * 1024;
	_cleanup_free_ char *s = malloc(n + 100);
	nh_error_t err = { 0 };
	nh_state_t st;
	int o;

	assert_non_null(s);
	o = snprintf(s, 100, "{\"annotations\":{\"oci-numa-hook/nodes\":\"");
	memset(s + o, '7', n);
	strcpy(s + o + n, "\"}}");
	assert_int_equal(nh_state_parse(s, strlen(s), &st, &err), 0);
	assert_int_equal(strlen(nh_state_annotation(&st, "oci-numa-hook/nodes")), n);
	nh_state_free(&st);
}

struct sample_case {
	const char *file;
	int pid;
	const char *status;
	const char *ann[7];
};

static const struct sample_case samples[] = {
	{ "state-runc-createRuntime.json",
	  48213,
	  "creating",
	  { "oci-numa-hook/mems", "keep", "oci-numa-hook/nodes", "1", NULL } },
	{ "state-runc-poststart.json",
	  48213,
	  "created",
	  { "oci-numa-hook/nodes", "0-1,3", "oci-numa-hook/on-error", "warn", NULL } },
	{ "state-runc-poststop.json", 0, "stopped", { "oci-numa-hook/nodes", "1", NULL } },
	{ "state-crun-createRuntime.json",
	  7391,
	  "created",
	  { "oci-numa-hook/nodes", "auto", "oci-numa-hook/from", "0", NULL } },
	{ "state-crun-poststop.json", 0, "stopped", { "oci-numa-hook/nodes", "auto", NULL } },
};

static void check_sample(void **state)
{
	const struct sample_case *c = *state;
	size_t len, n = 0;
	_cleanup_free_ char *text = ut_read_data(c->file, &len);
	nh_error_t err = { 0 };
	nh_state_t st;

	assert_int_equal(nh_state_parse(text, len, &st, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(st.pid, c->pid);
	assert_string_equal(st.status, c->status);
	assert_non_null(st.id);
	assert_non_null(st.bundle);
	assert_int_equal(st.bundle[0], '/');
	for (; c->ann[2 * n]; n++) {
		assert_string_equal(st.annotations[n].key, c->ann[2 * n]);
		assert_string_equal(st.annotations[n].value, c->ann[2 * n + 1]);
	}
	assert_int_equal(st.n_annotations, n);
	nh_state_free(&st);
}

static void annotation_lookup(void **state)
{
	const char *json = WITH_ANN(J({ "oci-numa-hook/nodes" : "1", "oci-numa-hook/from" : "0" }));
	nh_error_t err = { 0 };
	nh_state_t st;

	assert_int_equal(nh_state_parse(json, strlen(json), &st, &err), 0);
	assert_string_equal(nh_state_annotation(&st, "oci-numa-hook/nodes"), "1");
	assert_string_equal(nh_state_annotation(&st, "oci-numa-hook/from"), "0");
	assert_null(nh_state_annotation(&st, "oci-numa-hook/node"));
	assert_null(nh_state_annotation(&st, "oci-numa-hook/nodesx"));
	assert_null(nh_state_annotation(&st, "nodes"));
	assert_null(nh_state_annotation(&st, ""));
	nh_state_free(&st);

	memset(&st, 0, sizeof(st));
	assert_null(nh_state_annotation(&st, "oci-numa-hook/nodes"));
	nh_state_free(&st); /* a zeroed state frees cleanly */
}

int main(void)
{
	ut_list_t l = { 0 };

	for (size_t i = 0; i < NH_ARRAY_SIZE(cases); i++)
		ut_add(&l, check_state, &cases[i], "%s -> %s", ut_show_str(cases[i].name),
		       cases[i].why ? "refused" : "ok");
	for (size_t i = 0; i < NH_ARRAY_SIZE(depth_cases); i++)
		ut_add(&l, check_depth, &depth_cases[i], "nesting %u deep in \"%s\" -> %s",
		       depth_cases[i].depth, ut_show_str(depth_cases[i].head),
		       depth_cases[i].ok ? "ok" : "refused");
	ut_add(&l, depth_ignores_strings, NULL, "nesting: brackets in strings are text");
	ut_add(&l, depth_not_hidden_by_a_comment, NULL,
	       "nesting: not hidden by a quote in a comment");
	ut_add(&l, precheck_names_the_input, NULL, "precheck names the input");
	ut_add(&l, many_annotations, NULL, "5000 annotations, 5 ours");
	ut_add(&l, sixty_four_annotations_of_ours, NULL, "64 annotations of ours -> ok");
	ut_add(&l, sixty_five_annotations_of_ours, NULL, "65 annotations of ours -> 64 kept, 1 counted");
	ut_add(&l, nodes_after_many_annotations_is_kept, NULL,
	       "nodes after 100 annotations of ours -> kept, and checked for a duplicate");
	ut_add(&l, long_annotation_value_is_kept, NULL, "100 KiB annotation value kept");
	for (size_t i = 0; i < NH_ARRAY_SIZE(samples); i++)
		ut_add(&l, check_sample, &samples[i], "sample %s", samples[i].file);
	ut_add(&l, annotation_lookup, NULL, "nh_state_annotation lookup");
	return ut_run("state", &l);
}
