/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>

#include "oci/json.h"
#include "oci/state.h"

yajl_val nh_json_parse(const char *text, size_t len, const char *name, bool object,
		       nh_error_t *err)
{
	char errbuf[256] = "";
	yajl_val root;

	if (nh_json_precheck(text, len, name, err) < 0)
		return NULL;
	root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	if (!root) {
		/* yajl's first line is its own text; the input is on the next. */
		errbuf[strcspn(errbuf, "\n")] = '\0';
		nh_fail(err, NH_EXIT_INVALID, 0, "%s is not valid JSON: %s", name,
			errbuf[0] ? errbuf : "parse error");
		return NULL;
	}
	if (object && !YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		nh_fail(err, NH_EXIT_INVALID, 0, "%s is not a JSON object", name);
		return NULL;
	}
	return root;
}
