/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <regex.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/util.h"
#include "oci/runtime_files.h"
#include "oci/state.h"

static yajl_val parse(const char *text, size_t len, const char *name, nh_error_t *err)
{
	char errbuf[256] = "";
	yajl_val root;

	if (nh_json_precheck(text, len, name, err) < 0)
		return NULL;
	root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	if (!root) {
		errbuf[strcspn(errbuf, "\n")] = '\0';
		nh_fail(err, NH_EXIT_INVALID, 0, "%s is not valid JSON: %s", name, errbuf);
		return NULL;
	}
	if (!YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		nh_fail(err, NH_EXIT_INVALID, 0, "%s is not a JSON object", name);
		return NULL;
	}
	return root;
}

static yajl_val get(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };

	return yajl_tree_get(obj, path, yajl_t_any);
}

int nh_runtime_state_pid(const char *text, size_t len, const char *name, pid_t *pid,
			 nh_error_t *err)
{
	yajl_val root = parse(text, len, name, err), v;
	long long n;

	if (!root)
		return -1;
	v = get(root, "init_process_pid");
	if (!v)
		v = get(root, "pid");
	if (!v || !YAJL_IS_INTEGER(v) || (n = YAJL_GET_INTEGER(v)) <= 0 || n > INT32_MAX) {
		yajl_tree_free(root);
		return nh_fail(err, NH_EXIT_SYSTEM, 0, "%s has no process id", name);
	}
	*pid = (pid_t)n;
	yajl_tree_free(root);
	return 0;
}

static const char *const known_stages[] = { "prestart", "createRuntime", "poststart" };

static const char *known_stage(const char *s)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(known_stages); i++)
		if (strcmp(s, known_stages[i]) == 0)
			return known_stages[i];
	return NULL;
}

static int check_when(yajl_val when, const char *name, nh_error_t *err)
{
	yajl_val ann = when ? get(when, "annotations") : NULL;
	bool matches = false;

	if (!ann || !YAJL_IS_OBJECT(ann) || YAJL_GET_OBJECT(ann)->len == 0)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "%s: when.annotations is missing: the hook would run for every "
			       "container",
			       name);
	for (size_t i = 0; i < YAJL_GET_OBJECT(ann)->len; i++) {
		const char *key = YAJL_GET_OBJECT(ann)->keys[i];
		size_t n = strlen(key);
		regex_t re;

		if (n < 2 || key[0] != '^' || key[n - 1] != '$')
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "%s: annotation pattern \"%s\" is not anchored (^...$): hooks.d "
				       "patterns match anywhere in the key",
				       name, nh_quote(key, n, 0));
		if (regcomp(&re, key, REG_EXTENDED | REG_NOSUB) != 0)
			return nh_fail(err, NH_EXIT_INVALID, 0, "%s: annotation pattern \"%s\" is not a "
				       "valid regular expression", name, nh_quote(key, n, 0));
		matches = matches || regexec(&re, "oci-numa-hook/nodes", 0, NULL, 0) == 0;
		regfree(&re);
	}
	if (!matches)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "%s: no when.annotations pattern matches oci-numa-hook/nodes", name);
	return 0;
}

static int check_hook(yajl_val hook, const char *name, const char **stage, nh_error_t *err)
{
	yajl_val path = hook ? get(hook, "path") : NULL;
	yajl_val args = hook ? get(hook, "args") : NULL;
	yajl_val timeout = hook ? get(hook, "timeout") : NULL;
	yajl_val a;

	if (!path || !YAJL_IS_STRING(path) || path->u.string[0] != '/')
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s: hook.path must be an absolute path", name);
	if (access(path->u.string, X_OK) != 0)
		return nh_fail(err, NH_EXIT_INVALID, errno, "%s: hook.path \"%s\" is not executable",
			       name, nh_quote(path->u.string, strlen(path->u.string), 0));
	if (!args || !YAJL_IS_ARRAY(args) || YAJL_GET_ARRAY(args)->len < 3)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "%s: hook.args must be [\"oci-numa-hook\", \"hook\", STAGE, ...]", name);
	for (size_t i = 0; i < YAJL_GET_ARRAY(args)->len; i++)
		if (!YAJL_IS_STRING(YAJL_GET_ARRAY(args)->values[i]))
			return nh_fail(err, NH_EXIT_INVALID, 0, "%s: hook.args[%zu] is not a string",
				       name, i);
	a = YAJL_GET_ARRAY(args)->values[1];
	if (strcmp(a->u.string, "hook") != 0)
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s: hook.args[1] is \"%s\", expected \"hook\"",
			       name, nh_quote(a->u.string, strlen(a->u.string), 0));
	a = YAJL_GET_ARRAY(args)->values[2];
	*stage = known_stage(a->u.string);
	if (!*stage)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "%s: hook.args[2] \"%s\" is not a stage (prestart, createRuntime, "
			       "poststart)",
			       name, nh_quote(a->u.string, strlen(a->u.string), 0));
	if (timeout && (!YAJL_IS_INTEGER(timeout) || YAJL_GET_INTEGER(timeout) <= 0))
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s: hook.timeout must be a positive integer",
			       name);
	return 0;
}

int nh_hooks_json_check(const char *text, size_t len, const char *name, const char **stage,
			nh_error_t *err)
{
	yajl_val root = parse(text, len, name, err), v;
	int r = -1;

	if (!root)
		return -1;
	v = get(root, "version");
	if (!v || !YAJL_IS_STRING(v) || strcmp(v->u.string, "1.0.0") != 0) {
		nh_fail(err, NH_EXIT_INVALID, 0, "%s: \"version\" must be \"1.0.0\"", name);
		goto out;
	}
	if (check_hook(get(root, "hook"), name, stage, err) < 0 ||
	    check_when(get(root, "when"), name, err) < 0)
		goto out;
	v = get(root, "stages");
	if (!v || !YAJL_IS_ARRAY(v) || YAJL_GET_ARRAY(v)->len != 1 ||
	    !YAJL_IS_STRING(YAJL_GET_ARRAY(v)->values[0]) ||
	    strcmp(YAJL_GET_ARRAY(v)->values[0]->u.string, *stage) != 0) {
		nh_fail(err, NH_EXIT_INVALID, 0,
			"%s: \"stages\" must be [\"%s\"], the stage its args name (one file per "
			"stage)",
			name, *stage);
		goto out;
	}
	r = 0;
out:
	yajl_tree_free(root);
	return r;
}
