/* SPDX-License-Identifier: Apache-2.0 */
/* The containers running on this node, as the operator commands find them:
 * in the state directories of runc, crun and containerd's runc shims (every
 * namespace: k8s.io, default, moby, ...), which Podman, CRI-O, containerd
 * and Docker use; with Podman's and CRI-O's names from containers/storage
 * and the Kubernetes names that CRI runtimes write into each container's
 * config.json. */
#ifndef NH_CONTAINERS_H
#define NH_CONTAINERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/runtime_files.h"

typedef struct nh_container {
	char *id;
	char *root; /* the state directory it was found in */
	char *name; /* containers/storage's name (Podman, CRI-O), or NULL */
	/* Filled by nh_container_load(). */
	bool loaded;
	pid_t pid;
	char *bundle; /* NULL when the state names none */
	nh_bundle_info_t info;
} nh_container_t;

typedef struct nh_containers {
	nh_container_t *v;
	size_t n;
	char *roots_searched; /* for messages: "/run/runc, /run/crun, ..." */
} nh_containers_t;

/* Every container in root, or in every default state directory when root is
 * NULL (those that do not exist are skipped). Reads directory names and
 * containers/storage's names, no state file. */
int nh_containers_list(const char *root, nh_containers_t *l, nh_error_t *err);
void nh_containers_free(nh_containers_t *l);

/* Read a container's state file (pid, bundle) and, where there is one, its
 * bundle's config.json (Kubernetes names, the nodes annotation). */
int nh_container_load(nh_container_t *c, nh_error_t *err);

/* The container named by ref: its full id, its containers/storage name, or a
 * unique id prefix, in that order. Loaded. Ambiguity and absence are
 * NH_EXIT_INVALID with the candidates. */
int nh_containers_find(nh_containers_t *l, const char *ref, nh_container_t **out,
		       nh_error_t *err);

/* The container of the Kubernetes pod "NAMESPACE/NAME" (not its sandbox),
 * with container name container when not NULL. Loads every container. */
int nh_containers_find_pod(nh_containers_t *l, const char *pod, const char *container,
			   nh_container_t **out, nh_error_t *err);

/* "ns/pod/container", the storage name, or NULL: how the container is known. */
const char *nh_container_label(const nh_container_t *c, char *buf, size_t size);

#endif
