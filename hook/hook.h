/* SPDX-License-Identifier: Apache-2.0 */
/* One hook run: the OCI state on stdin in, the container's memory on the
 * requested nodes out. */
#ifndef NH_HOOK_H
#define NH_HOOK_H

typedef struct nh_hook_opts {
	const char *stage;       /* prestart, createRuntime or poststart */
	const char *config_path; /* admin config */
	const char *sysfs_root;  /* "/sys" */
	const char *proc_root;   /* "/proc" */
	/* The request given on the command line (a CDI device's hook), in the
	 * annotations' vocabulary: keys without the prefix, e.g. "nodes". */
	const char *arg_keys[8];
	const char *arg_values[8];
	unsigned n_args;
} nh_hook_opts_t;

/* The request options "hook" accepts, e.g. "nodes" for --nodes. */
int nh_hook_request_option(const char *name);

/* Returns the exit status (enum nh_exit). */
int nh_hook_run(const nh_hook_opts_t *opts, int state_fd);

/* Whether stage is one this hook runs at. */
int nh_hook_stage_known(const char *stage);

#endif
