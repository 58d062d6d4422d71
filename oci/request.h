/* SPDX-License-Identifier: Apache-2.0 */
/* What the container asks for, from its oci-numa-hook/ annotations, after
 * the admin's rules on which annotations may override the defaults. Node
 * lists are checked here for form only; the hook checks them against the
 * machine. */
#ifndef NH_REQUEST_H
#define NH_REQUEST_H

#include <stdbool.h>

#include "common/error.h"
#include "common/nodeset.h"
#include "oci/config.h"
#include "oci/state.h"

#define NH_ANNOTATION_NODES NH_ANNOTATION_PREFIX "nodes"
#define NH_ANNOTATION_VALUE_MAX 4096

enum nh_nodes_kind { NH_NODES_LIST, NH_NODES_ALL, NH_NODES_AUTO };

typedef struct nh_request {
	enum nh_nodes_kind nodes_kind;
	nh_nodeset_t nodes; /* for NH_NODES_LIST */
	bool has_from;
	nh_nodeset_t from;
	enum nh_mems_mode mems;
	enum nh_on_error on_error;
	enum nh_engine engine;
	uint64_t rate; /* bytes per second, 0: no cap */
} nh_request_t;

/* Only the on-error choice, so that a later failure can be judged even when
 * other annotations are invalid: the annotation if valid and allowed, else
 * the config default. */
enum nh_on_error nh_request_on_error(const nh_state_t *st, const nh_config_t *cfg);

/* Errors are NH_EXIT_INVALID, naming the annotation, its value and why. */
int nh_request_parse(const nh_state_t *st, const nh_config_t *cfg, nh_request_t *req,
		     nh_error_t *err);

#endif
