/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup levels that systemd owns (cgroup v2, systemd as the service
 * manager): a unit's scope or service whose cpuset.mems systemd writes from
 * its AllowedMemoryNodes= property. A value written past systemd into such a
 * cgroup is undone when systemd applies the unit's properties again
 * (daemon-reload, another property change), so these levels are set through
 * systemd: `systemctl set-property --runtime UNIT AllowedMemoryNodes=...`. */
#ifndef NH_SYSTEMD_H
#define NH_SYSTEMD_H

#include <stddef.h>

#include "common/error.h"

/* Whether systemd runs as the service manager (sd_booted()'s test). */
int nh_systemd_running(void);

/* The unit that owns the cgroup at path (relative to the v2 mount, "/..."):
 * 1 with unit filled when systemd runs, the last component names a unit
 * (.scope, .service, .slice) and systemd reports that unit's ControlGroup
 * as path; 0 when not; -1 when systemctl cannot be asked. */
int nh_systemd_unit_of(const char *path, char *unit, size_t size, nh_error_t *err);

/* systemctl set-property --runtime UNIT AllowedMemoryNodes=MEMS. */
int nh_systemd_set_mems(const char *unit, const char *mems, nh_error_t *err);

#endif
