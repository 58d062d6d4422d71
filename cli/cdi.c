/* SPDX-License-Identifier: Apache-2.0 */
/* oci-numa-hook cdi-spec: a Container Device Interface spec whose devices
 * each add the hook, with a node set on its command line, at createRuntime
 * and poststart. Requesting a device (podman --device KIND=NAME; through
 * containerd's CRI, a container's CDI devices or its cdi.k8s.io/
 * annotations, never the pod's) is then a per-container trigger for
 * engines that do not read hooks.d. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "cli/cli.h"
#include "place/survey.h"
#include "numa/topology.h"

#define CDI_KIND "oci-numa-hook.io/numa"
/* Ranges of consecutive nodes are offered up to this many nodes. */
#define RANGE_NODES_MAX 8

static void print_device(FILE *out, bool first, const char *name, const char *nodes,
			 const char *hook_path)
{
	static const char *const stages[] = { "createRuntime", "poststart" };

	fprintf(out, "%s\n    {\n      \"name\": ", first ? "" : ",");
	nh_json_string(out, name);
	fprintf(out, ",\n      \"containerEdits\": {\n        \"hooks\": [");
	for (size_t i = 0; i < NH_ARRAY_SIZE(stages); i++) {
		fprintf(out, "%s\n          {\"hookName\": \"%s\", \"path\": ", i ? "," : "",
			stages[i]);
		nh_json_string(out, hook_path);
		fprintf(out, ", \"args\": [\"oci-numa-hook\", \"hook\", \"%s\", \"--nodes\", ",
			stages[i]);
		nh_json_string(out, nodes);
		fprintf(out, "]}");
	}
	fprintf(out, "\n        ]\n      }\n    }");
}

static void print_spec(FILE *out, const nh_topology_t *topo, const char *hook_path)
{
	char name[32];
	int nodes[NH_MAX_NODES];
	unsigned n = 0;
	bool first = true;

	for (int v = nh_nodeset_next(&topo->has_memory, 0); v >= 0;
	     v = nh_nodeset_next(&topo->has_memory, (unsigned)v + 1))
		nodes[n++] = v;
	fprintf(out, "{\n  \"cdiVersion\": \"0.5.0\",\n  \"kind\": \"%s\",\n  \"devices\": [",
		CDI_KIND);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", nodes[i]);
		print_device(out, first, name, name, hook_path);
		first = false;
	}
	/* Runs of consecutive memory nodes, as "A-B". */
	for (unsigned i = 0; n <= RANGE_NODES_MAX && i < n; i++)
		for (unsigned j = i + 1; j < n && nodes[j] == nodes[j - 1] + 1; j++) {
			snprintf(name, sizeof(name), "%d-%d", nodes[i], nodes[j]);
			print_device(out, first, name, name, hook_path);
		}
	print_device(out, first, "all", "all", hook_path);
	print_device(out, false, "auto", "auto", hook_path);
	fprintf(out, "\n  ]\n}\n");
}

/* Write path whole or not at all. */
static int write_atomically(const char *path, const nh_topology_t *topo, const char *hook_path,
			    nh_error_t *err)
{
	char tmp[4096];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return nh_fail(err, NH_EXIT_INVALID, 0, "output path too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot create a file beside %s", path);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot write %s", tmp);
	}
	print_spec(f, topo, hook_path);
	if (fchmod(fd, 0644) < 0 || fflush(f) != 0 || fsync(fd) < 0) {
		int e = errno;

		fclose(f);
		unlink(tmp);
		return nh_fail(err, NH_EXIT_SYSTEM, e, "cannot write %s", tmp);
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return nh_fail(err, NH_EXIT_SYSTEM, e, "cannot write %s", path);
	}
	return 0;
}

int nh_cmd_cdi_spec(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "hook-path", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *hook_path = NH_HOOK_PATH;
	nh_topology_t topo;
	nh_error_t err = { 0 };
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c == 'o') {
			output = optarg;
		} else if (c == 'p') {
			hook_path = optarg;
		} else {
			nh_error("cdi-spec: unknown option %s (see oci-numa-hook --help)",
				 argv[optind - 1]);
			return NH_EXIT_INVALID;
		}
	}
	if (optind < argc) {
		nh_error("cdi-spec: unexpected argument %s (see oci-numa-hook --help)", argv[optind]);
		return NH_EXIT_INVALID;
	}
	if (hook_path[0] != '/') {
		nh_error("cdi-spec: --hook-path must be absolute");
		return NH_EXIT_INVALID;
	}
	if (nh_topology_read("/sys", &topo, &err) < 0 ||
	    (output && write_atomically(output, &topo, hook_path, &err) < 0)) {
		nh_error("%s", err.msg);
		return err.status;
	}
	if (!output)
		print_spec(stdout, &topo, hook_path);
	return fflush(stdout) == 0 ? NH_EXIT_OK : NH_EXIT_SYSTEM;
}
