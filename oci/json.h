/* SPDX-License-Identifier: Apache-2.0 */
/* JSON from outside (a runtime's state, a bundle's config.json, containers
 * storage, containerd's default spec) into a yajl tree: the only parse of
 * it, with the same checks and the same one-line errors everywhere. Only
 * for oci/: the rest of the program never sees yajl. */
#ifndef NH_JSON_H
#define NH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "common/error.h"

/* text NUL-terminated at text[len]; name says what it is in errors. NULL
 * with err (NH_EXIT_INVALID) for NUL bytes, nesting past
 * NH_JSON_DEPTH_MAX, text that is not JSON, or (object) a top level that is
 * not an object. Free the tree with yajl_tree_free(). */
yajl_val nh_json_parse(const char *text, size_t len, const char *name, bool object,
		       nh_error_t *err);

#endif
