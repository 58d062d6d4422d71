/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the /proc/<pid>/cgroup parser (v1, v2 and hybrid layouts). */
#include "config.h"

#include "cgroup/proc_cgroup.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p)
{
	FUZZ_ASSERT(p[0] == '/');
	FUZZ_ASSERT(strstr(p, "//") == NULL);
	FUZZ_ASSERT(strstr(p, "/../") == NULL && strstr(p, "/./") == NULL);
	FUZZ_ASSERT(strchr(p, '\n') == NULL);
	FUZZ_ASSERT(strcmp(p, "/") == 0 || p[strlen(p) - 1] != '/');
	FUZZ_ASSERT(nh_cgroup_path_within(p, "/"));
	FUZZ_ASSERT(nh_cgroup_path_within(p, p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nh_proc_cgroup_t pc;
	nh_error_t err = { 0 };
	char *text = fuzz_text(data, size);
	int r = nh_proc_cgroup_parse(text, size, &pc, &err);

	fuzz_check_result(r, &err);
	if (r == 0) {
		bool v1;
		const char *p = nh_proc_cgroup_cpuset_path(&pc, &v1);

		FUZZ_ASSERT(p != NULL);
		FUZZ_ASSERT(v1 == (pc.cpuset_v1 != NULL));
		if (pc.cpuset_v1)
			check_path(pc.cpuset_v1);
		if (pc.unified)
			check_path(pc.unified);
		/* A parent and a sibling sharing a prefix ("/a" vs "/ab"). */
		if (pc.cpuset_v1 && pc.unified) {
			size_t n = strlen(pc.unified);

			if (nh_cgroup_path_within(pc.cpuset_v1, pc.unified) && n > 1)
				FUZZ_ASSERT(pc.cpuset_v1[n] == '\0' || pc.cpuset_v1[n] == '/');
		}
		nh_proc_cgroup_free(&pc);
	} else {
		FUZZ_ASSERT(pc.cpuset_v1 == NULL && pc.unified == NULL);
	}
	free(text);
	return 0;
}
