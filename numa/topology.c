/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "numa/topology.h"

static int read_list(const char *path, unsigned long *bits, unsigned nbits, nh_error_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = nh_read_file_at(AT_FDCWD, path, 64 * 1024, &text, &len);

	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read %s", path);
	return nh_list_parse(text, len, bits, nbits, true, path, err);
}

int nh_topology_read(const char *sysfs_root, nh_topology_t *topo, nh_error_t *err)
{
	static const struct {
		const char *file;
		size_t offset;
	} files[] = {
		{ "online", offsetof(nh_topology_t, online) },
		{ "has_memory", offsetof(nh_topology_t, has_memory) },
		{ "has_cpu", offsetof(nh_topology_t, has_cpu) },
	};
	char path[4096];

	for (size_t i = 0; i < NH_ARRAY_SIZE(files); i++) {
		nh_nodeset_t *set = (nh_nodeset_t *)((char *)topo + files[i].offset);

		snprintf(path, sizeof(path), "%s/devices/system/node/%s", sysfs_root, files[i].file);
		if (read_list(path, set->bits, NH_MAX_NODES, err) < 0)
			return -1;
	}
	/* A memory node that is not online is not usable. */
	nh_nodeset_and(&topo->has_memory, &topo->has_memory, &topo->online);
	return 0;
}

int nh_topology_nodes_of_cpus(const char *sysfs_root, const nh_topology_t *topo,
			      const nh_cpuset_t *cpus, nh_nodeset_t *out, nh_error_t *err)
{
	char path[4096];

	nh_nodeset_clear(out);
	for (int n = nh_nodeset_next(&topo->has_cpu, 0); n >= 0;
	     n = nh_nodeset_next(&topo->has_cpu, (unsigned)n + 1)) {
		nh_cpuset_t node_cpus;

		snprintf(path, sizeof(path), "%s/devices/system/node/node%d/cpulist", sysfs_root, n);
		if (read_list(path, node_cpus.bits, NH_MAX_CPUS, err) < 0)
			return -1;
		if (nh_cpuset_intersects(&node_cpus, cpus))
			nh_nodeset_add(out, (unsigned)n);
	}
	return 0;
}

int nh_mems_allowed(const char *proc_root, int pid, nh_nodeset_t *out, nh_error_t *err)
{
	static const char key[] = "Mems_allowed_list:";
	_cleanup_free_ char *text = NULL;
	char path[4096];
	size_t len;
	char *line;
	int r;

	if (pid == 0)
		snprintf(path, sizeof(path), "%s/self/status", proc_root);
	else
		snprintf(path, sizeof(path), "%s/%d/status", proc_root, pid);
	r = nh_read_file_at(AT_FDCWD, path, 1024 * 1024, &text, &len);
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read %s", path);
	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, sizeof(key) - 1) == 0) {
			char *value = line + sizeof(key) - 1;
			char *eol = strchr(value, '\n');
			size_t vlen = eol ? (size_t)(eol - value) : strlen(value);

			while (vlen > 0 && (*value == '\t' || *value == ' ')) {
				value++;
				vlen--;
			}
			return nh_nodeset_parse_kernel(value, vlen, out, path, err);
		}
	}
	return nh_fail(err, NH_EXIT_SYSTEM, 0, "%s has no %s line", path, key);
}
