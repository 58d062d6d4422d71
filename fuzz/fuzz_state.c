/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the OCI state parser (stdin of every hook run). */
#include "config.h"

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_json.h"
#include "oci/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Oracle for the depth pre-check: text that nh_state_parse accepted must not
 * nest deeper than NH_JSON_DEPTH_MAX as yajl itself reads it, since yajl
 * frees its tree recursively. */
static void check_depth(const char *text)
{
	char errbuf[128];
	yajl_val root = yajl_tree_parse(text, errbuf, sizeof(errbuf));

	FUZZ_ASSERT(root != NULL);
	if (fuzz_json_deeper_than(root, NH_JSON_DEPTH_MAX)) {
		fprintf(stderr, "accepted JSON nests deeper than %d levels\n", NH_JSON_DEPTH_MAX);
		abort();
	}
	yajl_tree_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	nh_state_t st;
	nh_error_t err = { 0 };
	int r;

	/* The hook refuses more than NH_STATE_MAX bytes before parsing. */
	if (size > NH_STATE_MAX)
		return -1;
	text = fuzz_text(data, size);
	r = nh_state_parse(text, size, &st, &err);
	fuzz_check_result(r, &err);
	if (r == 0) {
		check_depth(text);
		FUZZ_ASSERT(st.pid >= 0);
		for (size_t i = 0; i < st.n_annotations; i++) {
			FUZZ_ASSERT(strncmp(st.annotations[i].key, NH_ANNOTATION_PREFIX,
					    strlen(NH_ANNOTATION_PREFIX)) == 0);
			/* Keys are unique: a lookup finds this very entry. */
			FUZZ_ASSERT(nh_state_annotation(&st, st.annotations[i].key) ==
				    st.annotations[i].value);
		}
		nh_state_free(&st);
	} else {
		/* A failed parse leaves nothing to free. */
		FUZZ_ASSERT(st.id == NULL && st.annotations == NULL && st.n_annotations == 0);
	}
	free(text);
	return 0;
}
