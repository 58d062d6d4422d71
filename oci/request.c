/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>

#include "common/util.h"
#include "oci/request.h"

enum nh_on_error nh_request_on_error(const nh_state_t *st, const nh_config_t *cfg)
{
	const char *v = nh_state_annotation(st, NH_ANNOTATION_PREFIX "on-error");
	enum nh_on_error e;

	if (v && (cfg->overrides & NH_OVERRIDE_ON_ERROR) && nh_on_error_parse(v, &e))
		return e;
	return cfg->default_on_error;
}

static int bad_value(const char *key, const char *value, const char *why, nh_error_t *err)
{
	return nh_fail(err, NH_EXIT_INVALID, 0, "annotation %s=\"%s\": %s", key,
		       nh_quote(value, strlen(value), 0), why);
}

static int parse_nodes(const char *key, const char *value, nh_request_t *req, nh_error_t *err)
{
	if (strcmp(value, "all") == 0) {
		req->nodes_kind = NH_NODES_ALL;
		return 0;
	}
	if (strcmp(value, "auto") == 0) {
		req->nodes_kind = NH_NODES_AUTO;
		return 0;
	}
	req->nodes_kind = NH_NODES_LIST;
	return nh_nodeset_parse(value, &req->nodes, "annotation " NH_ANNOTATION_NODES, err);
}

int nh_request_parse(const nh_state_t *st, const nh_config_t *cfg, nh_request_t *req,
		     nh_error_t *err)
{
	memset(req, 0, sizeof(*req));
	req->mems = cfg->default_mems;
	req->on_error = cfg->default_on_error;
	req->engine = cfg->default_engine;
	req->rate = cfg->default_rate;

	if (!nh_state_annotation(st, NH_ANNOTATION_NODES))
		return nh_fail(err, NH_EXIT_INVALID, 0, "annotation %s is missing",
			       NH_ANNOTATION_NODES);
	if (st->n_dropped)
		return nh_fail(err, NH_EXIT_INVALID, 0, "more than %d annotations under %s",
			       NH_ANNOTATIONS_MAX, NH_ANNOTATION_PREFIX);
	for (size_t i = 0; i < st->n_annotations; i++) {
		const char *key = st->annotations[i].key;
		const char *value = st->annotations[i].value;
		const char *name = key + strlen(NH_ANNOTATION_PREFIX);
		unsigned needs = 0;
		int r;

		if (strlen(value) > NH_ANNOTATION_VALUE_MAX)
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "annotation %s: value of %zu bytes is too long (at most %d)",
				       nh_quote(key, strlen(key), 0), strlen(value),
				       NH_ANNOTATION_VALUE_MAX);
		if (value[0] == '\0')
			return nh_fail(err, NH_EXIT_INVALID, 0, "annotation %s has an empty value",
				       nh_quote(key, strlen(key), 0));

		if (strcmp(name, "nodes") == 0) {
			r = parse_nodes(key, value, req, err);
		} else if (strcmp(name, "from") == 0) {
			needs = NH_OVERRIDE_FROM;
			req->has_from = true;
			r = nh_nodeset_parse(value, &req->from, "annotation " NH_ANNOTATION_PREFIX "from",
					     err);
		} else if (strcmp(name, "mems") == 0) {
			needs = NH_OVERRIDE_MEMS;
			r = nh_mems_mode_parse(value, &req->mems) ?
				    0 : bad_value(key, value, "expected set or keep", err);
		} else if (strcmp(name, "on-error") == 0) {
			needs = NH_OVERRIDE_ON_ERROR;
			r = nh_on_error_parse(value, &req->on_error) ?
				    0 : bad_value(key, value, "expected fail or warn", err);
		} else if (strcmp(name, "engine") == 0) {
			needs = NH_OVERRIDE_ENGINE;
			if (!nh_engine_parse(value, &req->engine))
				r = bad_value(key, value, "expected migrate_pages or move_pages", err);
			else if (!(cfg->allowed_engines & (1u << req->engine)))
				r = bad_value(key, value,
					      "this engine is not allowed by the admin configuration "
					      "(allowed-engines)",
					      err);
			else
				r = 0;
		} else if (strcmp(name, "rate") == 0) {
			needs = NH_OVERRIDE_RATE;
			if (!nh_rate_parse(value, &req->rate))
				r = bad_value(key, value,
					      "expected bytes per second like 512M or 2G (K, M, G, T: "
					      "powers of 1024; at most 1T)",
					      err);
			else if (cfg->max_rate && req->rate > cfg->max_rate)
				r = nh_fail(err, NH_EXIT_INVALID, 0,
					    "annotation %s=\"%s\": more than the admin's max-rate of "
					    "%llu bytes per second",
					    key, nh_quote(value, strlen(value), 0),
					    (unsigned long long)cfg->max_rate);
			else
				r = 0;
		} else {
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "unknown annotation %s (known: nodes, from, mems, on-error, "
				       "engine, rate)",
				       nh_quote(key, strlen(key), 0));
		}
		if (r < 0)
			return -1;
		if (needs && !(cfg->overrides & needs))
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "annotation %s is not allowed by the admin configuration "
				       "(allow-annotation-override)",
				       key);
	}
	return 0;
}
