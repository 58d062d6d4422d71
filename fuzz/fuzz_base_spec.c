/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the containerd base spec rewrite (oci-numa-hook containerd-base-spec:
 * the output of `ctr oci spec`, or any file an operator names). */
#include "config.h"

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_json.h"
#include "oci/base_spec.h"
#include "oci/state.h"

#define HOOK_PATH "/usr/libexec/oci/hooks.d/oci-numa-hook"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static yajl_val member(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };

	return obj ? yajl_tree_get(obj, path, yajl_t_any) : NULL;
}

/* The stage's list ends with the hook, and holds it once. */
static void check_stage(yajl_val hooks, const char *stage)
{
	yajl_val list = member(hooks, stage), last, args;
	size_t n, ours = 0;

	FUZZ_ASSERT(list && YAJL_IS_ARRAY(list) && list->u.array.len > 0);
	n = list->u.array.len;
	for (size_t i = 0; i < n; i++) {
		yajl_val path = member(YAJL_IS_OBJECT(list->u.array.values[i]) ?
					       list->u.array.values[i] :
					       NULL,
				       "path");

		if (path && YAJL_IS_STRING(path) && strcmp(path->u.string, HOOK_PATH) == 0)
			ours++;
	}
	FUZZ_ASSERT(ours == 1);
	last = list->u.array.values[n - 1];
	FUZZ_ASSERT(YAJL_IS_OBJECT(last));
	FUZZ_ASSERT(strcmp(member(last, "path")->u.string, HOOK_PATH) == 0);
	args = member(last, "args");
	FUZZ_ASSERT(args && YAJL_IS_ARRAY(args) && args->u.array.len == 3);
	FUZZ_ASSERT(strcmp(args->u.array.values[2]->u.string, stage) == 0);
}

/* Oracle: the output is JSON with the input's top-level keys in their
 * order (and "hooks" last when the input had none), nothing that the CRI
 * removes, the hook at both stages; and rewriting it again changes nothing. */
static void check_output(const char *in, const char *out, size_t out_len)
{
	char errbuf[128];
	yajl_val a = yajl_tree_parse(in, errbuf, sizeof(errbuf));
	yajl_val b = yajl_tree_parse(out, errbuf, sizeof(errbuf));
	yajl_val process, linux_, hooks;
	size_t i;

	FUZZ_ASSERT(a && b && YAJL_IS_OBJECT(a) && YAJL_IS_OBJECT(b));
	FUZZ_ASSERT(strlen(out) == out_len && out_len > 0 && out[out_len - 1] == '\n');
	for (i = 0; i < a->u.object.len; i++)
		FUZZ_ASSERT(i < b->u.object.len &&
			    strcmp(a->u.object.keys[i], b->u.object.keys[i]) == 0);
	FUZZ_ASSERT(b->u.object.len == i ||
		    (b->u.object.len == i + 1 && strcmp(b->u.object.keys[i], "hooks") == 0));
	process = member(b, "process");
	linux_ = member(b, "linux");
	if (process && YAJL_IS_OBJECT(process))
		FUZZ_ASSERT(!member(process, "rlimits") && !member(process, "apparmorProfile"));
	if (linux_ && YAJL_IS_OBJECT(linux_))
		FUZZ_ASSERT(!member(linux_, "seccomp"));
	hooks = member(b, "hooks");
	FUZZ_ASSERT(hooks && YAJL_IS_OBJECT(hooks));
	check_stage(hooks, "createRuntime");
	check_stage(hooks, "poststart");
	FUZZ_ASSERT(!fuzz_json_deeper_than(b, NH_JSON_DEPTH_MAX));
	yajl_tree_free(a);
	yajl_tree_free(b);

	if (out_len <= NH_BASE_SPEC_MAX) {
		char *again = NULL;
		size_t again_len = 0;
		nh_error_t err = { 0 };

		FUZZ_ASSERT(nh_base_spec_make(out, out_len, "output", HOOK_PATH, &again, &again_len,
					      &err) == 0);
		FUZZ_ASSERT(again_len == out_len && memcmp(again, out, out_len) == 0);
		free(again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *out = NULL;
	size_t out_len = 0;
	nh_error_t err = { 0 };
	int r;

	if (size > NH_BASE_SPEC_MAX)
		return -1;
	text = fuzz_text(data, size);
	r = nh_base_spec_make(text, size, "input", HOOK_PATH, &out, &out_len, &err);
	fuzz_check_result(r, &err);
	if (r == 0)
		check_output(text, out, out_len);
	else
		FUZZ_ASSERT(out == NULL);
	free(out);
	free(text);
	return 0;
}
