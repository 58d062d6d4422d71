/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the reader of a runtime's own state file: runc's state.json
 * ("init_process_pid") or crun's status file ("pid"), read by the operator
 * commands to find a container's process. */
#include "config.h"

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_json.h"
#include "oci/runtime_files.h"
#include "oci/state.h"

/* hook/target.c reads at most this much of the file. */
#define STATE_FILE_MAX (4 * 1024 * 1024)
#define NAME "/run/runc/fuzz/state.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The contract told from yajl's own reading of the text: the pid a runtime
 * wrote, or 0 when there is none to use. Only called on text the JSON
 * pre-check let through (yajl frees its tree recursively). */
static long long expected_pid(const char *text)
{
	const char *init_pid[] = { "init_process_pid", NULL };
	const char *pid[] = { "pid", NULL };
	char errbuf[128];
	yajl_val root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	yajl_val v;
	long long n = 0;

	if (!root)
		return 0;
	if (YAJL_IS_OBJECT(root)) {
		FUZZ_ASSERT(!fuzz_json_deeper_than(root, NH_JSON_DEPTH_MAX));
		/* runc's key wins; crun's only when runc's is absent. */
		v = yajl_tree_get(root, init_pid, yajl_t_any);
		if (!v)
			v = yajl_tree_get(root, pid, yajl_t_any);
		if (v && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0 &&
		    YAJL_GET_INTEGER(v) <= INT32_MAX)
			n = YAJL_GET_INTEGER(v);
	}
	yajl_tree_free(root);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nh_error_t err = { 0 }, pre = { 0 };
	pid_t pid = -12345;
	char *text;
	int r;

	if (size > STATE_FILE_MAX)
		return -1;
	text = fuzz_text(data, size);
	r = nh_runtime_state_pid(text, size, NAME, &pid, &err);
	fuzz_check_result(r, &err);
	if (nh_json_precheck(text, size, NAME, &pre) < 0) {
		/* Refused before yajl sees it, with the pre-check's message. */
		FUZZ_ASSERT(r < 0 && err.status == NH_EXIT_INVALID);
		FUZZ_ASSERT(strcmp(err.msg, pre.msg) == 0);
	} else {
		long long want = expected_pid(text);

		FUZZ_ASSERT((r == 0) == (want > 0));
		if (r == 0)
			FUZZ_ASSERT(pid == (pid_t)want);
	}
	if (r == 0) {
		FUZZ_ASSERT(pid > 0);
	} else {
		/* Nothing written on failure. */
		FUZZ_ASSERT(pid == -12345);
	}
	free(text);
	return 0;
}
