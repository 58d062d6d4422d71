/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup/proc_cgroup: /proc/<pid>/cgroup on v1, v2 and hybrid hosts. */
#include "config.h"

#include <string.h>

#include "cgroup/cgroup.h"
#include "cgroup/proc_cgroup.h"
#include "common/util.h"
#include "tests/unit/unit.h"

struct pc_case {
	const char *name;
	const char *text;
	size_t len;	 /* 0: strlen(text) */
	const char *v1;	 /* expected cpuset_v1, or NULL */
	const char *v2;	 /* expected unified, or NULL */
	const char *why; /* part of the error message; NULL: accepted */
};

/* clang-format off */
#define OK(n, t, v1_, v2_) { .name = n, .text = t, .v1 = v1_, .v2 = v2_ }
#define BAD(n, t, w) { .name = n, .text = t, .why = w }
/* clang-format on */

#define DOCKER_V1                                                                                  \
	"12:cpuset:/docker/4f3c2a\n"                                                               \
	"11:memory:/docker/4f3c2a\n"                                                               \
	"10:pids:/docker/4f3c2a\n"                                                                 \
	"9:blkio:/docker/4f3c2a\n"                                                                 \
	"8:devices:/docker/4f3c2a\n"                                                               \
	"7:net_cls,net_prio:/docker/4f3c2a\n"                                                      \
	"6:freezer:/docker/4f3c2a\n"                                                               \
	"5:perf_event:/docker/4f3c2a\n"                                                            \
	"4:cpu,cpuacct:/docker/4f3c2a\n"                                                           \
	"3:hugetlb:/docker/4f3c2a\n"                                                               \
	"2:rdma:/\n"                                                                               \
	"1:name=systemd:/docker/4f3c2a\n"

#define PODMAN_ID "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define KUBEPODS                                                                                   \
	"/kubepods.slice/kubepods-burstable.slice/"                                                \
	"kubepods-burstable-pod8d3b2c1a_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/"                        \
	"crio-6c1f0e9d8b7a.scope"

static const struct pc_case cases[] = {
	/* cgroup v2 */
	OK("v2", "0::/user.slice/user-1000.slice/session-3.scope\n", NULL,
	   "/user.slice/user-1000.slice/session-3.scope"),
	OK("v2 root", "0::/\n", NULL, "/"),
	OK("v2 no newline at the end", "0::/a", NULL, "/a"),
	OK("v2 systemd crio scope", "0::/system.slice/crio-abc.scope\n", NULL,
	   "/system.slice/crio-abc.scope"),
	OK("v2 kubepods burstable", "0::" KUBEPODS "\n", NULL, KUBEPODS),
	OK("v2 podman cgroupfs", "0::/libpod_parent/libpod-" PODMAN_ID "\n", NULL,
	   "/libpod_parent/libpod-" PODMAN_ID),
	OK("v2 podman systemd", "0::/machine.slice/libpod-" PODMAN_ID ".scope/container\n", NULL,
	   "/machine.slice/libpod-" PODMAN_ID ".scope/container"),
	OK("v2 path with colons", "0::/a:b:c\n", NULL, "/a:b:c"),
	OK("v2 path like crio's parent:crio:id", "0::/kubepods:crio:abc\n", NULL,
	   "/kubepods:crio:abc"),
	OK("v2 path with a space", "0::/my group\n", NULL, "/my group"),
	OK("v2 dots inside names", "0::/a.b/..c/d..\n", NULL, "/a.b/..c/d.."),
	OK("v2 blank lines around", "\n\n0::/a\n\n", NULL, "/a"),
	/* cgroup v1 */
	OK("v1 docker, many controllers", DOCKER_V1, "/docker/4f3c2a", NULL),
	OK("v1 cpuset first in a list", "3:cpuset,cpu:/x\n", "/x", NULL),
	OK("v1 cpuset last in a list", "3:cpu,cpuacct,cpuset:/x\n", "/x", NULL),
	OK("v1 podman", "4:cpuset:/libpod_parent/libpod-" PODMAN_ID "\n1:name=systemd:/\n",
	   "/libpod_parent/libpod-" PODMAN_ID, NULL),
	OK("v1 systemd slice", "6:cpuset:/system.slice/crio-abc.scope\n",
	   "/system.slice/crio-abc.scope", NULL),
	OK("v1 path with colons", "3:cpuset:/x:y\n", "/x:y", NULL),
	/* hybrid: both; the v1 cpuset hierarchy is the one with cpuset files */
	OK("hybrid", DOCKER_V1 "0::/docker/4f3c2a\n", "/docker/4f3c2a", "/docker/4f3c2a"),
	OK("hybrid, v2 line first", "0::/init.scope\n5:cpuset:/\n", "/", "/init.scope"),
	/* not cpuset */
	BAD("v1 name=cpuset is a named hierarchy", "1:name=cpuset:/x\n",
	    "neither a cpuset nor a cgroup v2 line"),
	BAD("v1 cpusetx", "1:cpusetx:/x\n", "neither a cpuset nor a cgroup v2 line"),
	BAD("v1 without cpuset", "11:memory:/x\n1:name=systemd:/x\n",
	    "/proc/<pid>/cgroup: neither a cpuset nor a cgroup v2 line"),
	BAD("hierarchy 00 is not v2", "00::/x\n", "neither a cpuset nor a cgroup v2 line"),
	BAD("empty", "", "neither a cpuset nor a cgroup v2 line"),
	BAD("only blank lines", "\n\n\n", "neither a cpuset nor a cgroup v2 line"),
	/* paths the kernel never writes */
	BAD("v2 dot-dot", "0::/a/../b\n", "/proc/<pid>/cgroup: unexpected path \"/a/../b\""),
	BAD("v2 dot", "0::/a/./b\n", "unexpected path \"/a/./b\""),
	BAD("v2 leading dot-dot", "0::/..\n", "unexpected path \"/..\""),
	BAD("v2 trailing dot", "0::/a/.\n", "unexpected path \"/a/.\""),
	BAD("v2 empty component", "0::/a//b\n", "unexpected path \"/a//b\""),
	BAD("v2 trailing slash", "0::/a/\n", "unexpected path \"/a/\""),
	BAD("v2 double slash root", "0:://\n", "unexpected path \"//\""),
	BAD("v2 relative", "0::a/b\n", "unexpected path \"a/b\""),
	BAD("v2 empty path", "0::\n", "unexpected path \"\""),
	BAD("v1 dot-dot", "4:cpuset:/../../x\n", "unexpected path \"/../../x\""),
	BAD("v1 empty path", "4:cpuset:\n", "unexpected path \"\""),
	{ .name = "v2 NUL in path",
	  .text = "0::/a\0b\n",
	  .len = 8,
	  .why = "unexpected path \"/a\\x00b\"" },
	BAD("v2 control bytes escaped", "0::a\x1b[2J\n", "unexpected path \"a\\x1b[2J\""),
	/* malformed lines, lines twice */
	BAD("a word", "garbage\n", "/proc/<pid>/cgroup: malformed line \"garbage\""),
	BAD("one colon", "0:/x\n", "malformed line \"0:/x\""),
	BAD("bad line after good ones", "0::/a\n4:cpuset:/a\nbroken\n",
	    "malformed line \"broken\""),
	BAD("v2 line twice", "0::/a\n0::/b\n", "hierarchy listed twice"),
	BAD("cpuset twice", "4:cpuset:/a\n5:cpuset,cpu:/a\n", "hierarchy listed twice"),
};

static void check_parse(void **state)
{
	const struct pc_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->text);
	nh_error_t err = { 0 };
	nh_proc_cgroup_t pc;
	int r;

	memset(&pc, 0x5a, sizeof(pc));
	r = nh_proc_cgroup_parse(c->text, len, &pc, &err);
	if (c->why) {
		assert_int_equal(r, -1);
		UT_EXPECT_ERROR(&err, NH_EXIT_SYSTEM, c->why);
		assert_null(pc.cpuset_v1); /* nothing leaked or left dangling */
		assert_null(pc.unified);
		return;
	}
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(r, 0);
	if (c->v1)
		assert_string_equal(pc.cpuset_v1, c->v1);
	else
		assert_null(pc.cpuset_v1);
	if (c->v2)
		assert_string_equal(pc.unified, c->v2);
	else
		assert_null(pc.unified);
	nh_proc_cgroup_free(&pc);
	assert_null(pc.unified);
}

static void cpuset_path_prefers_v1(void **state)
{
	nh_error_t err = { 0 };
	nh_proc_cgroup_t pc;
	bool v1 = false;

	assert_int_equal(nh_proc_cgroup_parse("0::/u\n4:cpuset:/c\n", 18, &pc, &err), 0);
	assert_string_equal(nh_proc_cgroup_cpuset_path(&pc, &v1), "/c");
	assert_true(v1);
	nh_proc_cgroup_free(&pc);

	assert_int_equal(nh_proc_cgroup_parse("0::/u\n", 6, &pc, &err), 0);
	assert_string_equal(nh_proc_cgroup_cpuset_path(&pc, &v1), "/u");
	assert_false(v1);
	nh_proc_cgroup_free(&pc);
}

/* Only len bytes are read. */
static void reads_only_len_bytes(void **state)
{
	nh_error_t err = { 0 };
	nh_proc_cgroup_t pc;

	assert_int_equal(nh_proc_cgroup_parse("0::/a/b/../c", 5, &pc, &err), 0);
	assert_string_equal(pc.unified, "/a");
	nh_proc_cgroup_free(&pc);
}

struct within_case {
	const char *path, *root;
	bool within;
};

static const struct within_case within_cases[] = {
	{ "/a", "/a", true },
	{ "/a/b", "/a", true },
	{ "/a/b/c", "/a/b", true },
	{ "/ab", "/a", false },
	{ "/a", "/a/b", false },
	{ "/b/a", "/a", false },
	{ "/", "/", true },
	{ "/x", "/", true },
	{ "/x/y", "/", true },
	{ "", "/", false },
	{ "/kubepods.slice/pod.slice/crio-1.scope", "/kubepods.slice", true },
	{ "/kubepods.slice-evil/x", "/kubepods.slice", false },
	{ "/libpod_parent/libpod-1", "/libpod_parent/libpod-1", true },
	{ "/libpod_parent/libpod-10", "/libpod_parent/libpod-1", false },
	{ "/libpod_parent/libpod-1/sub", "/libpod_parent/libpod-1", true },
};

static void check_within(void **state)
{
	const struct within_case *c = *state;

	assert_int_equal(nh_cgroup_path_within(c->path, c->root), c->within);
}

/* The container's own levels: ancestors that name its id as a word. */
struct claim_case {
	const char *path, *id;
	unsigned own_above;
	const char *top; /* NULL: none above */
};

#define ID64 "8468db3189ae3c9897fddc7b3b63e07041c2e01d7d43bb0f79a30c7669269e8a"
static const struct claim_case claim_cases[] = {
	/* Podman with crun and systemd: the scope above crun's "container". */
	{ "/machine.slice/libpod-" ID64 ".scope/container", ID64, 1,
	  "/machine.slice/libpod-" ID64 ".scope" },
	/* runc: the scope is the container's cgroup. */
	{ "/machine.slice/libpod-" ID64 ".scope", ID64, 0, NULL },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu.slice/"
	  "cri-containerd-" ID64 ".scope",
	  ID64, 0, NULL },
	/* cgroupfs Podman: libpod_parent/libpod-ID, crun's container below. */
	{ "/libpod_parent/libpod-" ID64 "/container", ID64, 1, "/libpod_parent/libpod-" ID64 },
	/* Two levels named after the id, and one in between. */
	{ "/x/" ID64 "/mid/c-" ID64 "/leaf", ID64, 3, "/x/" ID64 },
	/* The id must be a word of its own: not a prefix of a longer one. */
	{ "/machine.slice/libpod-" ID64 "0.scope/container", ID64, 0, NULL },
	{ "/machine.slice/xlibpod" ID64 ".scope/container", ID64, 0, NULL },
	{ "/abc/container", "ab", 0, NULL },
	/* A first-level cgroup may be the container's; the root never is. */
	{ "/c1/container", "c1", 1, "/c1" },
	{ "/c1", "c1", 0, NULL },
	{ "/", "c1", 0, NULL },
	/* No id, an empty id. */
	{ "/machine.slice/libpod-" ID64 ".scope/container", NULL, 0, NULL },
	{ "/machine.slice/libpod-" ID64 ".scope/container", "", 0, NULL },
};

static void check_claim(void **state)
{
	const struct claim_case *c = *state;
	nh_cgroup_t cg = { .path = strdup(c->path), .dirfd = -1 };

	assert_non_null(cg.path);
	nh_cgroup_claim_ancestors(&cg, c->id);
	assert_int_equal(cg.own_above, c->own_above);
	assert_string_equal(nh_cgroup_top(&cg), c->top ? c->top : c->path);
	nh_cgroup_close(&cg);
}

int main(void)
{
	ut_list_t l = { 0 };

	for (size_t i = 0; i < NH_ARRAY_SIZE(claim_cases); i++)
		ut_add(&l, check_claim, &claim_cases[i], "own levels: \"%s\" id %s -> %u above",
		       claim_cases[i].path, claim_cases[i].id ? claim_cases[i].id : "(none)",
		       claim_cases[i].own_above);

	for (size_t i = 0; i < NH_ARRAY_SIZE(cases); i++)
		ut_add(&l, check_parse, &cases[i], "parse: %s -> %s", cases[i].name,
		       cases[i].why ? "refused" : "ok");
	ut_add(&l, cpuset_path_prefers_v1, NULL, "cpuset path: v1 hierarchy first");
	ut_add(&l, reads_only_len_bytes, NULL, "parse reads only len bytes");
	for (size_t i = 0; i < NH_ARRAY_SIZE(within_cases); i++)
		ut_add(&l, check_within, &within_cases[i], "within: \"%s\" in \"%s\" -> %s",
		       within_cases[i].path, within_cases[i].root,
		       within_cases[i].within ? "yes" : "no");
	return ut_run("proc_cgroup", &l);
}
