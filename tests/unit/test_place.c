/* SPDX-License-Identifier: Apache-2.0 */
/* place/place: what the refusal without a cpuset controller tells the user,
 * rootless (below user@UID.service) and not. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "place/place.h"
#include "tests/unit/unit.h"

#define ROOTLESS "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-1a2b.scope/container"
#define ROOTFUL "/machine.slice/libpod-1a2b.scope/container"

struct case_ {
	const char *path;
	enum nh_nodes_kind kind;
	enum nh_mems_mode mems;
	const char *needles[4];
	const char *absent;
};

/* clang-format off */
static const struct case_ cases[] = {
	{ ROOTLESS, NH_NODES_LIST, NH_MEMS_SET,
	  { "mems=set needs the cpuset controller", "cpuset is not delegated to user@1000.service",
	    "Delegate=cpu cpuset io memory pids", "oci-numa-hook/mems=keep" }, NULL },
	{ ROOTLESS, NH_NODES_AUTO, NH_MEMS_SET,
	  { "nodes=auto needs the cpuset controller", "cpuset is not delegated to user@1000.service",
	    "/etc/systemd/system/user@.service.d/delegate.conf", NULL }, "mems=keep" },
	{ ROOTFUL, NH_NODES_LIST, NH_MEMS_SET,
	  { "mems=set needs the cpuset controller", "cgroup " ROOTFUL " (use mems=keep to only move pages)",
	    NULL, NULL }, "rootless" },
	{ ROOTFUL, NH_NODES_AUTO, NH_MEMS_SET,
	  { "nodes=auto needs the cpuset controller", NULL, NULL, NULL }, "rootless" },
};
/* clang-format on */

static void refusal(void **state)
{
	const struct case_ *c = *state;
	nh_config_t cfg;
	nh_error_t err = { 0 };
	nh_place_t p;

	nh_config_defaults(&cfg);
	nh_place_init(&p, &cfg);
	p.cg.path = strdup(c->path);
	assert_non_null(p.cg.path);
	p.cg.has_cpuset = false;
	p.req.nodes_kind = c->kind;
	p.req.mems = c->mems;
	/* Node 0: within the test's own cpuset on any machine. */
	nh_nodeset_add(&p.req.nodes, 0);
	nh_nodeset_add(&p.target, 0);
	nh_nodeset_add(&p.topo.has_memory, 0);
	nh_nodeset_add(&p.topo.online, 0);
	assert_int_equal(nh_place_resolve(&p, &err), -1);
	assert_int_equal(err.status, NH_EXIT_SYSTEM);
	for (size_t i = 0; i < NH_ARRAY_SIZE(c->needles) && c->needles[i]; i++)
		UT_EXPECT_CONTAINS(err.msg, c->needles[i]);
	if (c->absent && strstr(err.msg, c->absent)) {
		ut_diag("message has \"%s\": %s", c->absent, err.msg);
		fail();
	}
	assert_null(strchr(err.msg, '\n'));
	nh_place_close(&p);
	nh_config_free(&cfg);
}

int main(void)
{
	ut_list_t l = { 0 };

	for (size_t i = 0; i < NH_ARRAY_SIZE(cases); i++)
		ut_add(&l, refusal, &cases[i], "%s, %s: %s", cases[i].kind == NH_NODES_AUTO ? "auto" : "list",
		       cases[i].path == (const char *)ROOTLESS ? "rootless" : "rootful",
		       cases[i].needles[0]);
	return ut_run("place", &l);
}
