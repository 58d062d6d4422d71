/* SPDX-License-Identifier: Apache-2.0 */
/* Files of container runtimes that the operator commands read: a runtime's
 * own state file (to find a container's process) and hooks.d JSON (to
 * validate an installation). */
#ifndef NH_RUNTIME_FILES_H
#define NH_RUNTIME_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* The init pid from runc's state.json ("init_process_pid") or crun's status
 * file ("pid"). text is NUL-terminated at text[len]. */
int nh_runtime_state_pid(const char *text, size_t len, const char *name, pid_t *pid,
			 nh_error_t *err);
/* The same, and the bundle directory (malloc'd, NULL when the file names
 * none): runc's "bundle=DIR" label in config.labels, crun's "bundle". Only
 * an absolute path without a NUL byte is taken. *bundle is set on success
 * only. */
int nh_runtime_state_read(const char *text, size_t len, const char *name, pid_t *pid,
			  char **bundle, nh_error_t *err);

/* What the operator commands want from a bundle's config.json: the
 * Kubernetes names that CRI runtimes write into its annotations (containerd:
 * io.kubernetes.cri.*, CRI-O: io.kubernetes.pod.*, io.kubernetes.container.name
 * and io.kubernetes.cri-o.ContainerType) and the oci-numa-hook/nodes
 * annotation. Every string is malloc'd or NULL; values are kept as written
 * (quote them for output). */
typedef struct nh_bundle_info {
	char *pod_namespace;
	char *pod_name;
	char *container_name;
	bool sandbox; /* the pod's sandbox (pause) container */
	char *nodes;  /* oci-numa-hook/nodes */
} nh_bundle_info_t;

int nh_bundle_info_parse(const char *text, size_t len, const char *name, nh_bundle_info_t *info,
			 nh_error_t *err);
void nh_bundle_info_free(nh_bundle_info_t *info);

/* containers/storage's containers.json (Podman, CRI-O): fn(id, name, data)
 * for every name of every container; a non-zero return stops the walk and is
 * returned. Entries that are not objects with a string "id" and an array
 * "names" are skipped. */
typedef int (*nh_storage_name_fn)(const char *id, const char *name, void *data);
int nh_storage_names_parse(const char *text, size_t len, const char *name, nh_storage_name_fn fn,
			   void *data, nh_error_t *err);

/* The graphroot of a containers-storage.conf(5) file: the first
 * `graphroot = "PATH"` of its [storage] table, PATH absolute, without
 * escapes. Returns a malloc'd string or NULL. */
char *nh_storage_conf_graphroot(const char *text, size_t len);

/* Check a hooks.d 1.0.0 file meant for this hook: version, hook.path (must
 * exist and be executable), args ("oci-numa-hook hook STAGE"), stages (known,
 * and the one in args), when.annotations (anchored regexes that match
 * oci-numa-hook/nodes), timeout. Returns 0 and the stage in *stage (static
 * string), or -1 with the first problem. */
int nh_hooks_json_check(const char *text, size_t len, const char *name, const char **stage,
			nh_error_t *err);

#endif
