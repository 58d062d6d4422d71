/* SPDX-License-Identifier: Apache-2.0 */
/* For the harnesses of JSON readers: yajl's own view of a text, the
 * reference their oracles compare the parsers against. */
#ifndef NH_FUZZ_JSON_H
#define NH_FUZZ_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <yajl/yajl_tree.h>

/* Whether the tree nests deeper than max (stops looking past max). */
static inline bool fuzz_json_deeper_than(yajl_val v, unsigned max)
{
	size_t n = 0;
	yajl_val *items = NULL;

	if (YAJL_IS_OBJECT(v)) {
		n = v->u.object.len;
		items = v->u.object.values;
	} else if (YAJL_IS_ARRAY(v)) {
		n = v->u.array.len;
		items = v->u.array.values;
	} else {
		return false;
	}
	if (max == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (fuzz_json_deeper_than(items[i], max - 1))
			return true;
	return false;
}

#endif
