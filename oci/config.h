/* SPDX-License-Identifier: Apache-2.0 */
/* The admin configuration, oci-numa-hook.conf: "key = value" lines, "#"
 * comments. The admin always wins over annotations. */
#ifndef NH_CONFIG_H
#define NH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "common/nodeset.h"

#define NH_CONFIG_MAX (64 * 1024)

enum nh_mems_mode { NH_MEMS_SET, NH_MEMS_KEEP };
enum nh_on_error { NH_ON_ERROR_FAIL, NH_ON_ERROR_WARN };
enum nh_engine { NH_ENGINE_MIGRATE_PAGES, NH_ENGINE_MOVE_PAGES };
/* Which containers the NRI plugin moves before a cpuset.mems update narrows
 * them: those with the annotation, all, none. */
enum nh_premigrate { NH_PREMIGRATE_ANNOTATED, NH_PREMIGRATE_ALL, NH_PREMIGRATE_NONE };
#define NH_ENGINES_ALL ((1u << NH_ENGINE_MIGRATE_PAGES) | (1u << NH_ENGINE_MOVE_PAGES))

/* Annotations an admin may allow to override the defaults. */
enum nh_override {
	NH_OVERRIDE_FROM = 1 << 0,
	NH_OVERRIDE_MEMS = 1 << 1,
	NH_OVERRIDE_ON_ERROR = 1 << 2,
	NH_OVERRIDE_ENGINE = 1 << 3,
	NH_OVERRIDE_RATE = 1 << 4,
	NH_OVERRIDE_ALL = (1 << 5) - 1,
};

typedef struct nh_config {
	bool allowed_all;
	nh_nodeset_t allowed_nodes; /* when !allowed_all */
	unsigned overrides;         /* enum nh_override bits */
	enum nh_on_error default_on_error;
	enum nh_mems_mode default_mems;
	enum nh_engine default_engine;
	unsigned allowed_engines; /* bit (1 << engine) per engine annotations may choose */
	uint64_t default_rate;    /* move_pages bytes per second; 0: no cap */
	uint64_t max_rate;        /* the most an annotation may ask; 0: no limit */
	unsigned workers;         /* 0: one per CPU the hook may use, up to 8 */
	unsigned batch_ms;        /* move_pages: aim for calls this long */
	uint64_t time_budget_ms;  /* stop migrating after this long; 0: no limit */
	bool verify_cgroup_id;    /* the container's cgroup path must name its id */
	enum nh_premigrate nri_premigrate;
	unsigned max_rounds;  /* process collection rounds */
	unsigned max_retries; /* migrate_pages calls for pages not moved */
	enum nh_log_level log_level;
	char *log_file;
} nh_config_t;

void nh_config_defaults(nh_config_t *cfg);
/* text NUL-terminated at text[len]; name is used in messages. Errors are
 * NH_EXIT_INVALID and name the file and line. */
int nh_config_parse(const char *text, size_t len, const char *name, nh_config_t *cfg,
		    nh_error_t *err);
/* A missing file leaves the defaults. */
int nh_config_load(const char *path, nh_config_t *cfg, nh_error_t *err);
void nh_config_free(nh_config_t *cfg);

bool nh_mems_mode_parse(const char *s, enum nh_mems_mode *out);
bool nh_on_error_parse(const char *s, enum nh_on_error *out);
bool nh_engine_parse(const char *s, enum nh_engine *out);
const char *nh_engine_name(enum nh_engine e);
/* A byte rate: digits with an optional K, M, G or T (powers of 1024), more
 * than 0 and at most 1T. */
bool nh_rate_parse(const char *s, uint64_t *bytes_per_s);
const char *nh_mems_mode_name(enum nh_mems_mode m);

#endif
