/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "common/util.h"
#include "oci/json.h"
#include "oci/state.h"

int nh_json_precheck(const char *text, size_t len, const char *what, nh_error_t *err)
{
	unsigned depth = 0;
	bool in_string = false, escaped = false;

	if (memchr(text, '\0', len))
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s: contains a NUL byte", what);
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (escaped) {
				escaped = false;
				/* yajl decodes it into a NUL byte that cuts the C string:
				 * "1\u0000,5" would be read as "1". */
				if (c == 'u' && len - i > 4 && memcmp(text + i + 1, "0000", 4) == 0)
					return nh_fail(err, NH_EXIT_INVALID, 0,
						       "%s: a string contains an escaped NUL (\\u0000)",
						       what);
			} else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '/') {
			/* yajl_tree_parse allows comments, where a quote would hide
			 * nesting from this count. JSON has none. */
			return nh_fail(err, NH_EXIT_INVALID, 0, "%s: comments are not JSON", what);
		} else if (c == '{' || c == '[') {
			if (++depth > NH_JSON_DEPTH_MAX)
				return nh_fail(err, NH_EXIT_INVALID, 0,
					       "%s: JSON nested deeper than %d levels", what,
					       NH_JSON_DEPTH_MAX);
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

static int dup_string(yajl_val v, const char *key, char **out, nh_error_t *err)
{
	if (!YAJL_IS_STRING(v))
		return nh_fail(err, NH_EXIT_INVALID, 0, "OCI state: \"%s\" is not a string", key);
	*out = strdup(v->u.string);
	if (!*out)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "OCI state");
	return 0;
}

static int parse_pid(yajl_val v, pid_t *out, nh_error_t *err)
{
	long long pid;

	if (!YAJL_IS_INTEGER(v))
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "OCI state: \"pid\" is not an integer (got %s)",
			       YAJL_IS_STRING(v) ? "a string" :
			       YAJL_IS_NUMBER(v) ? "a non-integer or out-of-range number" :
						   "another type");
	pid = YAJL_GET_INTEGER(v);
	/* 0 is how crun says "no process" (createContainer, poststop), as runc
	 * leaves pid out; the hook refuses both where it needs a process. */
	if (pid < 0 || pid > INT32_MAX)
		return nh_fail(err, NH_EXIT_INVALID, 0, "OCI state: \"pid\" %lld is out of range", pid);
	*out = (pid_t)pid;
	return 0;
}

static int parse_annotations(yajl_val obj, nh_state_t *st, nh_error_t *err)
{
	size_t n = YAJL_GET_OBJECT(obj)->len;

	for (size_t i = 0; i < n; i++) {
		const char *key = YAJL_GET_OBJECT(obj)->keys[i];
		yajl_val v = YAJL_GET_OBJECT(obj)->values[i];
		nh_annotation_t *a;

		if (strncmp(key, NH_ANNOTATION_PREFIX, strlen(NH_ANNOTATION_PREFIX)) != 0)
			continue;
		if (!YAJL_IS_STRING(v))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "OCI state: annotation \"%s\" is not a string",
				       nh_quote(key, strlen(key), 0));
		if (nh_state_annotation(st, key))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "OCI state: annotation \"%s\" is given twice",
				       nh_quote(key, strlen(key), 0));
		/* The cap bounds the duplicate check above; the request parser
		 * refuses a request that came with too many (a state without
		 * "nodes" is no request, whatever else it carries). */
		if (st->n_annotations >= NH_ANNOTATIONS_MAX &&
		    strcmp(key, NH_ANNOTATION_PREFIX "nodes") != 0) {
			st->n_dropped++;
			continue;
		}
		a = realloc(st->annotations, (st->n_annotations + 1) * sizeof(*a));
		if (!a)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "OCI state");
		st->annotations = a;
		a = &st->annotations[st->n_annotations];
		a->key = strdup(key);
		a->value = strdup(v->u.string);
		st->n_annotations++;
		if (!a->key || !a->value)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "OCI state");
	}
	return 0;
}

int nh_state_parse(const char *text, size_t len, nh_state_t *st, nh_error_t *err)
{
	static const char *const known[] = { "ociVersion", "id", "status", "pid", "bundle",
					     "annotations" };
	yajl_val root;
	int r = 0;

	memset(st, 0, sizeof(*st));
	if (len == strspn(text, " \t\r\n"))
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "OCI state on stdin is empty (a runtime writes the container state "
			       "there)");
	root = nh_json_parse(text, len, "OCI state on stdin", true, err);
	if (!root)
		return -1;
	for (size_t i = 0; r == 0 && i < YAJL_GET_OBJECT(root)->len; i++) {
		const char *key = YAJL_GET_OBJECT(root)->keys[i];
		yajl_val v = YAJL_GET_OBJECT(root)->values[i];

		bool is_known = false;

		/* Only known keys are checked for duplicates: a check of every
		 * key against every other is quadratic in a 1 MiB state. */
		for (size_t k = 0; k < NH_ARRAY_SIZE(known); k++)
			if (strcmp(key, known[k]) == 0)
				is_known = true;
		for (size_t j = 0; is_known && j < i; j++)
			if (strcmp(YAJL_GET_OBJECT(root)->keys[j], key) == 0)
				r = nh_fail(err, NH_EXIT_INVALID, 0,
					    "OCI state: key \"%s\" is given twice", key);
		if (r < 0)
			break;
		if (strcmp(key, "id") == 0)
			r = dup_string(v, key, &st->id, err);
		else if (strcmp(key, "status") == 0)
			r = dup_string(v, key, &st->status, err);
		else if (strcmp(key, "bundle") == 0)
			r = dup_string(v, key, &st->bundle, err);
		else if (strcmp(key, "pid") == 0)
			r = parse_pid(v, &st->pid, err);
		else if (strcmp(key, "annotations") == 0)
			r = YAJL_IS_OBJECT(v) ? parse_annotations(v, st, err) :
						nh_fail(err, NH_EXIT_INVALID, 0,
							"OCI state: \"annotations\" is not an object");
	}
	yajl_tree_free(root);
	if (r < 0)
		nh_state_free(st);
	return r;
}

void nh_state_free(nh_state_t *st)
{
	for (size_t i = 0; i < st->n_annotations; i++) {
		free(st->annotations[i].key);
		free(st->annotations[i].value);
	}
	free(st->annotations);
	free(st->id);
	free(st->status);
	free(st->bundle);
	memset(st, 0, sizeof(*st));
}

const char *nh_state_annotation(const nh_state_t *st, const char *key)
{
	for (size_t i = 0; i < st->n_annotations; i++)
		if (strcmp(st->annotations[i].key, key) == 0)
			return st->annotations[i].value;
	return NULL;
}
