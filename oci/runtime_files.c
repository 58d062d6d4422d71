/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <regex.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/util.h"
#include "oci/json.h"
#include "oci/runtime_files.h"
#include "oci/state.h"

static yajl_val parse(const char *text, size_t len, const char *name, nh_error_t *err)
{
	return nh_json_parse(text, len, name, true, err);
}

static yajl_val get(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };

	return yajl_tree_get(obj, path, yajl_t_any);
}

/* A string value usable as a path: absolute, no NUL byte inside. */
static char *dup_path(yajl_val v)
{
	if (!v || !YAJL_IS_STRING(v) || v->u.string[0] != '/')
		return NULL;
	return strdup(v->u.string);
}

/* runc keeps the bundle as the label "bundle=DIR" of its config. */
static char *runc_bundle(yajl_val root)
{
	const char *path[] = { "config", "labels", NULL };
	yajl_val labels = yajl_tree_get(root, path, yajl_t_array);

	if (!labels)
		return NULL;
	for (size_t i = 0; i < YAJL_GET_ARRAY(labels)->len; i++) {
		yajl_val l = YAJL_GET_ARRAY(labels)->values[i];

		if (YAJL_IS_STRING(l) && strncmp(l->u.string, "bundle=/", 8) == 0)
			return strdup(l->u.string + 7);
	}
	return NULL;
}

int nh_runtime_state_read(const char *text, size_t len, const char *name, pid_t *pid,
			  char **bundle, nh_error_t *err)
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
	if (bundle) {
		*bundle = dup_path(get(root, "bundle"));
		if (!*bundle)
			*bundle = runc_bundle(root);
	}
	yajl_tree_free(root);
	return 0;
}

int nh_runtime_state_pid(const char *text, size_t len, const char *name, pid_t *pid,
			 nh_error_t *err)
{
	return nh_runtime_state_read(text, len, name, pid, NULL, err);
}

static void take_string(yajl_val annotations, const char *key, char **dst)
{
	yajl_val v = get(annotations, key);

	if (!*dst && v && YAJL_IS_STRING(v))
		*dst = strdup(v->u.string);
}

int nh_bundle_info_parse(const char *text, size_t len, const char *name, nh_bundle_info_t *info,
			 nh_error_t *err)
{
	yajl_val root = parse(text, len, name, err), ann;
	char *type = NULL, *crio_type = NULL;

	memset(info, 0, sizeof(*info));
	if (!root)
		return -1;
	ann = get(root, "annotations");
	if (ann && YAJL_IS_OBJECT(ann)) {
		/* containerd's CRI, then CRI-O's. */
		take_string(ann, "io.kubernetes.cri.sandbox-namespace", &info->pod_namespace);
		take_string(ann, "io.kubernetes.cri.sandbox-name", &info->pod_name);
		take_string(ann, "io.kubernetes.cri.container-name", &info->container_name);
		take_string(ann, "io.kubernetes.cri.container-type", &type);
		take_string(ann, "io.kubernetes.pod.namespace", &info->pod_namespace);
		take_string(ann, "io.kubernetes.pod.name", &info->pod_name);
		take_string(ann, "io.kubernetes.container.name", &info->container_name);
		take_string(ann, "io.kubernetes.cri-o.ContainerType", &crio_type);
		take_string(ann, NH_ANNOTATION_PREFIX "nodes", &info->nodes);
		info->sandbox = (type && strcmp(type, "sandbox") == 0) ||
				(crio_type && strcmp(crio_type, "sandbox") == 0);
	}
	free(type);
	free(crio_type);
	yajl_tree_free(root);
	return 0;
}

void nh_bundle_info_free(nh_bundle_info_t *info)
{
	free(info->pod_namespace);
	free(info->pod_name);
	free(info->container_name);
	free(info->nodes);
	memset(info, 0, sizeof(*info));
}

int nh_storage_names_parse(const char *text, size_t len, const char *name, nh_storage_name_fn fn,
			   void *data, nh_error_t *err)
{
	yajl_val root = nh_json_parse(text, len, name, false, err);
	int r = 0;

	if (!root)
		return -1;
	if (!YAJL_IS_ARRAY(root)) {
		yajl_tree_free(root);
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s is not a JSON array", name);
	}
	for (size_t i = 0; r == 0 && i < YAJL_GET_ARRAY(root)->len; i++) {
		yajl_val c = YAJL_GET_ARRAY(root)->values[i], id, names;

		if (!YAJL_IS_OBJECT(c))
			continue;
		id = get(c, "id");
		names = get(c, "names");
		if (!id || !YAJL_IS_STRING(id) || !names || !YAJL_IS_ARRAY(names))
			continue;
		for (size_t j = 0; r == 0 && j < YAJL_GET_ARRAY(names)->len; j++) {
			yajl_val n = YAJL_GET_ARRAY(names)->values[j];

			if (YAJL_IS_STRING(n))
				r = fn(id->u.string, n->u.string, data);
		}
	}
	yajl_tree_free(root);
	return r;
}

char *nh_storage_conf_graphroot(const char *text, size_t len)
{
	bool in_storage = false;
	const char *end = text + len;

	for (const char *line = text; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *p = line, *q;

		if (!eol)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p < eol && *p == '[') {
			in_storage = (size_t)(eol - p) >= 9 && memcmp(p, "[storage]", 9) == 0;
		} else if (in_storage && (size_t)(eol - p) > 9 && memcmp(p, "graphroot", 9) == 0) {
			p += 9;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			if (p < eol && *p == '=') {
				p++;
				while (p < eol && (*p == ' ' || *p == '\t'))
					p++;
				if (p + 1 < eol && p[0] == '"' && p[1] == '/' &&
				    (q = memchr(p + 1, '"', (size_t)(eol - p - 1))) &&
				    !memchr(p + 1, '\\', (size_t)(q - p - 1)) &&
				    !memchr(p + 1, '\0', (size_t)(q - p - 1)))
					return strndup(p + 1, (size_t)(q - p - 1));
			}
		}
		line = eol + 1;
	}
	return NULL;
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
			       name, nh_quote_whole(path->u.string, 0));
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
