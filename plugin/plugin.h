/* SPDX-License-Identifier: Apache-2.0 */
/* The NRI plugin face (`oci-numa-hook nri`): a long-running plugin of the
 * runtime's Node Resource Interface. It parses what the runtime asks
 * (nri/), calls the placement layer (place/) and reports; nothing else.
 *
 *   CreateContainer  a container with oci-numa-hook/nodes in its pod's or
 *                    its own annotations is created with cpuset.mems
 *                    already the target: nothing to move.
 *   UpdateContainer  a cpuset.mems change that would narrow a running
 *                    container (or, for nodes=auto, a cpuset.cpus change)
 *                    is answered with old and new mems, which moves
 *                    nothing; once the runtime has applied it
 *                    (PostUpdateContainer) the pages move to the new nodes
 *                    with the move_pages engine on a thread of their own,
 *                    then cpuset.mems is narrowed: the kernel never
 *                    migrates under its cgroup locks.
 *   Synchronize      where each annotated container's memory is, and every
 *                    move a killed plugin left half done finished (a file
 *                    per move in the state directory says what it was). */
#ifndef NH_PLUGIN_H
#define NH_PLUGIN_H

#include <stdbool.h>

/* argv[0] is "nri". Returns the process's exit status. */
int nh_plugin_main(int argc, char **argv);

/* Whether the runtime started this process as a pre-installed plugin (from
 * its plugin directory, as IDX-NAME): no arguments, the connection
 * inherited (NRI_PLUGIN_SOCKET). */
bool nh_plugin_launched(int argc);

#endif
