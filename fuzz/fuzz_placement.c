/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the /proc/<pid>/numa_maps parser. */
#include "config.h"

#include "fuzz/fuzz_common.h"
#include "numa/placement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static nh_placement_t p;
	nh_nodeset_t all;
	nh_error_t err = { 0 };
	char *text = fuzz_text(data, size);
	int r;

	memset(&p, 0, sizeof(p));
	r = nh_placement_parse(text, size, &p, &err);
	fuzz_check_result(r, &err);
	nh_nodeset_clear(&all);
	for (unsigned n = 0; n < NH_MAX_NODES; n++)
		nh_nodeset_add(&all, n);
	(void)nh_placement_sum(&p, &all);
	free(text);
	return 0;
}
