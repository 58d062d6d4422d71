/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the files the operator commands read to find containers: a runtime's
 * state file with its bundle (runc's "bundle=" label, crun's "bundle"), a
 * bundle's config.json (Kubernetes names, the nodes annotation),
 * containers/storage's containers.json (names) and storage.conf
 * (graphroot), and a cgroup's memory.numa_stat. Byte 0 picks the reader;
 * the rest is the file. */
#include "config.h"

#include "fuzz/fuzz_common.h"
#include "numa/placement.h"
#include "oci/runtime_files.h"

#define FILE_MAX (4 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p, size_t input_len)
{
	if (!p)
		return;
	FUZZ_ASSERT(p[0] == '/');
	FUZZ_ASSERT(strlen(p) <= input_len);
}

static void state_file(const char *text, size_t len)
{
	nh_error_t err = { 0 }, err2 = { 0 };
	pid_t pid = -1, pid2 = -1;
	char *bundle = (char *)"untouched";
	int r = nh_runtime_state_read(text, len, "state.json", &pid, &bundle, &err);
	int r2 = nh_runtime_state_pid(text, len, "state.json", &pid2, &err2);

	fuzz_check_result(r, &err);
	/* The bundle never changes whether or which pid is found. */
	FUZZ_ASSERT((r == 0) == (r2 == 0));
	if (r == 0) {
		FUZZ_ASSERT(pid > 0 && pid == pid2);
		check_path(bundle, len);
		free(bundle);
	} else {
		FUZZ_ASSERT(strcmp(bundle, "untouched") == 0 && pid == -1);
	}
}

static void bundle_config(const char *text, size_t len)
{
	nh_error_t err = { 0 };
	nh_bundle_info_t info;
	int r = nh_bundle_info_parse(text, len, "config.json", &info, &err);

	fuzz_check_result(r, &err);
	if (r == 0) {
		const char *s[] = { info.pod_namespace, info.pod_name, info.container_name, info.nodes };

		for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
			FUZZ_ASSERT(!s[i] || strlen(s[i]) <= len);
	}
	nh_bundle_info_free(&info);
	FUZZ_ASSERT(!info.pod_name && !info.nodes && !info.sandbox);
}

struct names {
	size_t n;
	size_t len;
};

static int count_name(const char *id, const char *name, void *data)
{
	struct names *n = data;

	FUZZ_ASSERT(id && name);
	FUZZ_ASSERT(strlen(id) + strlen(name) <= n->len);
	n->n++;
	return 0;
}

static void storage_names(const char *text, size_t len)
{
	nh_error_t err = { 0 };
	struct names n = { 0, len };
	int r = nh_storage_names_parse(text, len, "containers.json", count_name, &n, &err);

	fuzz_check_result(r, &err);
	if (r < 0)
		FUZZ_ASSERT(n.n == 0);
}

static void storage_conf(const char *text, size_t len)
{
	char *g = nh_storage_conf_graphroot(text, len);

	check_path(g, len);
	FUZZ_ASSERT(!g || (!strchr(g, '"') && !strchr(g, '\\')));
	free(g);
}

static void numa_stat(const char *text, size_t len)
{
	static nh_numa_stat_t st;
	nh_error_t err = { 0 };
	int r = nh_numa_stat_parse(text, len, &st, &err);

	fuzz_check_result(r, &err);
	if (r < 0)
		for (size_t n = 0; n < NH_MAX_NODES; n++)
			FUZZ_ASSERT(st.anon[n] == 0 && st.file[n] == 0 && st.shmem[n] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const readers[])(const char *, size_t) = { state_file, bundle_config,
								 storage_names, storage_conf,
								 numa_stat };
	char *text;

	if (size < 1 || size > FILE_MAX)
		return -1;
	text = fuzz_text(data + 1, size - 1);
	readers[data[0] % (sizeof(readers) / sizeof(readers[0]))](text, size - 1);
	free(text);
	return 0;
}
