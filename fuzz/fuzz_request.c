/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the annotation -> request parser, with a state built from the input.
 *
 * Input starting with '{': an OCI state in JSON, parsed by nh_state_parse,
 * with the default admin configuration (every override allowed).
 * Otherwise: byte 0 is the admin configuration (bits 0-3: which annotations
 * may override, bit 4: default-mems = keep, bit 5: default-on-error = warn);
 * the rest is NUL-separated key, value, key, value, ...; keys get the
 * "oci-numa-hook/" prefix. */
#include "config.h"

#include "fuzz/fuzz_common.h"
#include "oci/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 64

static void check_request(const nh_state_t *st, const nh_config_t *cfg)
{
	nh_request_t req;
	nh_error_t err = { 0 };
	int r = nh_request_parse(st, cfg, &req, &err);
	enum nh_on_error oe = nh_request_on_error(st, cfg);

	fuzz_check_result(r, &err);
	FUZZ_ASSERT(oe == NH_ON_ERROR_FAIL || oe == NH_ON_ERROR_WARN);
	if (r < 0) {
		FUZZ_ASSERT(err.status == NH_EXIT_INVALID);
		return;
	}
	FUZZ_ASSERT(nh_state_annotation(st, NH_ANNOTATION_NODES) != NULL);
	FUZZ_ASSERT(oe == req.on_error);
	if (req.nodes_kind == NH_NODES_LIST)
		FUZZ_ASSERT(!nh_nodeset_empty(&req.nodes));
	if (req.has_from)
		FUZZ_ASSERT(!nh_nodeset_empty(&req.from) && (cfg->overrides & NH_OVERRIDE_FROM));
	/* The admin wins: a value differing from the default needs the override. */
	if (!(cfg->overrides & NH_OVERRIDE_MEMS))
		FUZZ_ASSERT(req.mems == cfg->default_mems);
	if (!(cfg->overrides & NH_OVERRIDE_ON_ERROR))
		FUZZ_ASSERT(req.on_error == cfg->default_on_error);
}

static void fuzz_json(const uint8_t *data, size_t size)
{
	nh_config_t cfg;
	nh_state_t st;
	nh_error_t err = { 0 };
	char *text;

	if (size > NH_STATE_MAX)
		return;
	text = fuzz_text(data, size);
	nh_config_defaults(&cfg);
	if (nh_state_parse(text, size, &st, &err) == 0) {
		check_request(&st, &cfg);
		nh_state_free(&st);
	}
	free(text);
}

static void fuzz_fields(const uint8_t *data, size_t size)
{
	static const char prefix[] = NH_ANNOTATION_PREFIX;
	nh_annotation_t ann[MAX_FIELDS];
	nh_state_t st = { 0 };
	nh_config_t cfg;
	char *text = fuzz_text(data + 1, size - 1); /* fields, NUL-separated */
	const char *p = text, *end = text + (size - 1);

	nh_config_defaults(&cfg);
	cfg.overrides = data[0] & NH_OVERRIDE_ALL;
	cfg.default_mems = (data[0] & 0x10) ? NH_MEMS_KEEP : NH_MEMS_SET;
	cfg.default_on_error = (data[0] & 0x20) ? NH_ON_ERROR_WARN : NH_ON_ERROR_FAIL;

	st.annotations = ann;
	while (p < end && st.n_annotations < MAX_FIELDS) {
		const char *key = p, *value = key + strlen(key) + 1;
		char *full;

		if (value > end)
			value = end; /* a key without a value gets "" */
		p = value + strlen(value) + 1;
		full = malloc(sizeof(prefix) + strlen(key));
		FUZZ_ASSERT(full);
		memcpy(full, prefix, sizeof(prefix) - 1);
		strcpy(full + sizeof(prefix) - 1, key);
		/* nh_state_parse never yields the same key twice. */
		if (nh_state_annotation(&st, full)) {
			free(full);
			continue;
		}
		ann[st.n_annotations].key = full;
		ann[st.n_annotations].value = (char *)value;
		st.n_annotations++;
	}
	check_request(&st, &cfg);
	for (size_t i = 0; i < st.n_annotations; i++)
		free(ann[i].key);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return -1;
	if (data[0] == '{')
		fuzz_json(data, size);
	else
		fuzz_fields(data, size);
	return 0;
}
