/* SPDX-License-Identifier: Apache-2.0 */
/* The operator commands: status, migrate, validate, cdi-spec,
 * containerd-base-spec. Each returns an exit
 * status (enum nh_exit). */
#ifndef NH_CLI_H
#define NH_CLI_H

int nh_cmd_status(int argc, char **argv);
int nh_cmd_migrate(int argc, char **argv);
int nh_cmd_validate(int argc, char **argv);
int nh_cmd_cdi_spec(int argc, char **argv);
int nh_cmd_containerd_base_spec(int argc, char **argv);

#endif
