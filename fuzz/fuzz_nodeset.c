/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the node-list parser, in both forms: what a user writes in an
 * annotation or the config ("u" + list; strict) and what the kernel writes
 * in cpuset.mems or sysfs ("k" + list for nodes, "c" + list for CPUs). */
#include "config.h"

#include "fuzz/fuzz_common.h"
#include "common/nodeset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_set(const nh_nodeset_t *s, bool may_be_empty)
{
	char buf[NH_NODESET_STR_MAX];
	nh_nodeset_t again;
	nh_error_t err = { 0 };
	unsigned count = nh_nodeset_count(s), seen = 0, span = nh_nodeset_span(s);
	int last = -1;

	FUZZ_ASSERT(may_be_empty || count > 0);
	for (int n = nh_nodeset_next(s, 0); n >= 0; n = nh_nodeset_next(s, (unsigned)n + 1)) {
		FUZZ_ASSERT(n > last && n < NH_MAX_NODES && nh_nodeset_has(s, (unsigned)n));
		last = n;
		seen++;
	}
	FUZZ_ASSERT(seen == count);
	FUZZ_ASSERT(span == (unsigned)(last + 1));
	/* The formatted list parses back to the same set. */
	nh_nodeset_format(s, buf, sizeof(buf));
	FUZZ_ASSERT(strstr(buf, "...") == NULL);
	if (count == 0) {
		FUZZ_ASSERT(buf[0] == '\0');
		return;
	}
	FUZZ_ASSERT(nh_nodeset_parse(buf, &again, "round trip", &err) == 0);
	FUZZ_ASSERT(nh_nodeset_equal(s, &again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nh_error_t err = { 0 };
	char *text;
	int r;

	if (size < 1)
		return -1;
	text = fuzz_text(data + 1, size - 1);
	if (data[0] == 'k') {
		nh_nodeset_t s;

		r = nh_nodeset_parse_kernel(text, size - 1, &s, "cpuset.mems", &err);
		fuzz_check_result(r, &err);
		if (r == 0)
			check_set(&s, true);
	} else if (data[0] == 'c') {
		nh_cpuset_t *c = malloc(sizeof(*c));

		FUZZ_ASSERT(c);
		r = nh_cpuset_parse_kernel(text, size - 1, c, "cpuset.cpus", &err);
		fuzz_check_result(r, &err);
		free(c);
	} else {
		nh_nodeset_t s;

		r = nh_nodeset_parse(text, &s, "annotation oci-numa-hook/nodes", &err);
		fuzz_check_result(r, &err);
		if (r == 0)
			check_set(&s, false);
	}
	free(text);
	return 0;
}
