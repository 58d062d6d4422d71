/* SPDX-License-Identifier: Apache-2.0 */
/* A base OCI runtime spec for a runtime handler of containerd's CRI
 * (base_runtime_spec): containerd's default spec with the hook added.
 *
 * containerd's CRI (1.6, 1.7, 2.x) builds a container's spec from the
 * default of oci.GenerateSpec and then removes the default's rlimits,
 * AppArmor profile and seccomp profile (customopts.
 * WithoutDefaultSecuritySettings), but only when the handler has no base
 * spec: a base spec is taken as it is. `ctr oci spec` prints that very
 * default, RLIMIT_NOFILE 1024:1024 included, so a base spec made from it
 * must drop what the CRI would have dropped, or every container of the
 * handler is capped at 1024 open files. */
#ifndef NH_BASE_SPEC_H
#define NH_BASE_SPEC_H

#include <stddef.h>

#include "common/error.h"

/* The most spec text read (ctr oci spec prints about 3 KiB). */
#define NH_BASE_SPEC_MAX (4 * 1024 * 1024)

/* Rewrite the spec text (NUL-terminated at text[len]; name is used in
 * messages) as a base spec: process.rlimits, process.apparmorProfile and
 * linux.seccomp removed, and at hooks.createRuntime and hooks.poststart the
 * hook (hook_path, args "oci-numa-hook hook STAGE", timeout 60, as in the
 * package's hooks.d files) appended after any other hook of the stage. An
 * entry that is already the hook's (same path, or args beginning
 * "oci-numa-hook hook") is replaced, so that the output rewritten again is
 * the same. Everything else is kept as written: key order, numbers as their
 * text, other hooks and stages. The input must be a JSON object with a
 * string "ociVersion" and no duplicate key in any object.
 * On success *out is a malloc'd, NUL-terminated text of *out_len bytes
 * (4-space indentation, a final newline). Errors: NH_EXIT_INVALID for the
 * input, NH_EXIT_SYSTEM for memory. */
int nh_base_spec_make(const char *text, size_t len, const char *name, const char *hook_path,
		      char **out, size_t *out_len, nh_error_t *err);

#endif
