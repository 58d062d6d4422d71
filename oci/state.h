/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI state a runtime writes on a hook's stdin (runtime-spec "state"),
 * parsed into a plain struct. The only code besides oci/ that sees JSON is
 * none: this module and the hooks.d reader include yajl. */
#ifndef NH_STATE_H
#define NH_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* The most a runtime is expected to send; larger input is refused. */
#define NH_STATE_MAX (1024 * 1024)
/* Deeper JSON nesting than this is refused before parsing. */
#define NH_JSON_DEPTH_MAX 64

#define NH_ANNOTATION_PREFIX "oci-numa-hook/"
/* More annotations under the prefix than any request needs: past this many,
 * only "nodes" is kept (it decides whether the hook has work at all). */
#define NH_ANNOTATIONS_MAX 64

typedef struct nh_annotation {
	char *key;
	char *value;
} nh_annotation_t;

typedef struct nh_state {
	char *id;
	char *status;
	char *bundle;
	pid_t pid; /* 0 when the state has none (e.g. poststop) */
	/* Only the annotations under NH_ANNOTATION_PREFIX. */
	nh_annotation_t *annotations;
	size_t n_annotations;
	size_t n_dropped; /* annotations under the prefix past NH_ANNOTATIONS_MAX */
} nh_state_t;

/* text must be NUL-terminated at text[len]. Errors are NH_EXIT_INVALID. */
int nh_state_parse(const char *text, size_t len, nh_state_t *st, nh_error_t *err);
void nh_state_free(nh_state_t *st);

/* The value of an annotation, or NULL. */
const char *nh_state_annotation(const nh_state_t *st, const char *key);

/* Check JSON text for NUL bytes and nesting depth before handing it to
 * yajl (whose tree is freed recursively). */
int nh_json_precheck(const char *text, size_t len, const char *what, nh_error_t *err);

#endif
