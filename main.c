/* SPDX-License-Identifier: Apache-2.0 */
/* Entry point: argument handling and dispatch only. */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "cli/cli.h"
#include "hook/hook.h"
#include "plugin/plugin.h"

/* Each command's usage, as `oci-numa-hook COMMAND --help` prints it. */
static const struct {
	const char *name;
	const char *text;
} commands[] = {
	{ "hook",
	  "Usage: oci-numa-hook hook STAGE [--config FILE] [--nodes NODES [--from NODES]\n"
	  "                          [--mems M] [--on-error E] [--engine E] [--rate R]]\n"
	  "\n"
	  "Run as an OCI hook: the runtime writes the container state on stdin. STAGE is\n"
	  "prestart, createRuntime or poststart. Without the annotation\n"
	  "oci-numa-hook/nodes (or --nodes) it exits 0 at once. --nodes and the other\n"
	  "request options stand for the annotations of the same name (CDI devices).\n" },
	{ "status",
	  "Usage: oci-numa-hook status TARGET [--json] [--config FILE]\n"
	  "       oci-numa-hook status --all [--root DIR] [--json | --prometheus]\n"
	  "\n"
	  "Per-node resident memory of every process of a container (like numastat -p),\n"
	  "its cgroup and cpuset.mems. Read-only: any process or cgroup may be named;\n"
	  "a process outside a container cgroup is shown alone.\n"
	  "--all: one row per container on the node (runc, crun, containerd, Docker,\n"
	  "Podman, CRI-O), its target, cpuset.mems, resident MiB per node and the share\n"
	  "on target, off-target containers first; --json, or --prometheus for\n"
	  "node_exporter's textfile collector.\n" },
	{ "migrate",
	  "Usage: oci-numa-hook migrate TARGET --to NODES [--from NODES] [--mems set|keep]\n"
	  "                             [--engine migrate_pages|move_pages] [--rate BYTES/S]\n"
	  "                             [--dry-run] [--config FILE]\n"
	  "\n"
	  "Move a running container's memory now, with the hook's checks and the admin\n"
	  "configuration; --dry-run shows what would move and changes nothing.\n" },
	{ "validate",
	  "Usage: oci-numa-hook validate [--config FILE] [--hooks-json FILE]...\n"
	  "\n"
	  "Check the admin configuration and the installed (or given) hooks.d files.\n" },
	{ "nri",
	  "Usage: oci-numa-hook nri [--socket PATH] [--name NAME] [--idx NN] [--config FILE]\n"
	  "                         [--state-dir DIR]\n"
	  "\n"
	  "Run as an NRI plugin of containerd (>= 1.7) or CRI-O (>= 1.26), in the\n"
	  "foreground, until SIGTERM. Containers annotated oci-numa-hook/nodes are\n"
	  "created with cpuset.mems already the target; a cpuset.mems update that would\n"
	  "narrow a running container is widened first, its pages moved, then narrowed\n"
	  "(nri-premigrate in the configuration: annotated, all or none). Defaults:\n"
	  "--socket /var/run/nri/nri.sock, --name oci-numa-hook, --idx 50, --state-dir\n"
	  "/run/oci-numa-hook/nri. Started by the runtime from its plugin directory, it\n"
	  "uses the socket it inherits (NRI_PLUGIN_SOCKET).\n" },
	{ "cdi-spec",
	  "Usage: oci-numa-hook cdi-spec [--output FILE] [--hook-path PATH]\n"
	  "\n"
	  "Write a CDI spec with one device per node set, each adding the hook with\n"
	  "--nodes (for engines without hooks.d).\n" },
	{ "containerd-base-spec",
	  "Usage: oci-numa-hook containerd-base-spec [--from FILE|-] [--output FILE]\n"
	  "                                          [--hook-path PATH]\n"
	  "\n"
	  "Write a base OCI spec for a runtime handler of containerd's CRI\n"
	  "(base_runtime_spec), which has no hooks.d: containerd's default spec (the\n"
	  "output of `ctr oci spec`, or FILE; - is standard input) without what the CRI\n"
	  "removes from its default when a handler has no base spec (process.rlimits,\n"
	  "process.apparmorProfile, linux.seccomp), with the hook added at\n"
	  "createRuntime and poststart. Everything else is kept as it is. --output\n"
	  "(-o) writes FILE whole or not at all.\n" },
};

static const char targets_help[] =
	"  TARGET          a container id, unique id prefix or Podman/CRI-O name (found\n"
	"                  in the state of runc, crun, containerd and Docker: /run/runc,\n"
	"                  /run/crun, /run/containerd/runc/*, /run/docker/runtime-runc/*;\n"
	"                  --root DIR for another), --pod NAMESPACE/NAME [--container\n"
	"                  NAME] (Kubernetes, from the CRI annotations), --pid PID, or\n"
	"                  --cgroup PATH (below the cpuset or cgroup v2 mount)\n";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: oci-numa-hook COMMAND [OPTION]...\n"
		"       oci-numa-hook [COMMAND] --help\n"
		"       oci-numa-hook --version\n"
		"\n"
		"OCI runtime hook that places a container's memory on the NUMA nodes named by\n"
		"its annotation oci-numa-hook/nodes and moves the pages already elsewhere.\n"
		"\n"
		"  hook STAGE      run as a hook; the runtime writes the container state on\n"
		"                  stdin. STAGE: prestart, createRuntime or poststart.\n"
		"  status          per-node resident memory of a container; --all: every\n"
		"                  container on the node\n"
		"  migrate         move a running container's memory now (same rules as the\n"
		"                  hook; --dry-run shows what would move)\n"
		"  validate        check the admin configuration and hooks.d files\n"
		"  cdi-spec        write a CDI spec with one device per node set, each adding\n"
		"                  the hook with --nodes (for engines without hooks.d)\n"
		"  containerd-base-spec\n"
		"                  write containerd's default spec with the hook added, as\n"
		"                  a runtime handler's base_runtime_spec (containerd's CRI)\n"
		"  nri             run as an NRI plugin (containerd, CRI-O): place containers\n"
		"                  at creation, move memory before a cpuset.mems update\n"
		"\n"
		"%s"
		"  NODES           a node list like 1, 0-1, 0,2-3, or all, or auto\n"
		"  --config FILE   admin configuration (default %s)\n"
		"\n"
		"Exit status: 0 done or nothing to do, 1 invalid or not allowed request,\n"
		"2 the system refused or the migration is incomplete.\n",
		targets_help, NH_CONFIG_FILE);
}

/* `oci-numa-hook COMMAND ... --help`: that command's usage. */
static bool command_help(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		for (int a = 2; a < argc; a++) {
			if (strcmp(argv[a], "--help") != 0 && strcmp(argv[a], "-h") != 0)
				continue;
			fputs(commands[i].text, stdout);
			if (strcmp(argv[1], "status") == 0 || strcmp(argv[1], "migrate") == 0)
				printf("\n%s", targets_help);
			printf("\nSee oci-numa-hook(1) for the details.\n");
			return true;
		}
	}
	return false;
}

__attribute__((format(printf, 1, 2))) static int fail_usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nh_log_set_syslog(false);
	nh_log(NH_LOG_ERROR, "%s (see oci-numa-hook --help)", msg);
	return NH_EXIT_INVALID;
}

static int cmd_hook(int argc, char **argv)
{
	nh_hook_opts_t opts = { .config_path = NH_CONFIG_FILE,
				.sysfs_root = "/sys",
				.proc_root = "/proc" };

	if (argc < 2)
		return fail_usage("hook: missing STAGE (prestart, createRuntime or poststart)");
	opts.stage = argv[1];
	if (!nh_hook_stage_known(opts.stage))
		return fail_usage("hook: unknown stage \"%s\" (expected prestart, createRuntime or "
				  "poststart)",
				  opts.stage);
	for (int i = 2; i < argc; i++) {
		const char *name = argv[i] + 2;

		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			opts.config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			opts.config_path = argv[i] + 9;
		} else if (strncmp(argv[i], "--", 2) == 0 && nh_hook_request_option(name) &&
			   i + 1 < argc) {
			for (unsigned k = 0; k < opts.n_args; k++)
				if (strcmp(opts.arg_keys[k], name) == 0)
					return fail_usage("hook: --%s given twice", name);
			opts.arg_keys[opts.n_args] = name;
			opts.arg_values[opts.n_args++] = argv[++i];
		} else {
			return fail_usage("hook: unexpected argument \"%s\"", argv[i]);
		}
	}
	return nh_hook_run(&opts, STDIN_FILENO);
}

int main(int argc, char **argv)
{
	if (nh_plugin_launched(argc)) {
		char *nri_argv[] = { (char *)"nri", NULL };

		return nh_plugin_main(1, nri_argv);
	}
	if (argc < 2)
		return fail_usage("missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("oci-numa-hook %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (command_help(argc, argv))
		return fflush(stdout) == 0 ? 0 : NH_EXIT_SYSTEM;
	if (strcmp(argv[1], "hook") == 0)
		return cmd_hook(argc - 1, argv + 1);
	/* Only commands that change something leave a record in syslog. */
	if (strcmp(argv[1], "status") == 0) {
		nh_log_set_syslog(false);
		return nh_cmd_status(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "migrate") == 0)
		return nh_cmd_migrate(argc - 1, argv + 1);
	if (strcmp(argv[1], "validate") == 0)
		return nh_cmd_validate(argc - 1, argv + 1);
	if (strcmp(argv[1], "nri") == 0)
		return nh_plugin_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "cdi-spec") == 0) {
		nh_log_set_syslog(false);
		return nh_cmd_cdi_spec(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "containerd-base-spec") == 0) {
		nh_log_set_syslog(false);
		return nh_cmd_containerd_base_spec(argc - 1, argv + 1);
	}
	return fail_usage("unknown command \"%s\"", argv[1]);
}
