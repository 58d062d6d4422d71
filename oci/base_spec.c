/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "common/util.h"
#include "oci/base_spec.h"
#include "oci/json.h"
#include "oci/state.h"

/* As the package's hooks.d files; the admin's time-budget-ms stays below. */
#define HOOK_TIMEOUT "60"

static const char *const stages[] = { "createRuntime", "poststart" };
/* What containerd's CRI removes from its default spec when the handler has
 * no base spec (WithoutDefaultSecuritySettings). */
static const char *const process_drop[] = { "rlimits", "apparmorProfile", NULL };
static const char *const linux_drop[] = { "seccomp", NULL };

static yajl_val get(yajl_val obj, const char *key)
{
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

static bool is_string(yajl_val v, const char *s)
{
	return v && YAJL_IS_STRING(v) && strcmp(v->u.string, s) == 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* yajl's tree keeps every duplicate, and containerd (Go's encoding/json)
 * would take the last: refuse them rather than guess. Sorting a copy keeps
 * this O(n log n) for hostile input. */
static int check_keys(yajl_val v, const char *name, nh_error_t *err)
{
	size_t n;

	if (YAJL_IS_ARRAY(v)) {
		for (size_t i = 0; i < v->u.array.len; i++)
			if (check_keys(v->u.array.values[i], name, err) < 0)
				return -1;
		return 0;
	}
	if (!YAJL_IS_OBJECT(v))
		return 0;
	n = v->u.object.len;
	if (n > 1) {
		_cleanup_free_ const char **keys = malloc(n * sizeof(*keys));

		if (!keys)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "%s", name);
		memcpy(keys, v->u.object.keys, n * sizeof(*keys));
		qsort(keys, n, sizeof(*keys), key_cmp);
		for (size_t i = 1; i < n; i++)
			if (strcmp(keys[i - 1], keys[i]) == 0)
				return nh_fail(err, NH_EXIT_INVALID, 0, "%s: duplicate key \"%s\"",
					       name, nh_quote(keys[i], strlen(keys[i]), 0));
	}
	for (size_t i = 0; i < n; i++)
		if (check_keys(v->u.object.values[i], name, err) < 0)
			return -1;
	return 0;
}

/* The members this rewrite looks into must have the types of the spec;
 * null stands for absent, as Go's encoding/json reads it. */
static int check_member(yajl_val obj, const char *key, bool array, const char *where,
			const char *name, nh_error_t *err)
{
	yajl_val v = obj ? get(obj, key) : NULL;

	if (!v || YAJL_IS_NULL(v) || (array ? YAJL_IS_ARRAY(v) : YAJL_IS_OBJECT(v)))
		return 0;
	return nh_fail(err, NH_EXIT_INVALID, 0, "%s: \"%s%s\" is not %s", name, where, key,
		       array ? "an array" : "an object");
}

static int check_spec(yajl_val root, const char *name, nh_error_t *err)
{
	yajl_val hooks;

	if (!YAJL_IS_OBJECT(root))
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s is not a JSON object", name);
	if (!get(root, "ociVersion") || !YAJL_IS_STRING(get(root, "ociVersion")))
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "%s is not an OCI runtime spec (no string \"ociVersion\")", name);
	if (check_keys(root, name, err) < 0 ||
	    check_member(root, "process", false, "", name, err) < 0 ||
	    check_member(root, "linux", false, "", name, err) < 0 ||
	    check_member(root, "hooks", false, "", name, err) < 0)
		return -1;
	hooks = get(root, "hooks");
	if (hooks && YAJL_IS_OBJECT(hooks))
		for (size_t i = 0; i < NH_ARRAY_SIZE(stages); i++)
			if (check_member(hooks, stages[i], true, "hooks.", name, err) < 0)
				return -1;
	return 0;
}

#define GEN(call)                                                                                  \
	do {                                                                                       \
		if ((call) != yajl_gen_status_ok)                                                  \
			return -1;                                                                 \
	} while (0)

static yajl_gen_status gen_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static int gen_value(yajl_gen g, yajl_val v)
{
	switch (v->type) {
	case yajl_t_string:
		GEN(gen_str(g, v->u.string));
		break;
	case yajl_t_number:
		/* The text as written: no rounding through double or long long. */
		GEN(yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r)));
		break;
	case yajl_t_true:
	case yajl_t_false:
		GEN(yajl_gen_bool(g, v->type == yajl_t_true));
		break;
	case yajl_t_null:
		GEN(yajl_gen_null(g));
		break;
	case yajl_t_object:
		GEN(yajl_gen_map_open(g));
		for (size_t i = 0; i < v->u.object.len; i++) {
			GEN(gen_str(g, v->u.object.keys[i]));
			if (gen_value(g, v->u.object.values[i]) < 0)
				return -1;
		}
		GEN(yajl_gen_map_close(g));
		break;
	case yajl_t_array:
		GEN(yajl_gen_array_open(g));
		for (size_t i = 0; i < v->u.array.len; i++)
			if (gen_value(g, v->u.array.values[i]) < 0)
				return -1;
		GEN(yajl_gen_array_close(g));
		break;
	default:
		return -1;
	}
	return 0;
}

static bool listed(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

static int gen_object_without(yajl_gen g, yajl_val obj, const char *const *drop)
{
	GEN(yajl_gen_map_open(g));
	for (size_t i = 0; i < obj->u.object.len; i++) {
		if (listed(obj->u.object.keys[i], drop))
			continue;
		GEN(gen_str(g, obj->u.object.keys[i]));
		if (gen_value(g, obj->u.object.values[i]) < 0)
			return -1;
	}
	GEN(yajl_gen_map_close(g));
	return 0;
}

/* An entry that an earlier run (of any hook path) put there. */
static bool is_our_hook(yajl_val entry, const char *hook_path)
{
	yajl_val args;

	if (!YAJL_IS_OBJECT(entry))
		return false;
	if (is_string(get(entry, "path"), hook_path))
		return true;
	args = get(entry, "args");
	return args && YAJL_IS_ARRAY(args) && args->u.array.len >= 2 &&
	       is_string(args->u.array.values[0], "oci-numa-hook") &&
	       is_string(args->u.array.values[1], "hook");
}

static int gen_stage(yajl_gen g, yajl_val list, const char *hook_path, const char *stage)
{
	GEN(yajl_gen_array_open(g));
	for (size_t i = 0; list && YAJL_IS_ARRAY(list) && i < list->u.array.len; i++) {
		if (is_our_hook(list->u.array.values[i], hook_path))
			continue;
		if (gen_value(g, list->u.array.values[i]) < 0)
			return -1;
	}
	GEN(yajl_gen_map_open(g));
	GEN(gen_str(g, "path"));
	GEN(gen_str(g, hook_path));
	GEN(gen_str(g, "args"));
	GEN(yajl_gen_array_open(g));
	GEN(gen_str(g, "oci-numa-hook"));
	GEN(gen_str(g, "hook"));
	GEN(gen_str(g, stage));
	GEN(yajl_gen_array_close(g));
	GEN(gen_str(g, "timeout"));
	GEN(yajl_gen_number(g, HOOK_TIMEOUT, strlen(HOOK_TIMEOUT)));
	GEN(yajl_gen_map_close(g));
	GEN(yajl_gen_array_close(g));
	return 0;
}

/* hooks: every stage kept in its place, the two of the hook appended to
 * (or added at the end). */
static int gen_hooks(yajl_gen g, yajl_val hooks, const char *hook_path)
{
	bool seen[NH_ARRAY_SIZE(stages)] = { false };

	GEN(yajl_gen_map_open(g));
	for (size_t i = 0; hooks && YAJL_IS_OBJECT(hooks) && i < hooks->u.object.len; i++) {
		const char *key = hooks->u.object.keys[i];
		size_t s = 0;

		while (s < NH_ARRAY_SIZE(stages) && strcmp(key, stages[s]) != 0)
			s++;
		GEN(gen_str(g, key));
		if (s < NH_ARRAY_SIZE(stages)) {
			seen[s] = true;
			if (gen_stage(g, hooks->u.object.values[i], hook_path, stages[s]) < 0)
				return -1;
		} else if (gen_value(g, hooks->u.object.values[i]) < 0) {
			return -1;
		}
	}
	for (size_t s = 0; s < NH_ARRAY_SIZE(stages); s++) {
		if (seen[s])
			continue;
		GEN(gen_str(g, stages[s]));
		if (gen_stage(g, NULL, hook_path, stages[s]) < 0)
			return -1;
	}
	GEN(yajl_gen_map_close(g));
	return 0;
}

static int gen_spec(yajl_gen g, yajl_val root, const char *hook_path)
{
	bool hooks_seen = false;

	GEN(yajl_gen_map_open(g));
	for (size_t i = 0; i < root->u.object.len; i++) {
		const char *key = root->u.object.keys[i];
		yajl_val v = root->u.object.values[i];
		int r;

		GEN(gen_str(g, key));
		if (strcmp(key, "process") == 0 && YAJL_IS_OBJECT(v)) {
			r = gen_object_without(g, v, process_drop);
		} else if (strcmp(key, "linux") == 0 && YAJL_IS_OBJECT(v)) {
			r = gen_object_without(g, v, linux_drop);
		} else if (strcmp(key, "hooks") == 0) {
			hooks_seen = true;
			r = gen_hooks(g, v, hook_path);
		} else {
			r = gen_value(g, v);
		}
		if (r < 0)
			return -1;
	}
	if (!hooks_seen) {
		GEN(gen_str(g, "hooks"));
		if (gen_hooks(g, NULL, hook_path) < 0)
			return -1;
	}
	GEN(yajl_gen_map_close(g));
	return 0;
}

int nh_base_spec_make(const char *text, size_t len, const char *name, const char *hook_path,
		      char **out, size_t *out_len, nh_error_t *err)
{
	const unsigned char *buf;
	yajl_val root;
	yajl_gen g;
	size_t n;
	int r = -1;

	*out = NULL;
	if (len > NH_BASE_SPEC_MAX)
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s is larger than %d bytes", name,
			       NH_BASE_SPEC_MAX);
	root = nh_json_parse(text, len, name, false, err);
	if (!root)
		return -1;
	if (check_spec(root, name, err) < 0) {
		yajl_tree_free(root);
		return -1;
	}
	g = yajl_gen_alloc(NULL);
	if (!g) {
		yajl_tree_free(root);
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "%s", name);
	}
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "    ");
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	if (gen_spec(g, root, hook_path) < 0 || yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok) {
		nh_fail(err, NH_EXIT_SYSTEM, 0, "%s: cannot write the base spec as JSON", name);
	} else if (!(*out = malloc(n + 1))) {
		nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "%s", name);
	} else {
		memcpy(*out, buf, n);
		(*out)[n] = '\0';
		*out_len = n;
		r = 0;
	}
	yajl_gen_free(g);
	yajl_tree_free(root);
	return r;
}
