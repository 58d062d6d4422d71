/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the admin configuration parser. */
#include "config.h"

#include "fuzz/fuzz_common.h"
#include "oci/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nh_config_t cfg;
	nh_error_t err = { 0 };
	char *text;
	int r;

	/* nh_config_load refuses larger files before parsing. */
	if (size > NH_CONFIG_MAX)
		return -1;
	text = fuzz_text(data, size);
	nh_config_defaults(&cfg);
	r = nh_config_parse(text, size, "/etc/oci-numa-hook.conf", &cfg, &err);
	fuzz_check_result(r, &err);
	if (r == 0) {
		FUZZ_ASSERT(cfg.max_rounds >= 1 && cfg.max_rounds <= 100);
		FUZZ_ASSERT(cfg.max_retries >= 1 && cfg.max_retries <= 100);
		FUZZ_ASSERT((cfg.overrides & ~(unsigned)NH_OVERRIDE_ALL) == 0);
		FUZZ_ASSERT(cfg.log_level <= NH_LOG_DEBUG);
		FUZZ_ASSERT(!cfg.log_file || cfg.log_file[0] == '/');
		FUZZ_ASSERT(cfg.allowed_all || !nh_nodeset_empty(&cfg.allowed_nodes));
	}
	nh_config_free(&cfg);
	free(text);
	return 0;
}
