/* SPDX-License-Identifier: Apache-2.0 */
/* oci/config: the admin configuration file. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "oci/config.h"
#include "tests/unit/unit.h"

#define NAME "test.conf"

/* Everything a configuration decides, as "key=value" words. */
static const char *describe(const nh_config_t *cfg)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	static const char *const overrides[] = { "from", "mems", "on-error", "engine", "rate" };
	static char out[NH_NODESET_STR_MAX + 512];
	char nodes[NH_NODESET_STR_MAX], ov[64] = "", engines[64] = "";

	for (unsigned i = 0; i < NH_ARRAY_SIZE(overrides); i++)
		if (cfg->overrides & (1u << i))
			snprintf(ov + strlen(ov), sizeof(ov) - strlen(ov), "%s%s", ov[0] ? "," : "",
				 overrides[i]);
	for (unsigned e = NH_ENGINE_MIGRATE_PAGES; e <= NH_ENGINE_MOVE_PAGES; e++)
		if (cfg->allowed_engines & (1u << e))
			snprintf(engines + strlen(engines), sizeof(engines) - strlen(engines),
				 "%s%s", engines[0] ? "," : "", nh_engine_name((enum nh_engine)e));
	snprintf(out, sizeof(out),
		 " allowed=%s overrides=%s on-error=%s mems=%s engine=%s engines=%s rate=%llu "
		 "max-rate=%llu workers=%u batch-ms=%u budget-ms=%llu rounds=%u retries=%u "
		 "verify-cgroup-id=%s nri-premigrate=%s log=%s log-file=%s ",
		 cfg->allowed_all ? "all"
				  : nh_nodeset_format(&cfg->allowed_nodes, nodes, sizeof(nodes)),
		 ov[0] ? ov : "none", cfg->default_on_error == NH_ON_ERROR_WARN ? "warn" : "fail",
		 nh_mems_mode_name(cfg->default_mems), nh_engine_name(cfg->default_engine),
		 engines[0] ? engines : "none", (unsigned long long)cfg->default_rate,
		 (unsigned long long)cfg->max_rate, cfg->workers, cfg->batch_ms,
		 (unsigned long long)cfg->time_budget_ms, cfg->max_rounds, cfg->max_retries,
		 cfg->verify_cgroup_id ? "yes" : "no",
		 cfg->nri_premigrate == NH_PREMIGRATE_ALL    ? "all" :
		 cfg->nri_premigrate == NH_PREMIGRATE_NONE   ? "none" :
		 cfg->nri_premigrate == NH_PREMIGRATE_ANNOTATED ? "annotated" : "?",
		 cfg->log_level < NH_ARRAY_SIZE(levels) ? levels[cfg->log_level] : "?",
		 cfg->log_file ? cfg->log_file : "-");
	return out;
}

#define DEFAULTS                                                                                   \
	"allowed=all overrides=from,mems,on-error,engine,rate on-error=fail mems=set "             \
	"engine=migrate_pages engines=migrate_pages,move_pages rate=0 max-rate=0 workers=0 "       \
	"batch-ms=5 budget-ms=50000 rounds=8 retries=3 verify-cgroup-id=yes "                       \
	"nri-premigrate=annotated log=info log-file=-"

/* Each word of expect must be a word of the description. */
static void expect_words(const nh_config_t *cfg, const char *expect)
{
	const char *d = describe(cfg);
	_cleanup_free_ char *words = strdup(expect);
	char *save = NULL;

	assert_non_null(words);
	for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		_cleanup_free_ char *bounded = ut_strdupf(" %s ", w);

		UT_EXPECT_CONTAINS(d, bounded);
	}
}

struct cfg_case {
	const char *name;
	const char *text;
	const char *expect; /* words of describe(); NULL when refused */
	const char *why;
	const char *also[3]; /* more parts of the message */
	size_t len;	     /* 0: strlen(text) */
};

/* clang-format off */
#define OK(n, t, e) { .name = n, .text = t, .expect = e }
#define BAD(n, t, w) { .name = n, .text = t, .why = w }
/* clang-format on */

static const struct cfg_case cases[] = {
	/* layout */
	OK("empty file", "", DEFAULTS),
	OK("comments and blank lines", "# a comment\n\n   \n\t# indented comment\n#\n", DEFAULTS),
	OK("no spaces", "max-rounds=5\n", "rounds=5"),
	OK("spaces and tabs", "  \t max-rounds \t =  \t 5 \t \n", "rounds=5"),
	OK("CRLF line ends", "max-rounds = 5\r\nmax-retries = 6\r\n", "rounds=5 retries=6"),
	OK("no newline at the end", "max-rounds = 5", "rounds=5"),
	OK("comment after a value", "max-rounds = 5 # five\n", "rounds=5"),
	OK("comment right after a value", "default-mems = keep#x\n", "mems=keep"),
	OK("later line wins", "max-rounds = 5\nmax-rounds = 6\n", "rounds=6"),
	OK("every key",
	   "allowed-nodes = 0-1,3\n"
	   "allow-annotation-override = from,on-error\n"
	   "default-on-error = warn\n"
	   "default-mems = keep\n"
	   "default-engine = move_pages\n"
	   "allowed-engines = move_pages\n"
	   "default-rate = 512M\n"
	   "max-rate = 2G\n"
	   "workers = 4\n"
	   "batch-time-ms = 20\n"
	   "time-budget-ms = 30000\n"
	   "max-rounds = 100\n"
	   "max-retries = 1\n"
	   "verify-cgroup-id = no\n"
	   "log-level = debug\n"
	   "log-file = /var/log/oci-numa-hook.log\n",
	   "allowed=0-1,3 overrides=from,on-error on-error=warn mems=keep engine=move_pages "
	   "engines=move_pages rate=536870912 max-rate=2147483648 workers=4 batch-ms=20 "
	   "budget-ms=30000 rounds=100 retries=1 verify-cgroup-id=no log=debug "
	   "log-file=/var/log/oci-numa-hook.log"),
	BAD("no equals sign", "max-rounds 5\n",
	    NAME ":1: expected \"key = value\", got \"max-rounds 5\""),
	BAD("a word", "\n\nnonsense\n", NAME ":3: expected \"key = value\", got \"nonsense\""),
	BAD("no key", "= 5\n", NAME ":1: unknown key \"\""),
	{ .name = "empty value",
	  .text = "max-rounds =\n",
	  .why = NAME ":1: ",
	  .also = { "max-rounds", "has an empty value" } },
	{ .name = "empty value, key with control bytes",
	  .text = "a\x1b[2J =\n",
	  .why = NAME ":1: \"a\\x1b[2J\" has an empty value" },
	{ .name = "only a comment as value",
	  .text = "max-rounds = # 5\n",
	  .why = NAME ":1: ",
	  .also = { "max-rounds", "has an empty value" } },
	BAD("unknown key", "# c\nmax-round = 5\n", NAME ":2: unknown key \"max-round\""),
	BAD("key in capitals", "Max-Rounds = 5\n", NAME ":1: unknown key \"Max-Rounds\""),
	BAD("annotation name as key", "oci-numa-hook/nodes = 1\n",
	    NAME ":1: unknown key \"oci-numa-hook/nodes\""),
	BAD("a key that does not exist", "default-speed = 5\n",
	    NAME ":1: unknown key \"default-speed\""),
	BAD("error on line 5", "# 1\n\nmax-rounds = 2\n  # 4\nlog-level = loud\n",
	    NAME ":5: log-level = \"loud\": expected error, warn, info or debug"),
	{ .name = "NUL byte",
	  .text = "max-rounds = 5\n\0",
	  .len = 16,
	  .why = NAME ": contains a NUL byte" },
	BAD("control bytes are escaped", "\x1b[2J = 1\n", NAME ":1: unknown key \"\\x1b[2J\""),
	/* allowed-nodes */
	OK("allowed-nodes all", "allowed-nodes = all\n", "allowed=all"),
	OK("allowed-nodes 0", "allowed-nodes = 0\n", "allowed=0"),
	OK("allowed-nodes 0-1,3", "allowed-nodes = 0-1,3\n", "allowed=0-1,3"),
	OK("allowed-nodes then all", "allowed-nodes = 0\nallowed-nodes = all\n", "allowed=all"),
	OK("allowed-nodes all then a list", "allowed-nodes = all\nallowed-nodes = 2\n",
	   "allowed=2"),
	BAD("allowed-nodes 1,,2", "allowed-nodes = 1,,2\n",
	    NAME ":1: allowed-nodes \"1,,2\": empty item"),
	BAD("allowed-nodes none", "allowed-nodes = none\n",
	    NAME ":1: allowed-nodes \"none\": \"none\" is not a number"),
	BAD("allowed-nodes ALL", "allowed-nodes = ALL\n", NAME ":1: allowed-nodes \"ALL\""),
	BAD("allowed-nodes 1024", "allowed-nodes = 1024\n",
	    NAME ":1: allowed-nodes \"1024\": 1024 is out of range"),
	BAD("allowed-nodes 1, 2", "allowed-nodes = 1, 2\n", NAME ":1: allowed-nodes \"1, 2\""),
	BAD("allowed-nodes 3-1", "allowed-nodes = 3-1\n", "range 3-1 is reversed"),
	BAD("allowed-nodes 0,0", "allowed-nodes = 0,0\n", "node 0 is listed twice"),
	/* allow-annotation-override */
	OK("override all", "allow-annotation-override = all\n",
	   "overrides=from,mems,on-error,engine,rate"),
	OK("override none", "allow-annotation-override = none\n", "overrides=none"),
	OK("override from", "allow-annotation-override = from\n", "overrides=from"),
	OK("override engine", "allow-annotation-override = engine\n", "overrides=engine"),
	OK("override rate", "allow-annotation-override = rate\n", "overrides=rate"),
	OK("override list", "allow-annotation-override = on-error,from\n",
	   "overrides=from,on-error"),
	OK("override list with spaces", "allow-annotation-override = from , mems\n",
	   "overrides=from,mems"),
	OK("override every name", "allow-annotation-override = from,mems,on-error,engine,rate\n",
	   "overrides=from,mems,on-error,engine,rate"),
	OK("override with an empty item", "allow-annotation-override = from,,mems\n",
	   "overrides=from,mems"),
	BAD("override nodes", "allow-annotation-override = nodes\n",
	    NAME ":1: allow-annotation-override = \"nodes\": expected all, none, or a list of "
		 "from,mems,on-error,engine,rate"),
	BAD("override none,from", "allow-annotation-override = none,from\n",
	    "allow-annotation-override = \"none,from\": expected"),
	BAD("override only a comma", "allow-annotation-override = ,\n",
	    "allow-annotation-override = \",\": expected"),
	BAD("override ALL", "allow-annotation-override = ALL\n", "\"ALL\": expected all, none"),
	BAD("override from,bogus", "allow-annotation-override = from,bogus\n",
	    "\"from,bogus\": expected"),
	/* default-on-error, default-mems, default-engine */
	OK("default-on-error fail", "default-on-error = fail\n", "on-error=fail"),
	OK("default-on-error warn", "default-on-error = warn\n", "on-error=warn"),
	BAD("default-on-error Warn", "default-on-error = Warn\n",
	    NAME ":1: default-on-error = \"Warn\": expected fail or warn"),
	BAD("default-on-error ignore", "default-on-error = ignore\n", "expected fail or warn"),
	OK("default-mems set", "default-mems = set\n", "mems=set"),
	OK("default-mems keep", "default-mems = keep\n", "mems=keep"),
	BAD("default-mems yes", "default-mems = yes\n",
	    NAME ":1: default-mems = \"yes\": expected set or keep"),
	OK("default-engine migrate_pages", "default-engine = migrate_pages\n",
	   "engine=migrate_pages"),
	OK("default-engine move_pages", "default-engine = move_pages\n", "engine=move_pages"),
	BAD("default-engine bogus", "default-engine = bogus\n",
	    NAME ":1: default-engine = \"bogus\": expected migrate_pages or move_pages"),
	BAD("default-engine migratepages", "default-engine = migratepages\n",
	    "default-engine = \"migratepages\": expected"),
	/* allowed-engines */
	OK("allowed-engines migrate_pages", "allowed-engines = migrate_pages\n",
	   "engines=migrate_pages"),
	OK("allowed-engines move_pages", "allowed-engines = move_pages\n", "engines=move_pages"),
	OK("allowed-engines both, spaces", "allowed-engines = move_pages , migrate_pages\n",
	   "engines=migrate_pages,move_pages"),
	BAD("allowed-engines bogus", "allowed-engines = bogus\n",
	    NAME ":1: allowed-engines = \"bogus\": expected a list of migrate_pages,move_pages"),
	BAD("allowed-engines with a bogus item", "allowed-engines = migrate_pages,bogus\n",
	    "allowed-engines = \"migrate_pages,bogus\": expected"),
	BAD("allowed-engines only a comma", "allowed-engines = ,\n",
	    "allowed-engines = \",\": expected"),
	BAD("allowed-engines all", "allowed-engines = all\n",
	    "allowed-engines = \"all\": expected"),
	/* rates */
	OK("default-rate unlimited", "default-rate = unlimited\n", "rate=0"),
	OK("default-rate 512M", "default-rate = 512M\n", "rate=536870912"),
	OK("default-rate 1T", "default-rate = 1T\n", "rate=1099511627776"),
	OK("default-rate in bytes", "default-rate = 1000\n", "rate=1000"),
	OK("default-rate 4K", "default-rate = 4K\n", "rate=4096"),
	BAD("default-rate 0", "default-rate = 0\n",
	    NAME ":1: default-rate = \"0\": expected unlimited or a rate in bytes per second"),
	BAD("default-rate 2T", "default-rate = 2T\n", "default-rate = \"2T\": expected"),
	BAD("default-rate 512m", "default-rate = 512m\n", "default-rate = \"512m\": expected"),
	BAD("default-rate 512MB", "default-rate = 512MB\n", "default-rate = \"512MB\": expected"),
	BAD("default-rate 512 M", "default-rate = 512 M\n", "default-rate = \"512 M\": expected"),
	BAD("default-rate 1.5G", "default-rate = 1.5G\n", "default-rate = \"1.5G\": expected"),
	BAD("default-rate none", "default-rate = none\n", "default-rate = \"none\": expected"),
	OK("max-rate unlimited", "max-rate = unlimited\n", "max-rate=0"),
	OK("max-rate 2G", "max-rate = 2G\n", "max-rate=2147483648"),
	BAD("max-rate -1", "max-rate = -1\n", NAME ":1: max-rate = \"-1\": expected unlimited or"),
	/* workers, batch, budget */
	OK("workers auto", "workers = 8\nworkers = auto\n", "workers=0"),
	OK("workers 1", "workers = 1\n", "workers=1"),
	OK("workers 64", "workers = 64\n", "workers=64"),
	BAD("workers 0", "workers = 0\n",
	    NAME ":1: workers = \"0\": expected auto or a number from 1 to 64"),
	BAD("workers 65", "workers = 65\n", "workers = \"65\": expected"),
	BAD("workers all", "workers = all\n", "workers = \"all\": expected"),
	OK("batch-time-ms 1", "batch-time-ms = 1\n", "batch-ms=1"),
	OK("batch-time-ms 1000", "batch-time-ms = 1000\n", "batch-ms=1000"),
	BAD("batch-time-ms 0", "batch-time-ms = 0\n",
	    NAME ":1: batch-time-ms = \"0\": expected a number from 1 to 1000"),
	BAD("batch-time-ms 1001", "batch-time-ms = 1001\n", "batch-time-ms = \"1001\": expected"),
	OK("time-budget-ms none", "time-budget-ms = none\n", "budget-ms=0"),
	OK("time-budget-ms 1", "time-budget-ms = 1\n", "budget-ms=1"),
	OK("time-budget-ms 3600000", "time-budget-ms = 3600000\n", "budget-ms=3600000"),
	BAD("time-budget-ms 0", "time-budget-ms = 0\n",
	    NAME ":1: time-budget-ms = \"0\": expected none or a number of milliseconds"),
	BAD("time-budget-ms 3600001", "time-budget-ms = 3600001\n",
	    "time-budget-ms = \"3600001\": expected"),
	BAD("time-budget-ms 5s", "time-budget-ms = 5s\n", "time-budget-ms = \"5s\": expected"),
	/* counts */
	OK("max-rounds 1", "max-rounds = 1\n", "rounds=1"),
	OK("max-rounds 100", "max-rounds = 100\n", "rounds=100"),
	BAD("max-rounds 0", "max-rounds = 0\n",
	    NAME ":1: max-rounds = \"0\": expected a number from 1 to 100"),
	BAD("max-rounds 101", "max-rounds = 101\n",
	    "max-rounds = \"101\": expected a number from 1 to 100"),
	BAD("max-rounds -1", "max-rounds = -1\n", "max-rounds = \"-1\": expected"),
	BAD("max-rounds +5", "max-rounds = +5\n", "max-rounds = \"+5\": expected"),
	BAD("max-rounds 5x", "max-rounds = 5x\n", "max-rounds = \"5x\": expected"),
	BAD("max-rounds 0x10", "max-rounds = 0x10\n", "max-rounds = \"0x10\": expected"),
	BAD("max-rounds 1 0", "max-rounds = 1 0\n", "max-rounds = \"1 0\": expected"),
	BAD("max-rounds huge", "max-rounds = 99999999999999999999\n",
	    "max-rounds = \"99999999999999999999\": expected"),
	BAD("max-rounds 4294967297", "max-rounds = 4294967297\n",
	    "expected a number from 1 to 100"),
	OK("max-retries 1", "max-retries = 1\n", "retries=1"),
	OK("max-retries 100", "max-retries = 100\n", "retries=100"),
	BAD("max-retries 0", "max-retries = 0\n",
	    NAME ":1: max-retries = \"0\": expected a number from 1 to 100"),
	BAD("max-retries 1000", "max-retries = 1000\n", "max-retries = \"1000\": expected"),
	/* verify-cgroup-id */
	OK("verify-cgroup-id no", "verify-cgroup-id = no\n", "verify-cgroup-id=no"),
	OK("verify-cgroup-id yes", "verify-cgroup-id = no\nverify-cgroup-id = yes\n",
	   "verify-cgroup-id=yes"),
	BAD("verify-cgroup-id false", "verify-cgroup-id = false\n",
	    NAME ":1: verify-cgroup-id = \"false\": expected yes or no"),
	BAD("verify-cgroup-id No", "verify-cgroup-id = No\n",
	    "verify-cgroup-id = \"No\": expected"),
	/* nri-premigrate */
	OK("nri-premigrate all", "nri-premigrate = all\n", "nri-premigrate=all"),
	OK("nri-premigrate none", "nri-premigrate = none\n", "nri-premigrate=none"),
	OK("nri-premigrate annotated", "nri-premigrate = all\nnri-premigrate = annotated\n",
	   "nri-premigrate=annotated"),
	BAD("nri-premigrate yes", "nri-premigrate = yes\n",
	    NAME ":1: nri-premigrate = \"yes\": expected annotated, all or none"),
	BAD("nri-premigrate All", "nri-premigrate = All\n", "nri-premigrate = \"All\": expected"),
	/* logging */
	OK("log-level error", "log-level = error\n", "log=error"),
	OK("log-level warn", "log-level = warn\n", "log=warn"),
	OK("log-level info", "log-level = info\n", "log=info"),
	OK("log-level debug", "log-level = debug\n", "log=debug"),
	BAD("log-level verbose", "log-level = verbose\n",
	    NAME ":1: log-level = \"verbose\": expected error, warn, info or debug"),
	BAD("log-level DEBUG", "log-level = DEBUG\n", "log-level = \"DEBUG\": expected"),
	OK("log-file", "log-file = /tmp/hook.log\n", "log-file=/tmp/hook.log"),
	OK("log-file with =", "log-file = /tmp/a=b.log\n", "log-file=/tmp/a=b.log"),
	OK("log-file twice", "log-file = /a\nlog-file = /b\n", "log-file=/b"),
	BAD("log-file relative", "log-file = hook.log\n",
	    NAME ":1: log-file \"hook.log\" is not an absolute path"),
	BAD("log-file ./", "log-file = ./hook.log\n",
	    "log-file \"./hook.log\" is not an absolute path"),
};

static void check_config(void **state)
{
	const struct cfg_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->text);
	nh_error_t err = { 0 };
	nh_config_t cfg;
	int r;

	nh_config_defaults(&cfg);
	r = nh_config_parse(c->text, len, NAME, &cfg, &err);
	if (c->why) {
		assert_int_equal(r, -1);
		UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, c->why);
		for (size_t i = 0; i < NH_ARRAY_SIZE(c->also) && c->also[i]; i++)
			UT_EXPECT_CONTAINS(err.msg, c->also[i]);
	} else {
		UT_EXPECT_NO_ERROR(&err);
		assert_int_equal(r, 0);
		expect_words(&cfg, c->expect);
	}
	nh_config_free(&cfg);
	assert_null(cfg.log_file);
}

static void defaults(void **state)
{
	nh_config_t cfg;

	memset(&cfg, 0x5a, sizeof(cfg));
	nh_config_defaults(&cfg);
	expect_words(&cfg, DEFAULTS);
}

/* The example shipped in contrib/ parses and says what the defaults are. */
static void shipped_example(void **state)
{
	size_t len;
	_cleanup_free_ char *text = ut_read_data("../../../contrib/oci-numa-hook.conf", &len);
	nh_error_t err = { 0 };
	nh_config_t cfg;

	nh_config_defaults(&cfg);
	assert_int_equal(nh_config_parse(text, len, "oci-numa-hook.conf", &cfg, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	expect_words(&cfg, DEFAULTS);
	nh_config_free(&cfg);
}

static void load_missing_file_keeps_defaults(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("config");
	_cleanup_free_ char *path = ut_strdupf("%s/absent.conf", dir);
	nh_error_t err = { 0 };
	nh_config_t cfg;

	nh_config_defaults(&cfg);
	assert_int_equal(nh_config_load(path, &cfg, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	expect_words(&cfg, DEFAULTS);
	ut_rmtree(dir);
}

static void load_file(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("config");
	_cleanup_free_ char *path = ut_strdupf("%s/oci-numa-hook.conf", dir);
	nh_error_t err = { 0 };
	nh_config_t cfg;

	ut_write_file(dir, "oci-numa-hook.conf", "allowed-nodes = 1\nlog-file = /x.log\n");
	nh_config_defaults(&cfg);
	assert_int_equal(nh_config_load(path, &cfg, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	expect_words(&cfg, "allowed=1 log-file=/x.log");
	nh_config_free(&cfg);
	ut_rmtree(dir);
}

/* Messages from a loaded file name the file and line. */
static void load_file_error_names_path_and_line(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("config");
	_cleanup_free_ char *path = ut_strdupf("%s/oci-numa-hook.conf", dir);
	_cleanup_free_ char *where = ut_strdupf("%s:3: default-mems = \"maybe\"", path);
	nh_error_t err = { 0 };
	nh_config_t cfg;

	ut_write_file(dir, "oci-numa-hook.conf", "# admin\n\ndefault-mems = maybe\n");
	nh_config_defaults(&cfg);
	assert_int_equal(nh_config_load(path, &cfg, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, where, "expected set or keep");
	nh_config_free(&cfg);
	ut_rmtree(dir);
}

static void load_directory(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("config");
	_cleanup_free_ char *why = ut_strdupf("config %s is not a regular file", dir);
	nh_error_t err = { 0 };
	nh_config_t cfg;

	nh_config_defaults(&cfg);
	assert_int_equal(nh_config_load(dir, &cfg, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, why);
	ut_rmtree(dir);
}

/* A FIFO is refused, without blocking on it. */
static void load_fifo(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("config");
	_cleanup_free_ char *path = ut_strdupf("%s/fifo.conf", dir);
	nh_error_t err = { 0 };
	nh_config_t cfg;

	assert_int_equal(mkfifo(path, 0600), 0);
	nh_config_defaults(&cfg);
	assert_int_equal(nh_config_load(path, &cfg, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "is not a regular file");
	ut_rmtree(dir);
}

static void load_device(void **state)
{
	nh_error_t err = { 0 };
	nh_config_t cfg;

	nh_config_defaults(&cfg);
	assert_int_equal(nh_config_load("/dev/null", &cfg, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "config /dev/null is not a regular file");
}

static void load_path_through_a_file(void **state)
{
	_cleanup_free_ char *dir = ut_mkdtemp("config");
	_cleanup_free_ char *path = ut_strdupf("%s/file/oci-numa-hook.conf", dir);
	nh_error_t err = { 0 };
	nh_config_t cfg;

	ut_write_file(dir, "file", "");
	nh_config_defaults(&cfg);
	assert_int_equal(nh_config_load(path, &cfg, &err), -1);
	assert_int_equal(err.status, NH_EXIT_SYSTEM);
	assert_int_equal(err.errnum, ENOTDIR);
	UT_EXPECT_CONTAINS(err.msg, "cannot open config");
	UT_EXPECT_CONTAINS(err.msg, path);
	ut_rmtree(dir);
}

struct size_case {
	size_t size;
	bool ok;
};

static const struct size_case size_cases[] = {
	{ NH_CONFIG_MAX - 1, true },
	{ NH_CONFIG_MAX, true },
	{ NH_CONFIG_MAX + 1, false },
	{ 4 * 1024 * 1024, false },
};

/* A file of comments of the given size, with one setting at the end. */
static void check_size(void **state)
{
	const struct size_case *c = *state;
	_cleanup_free_ char *dir = ut_mkdtemp("config");
	_cleanup_free_ char *path = ut_strdupf("%s/big.conf", dir);
	_cleanup_free_ char *text = malloc(c->size + 1);
	static const char tail[] = "\nmax-rounds = 7\n";
	nh_error_t err = { 0 };
	nh_config_t cfg;

	assert_non_null(text);
	memset(text, '#', c->size);
	for (size_t i = 80; i < c->size; i += 80)
		text[i] = '\n';
	memcpy(text + c->size - strlen(tail), tail, strlen(tail));
	text[c->size] = '\0';
	ut_write_file(dir, "big.conf", text);
	nh_config_defaults(&cfg);
	if (c->ok) {
		assert_int_equal(nh_config_load(path, &cfg, &err), 0);
		UT_EXPECT_NO_ERROR(&err);
		expect_words(&cfg, "rounds=7");
	} else {
		assert_int_equal(nh_config_load(path, &cfg, &err), -1);
		UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, path, "is larger than 65536 bytes");
	}
	nh_config_free(&cfg);
	ut_rmtree(dir);
}

static void word_parsers(void **state)
{
	enum nh_mems_mode m = NH_MEMS_SET;
	enum nh_on_error e = NH_ON_ERROR_FAIL;
	enum nh_engine g = NH_ENGINE_MIGRATE_PAGES;

	assert_true(nh_mems_mode_parse("keep", &m));
	assert_int_equal(m, NH_MEMS_KEEP);
	assert_string_equal(nh_mems_mode_name(m), "keep");
	assert_true(nh_mems_mode_parse("set", &m));
	assert_string_equal(nh_mems_mode_name(m), "set");
	assert_false(nh_mems_mode_parse("", &m));
	assert_false(nh_mems_mode_parse("keep\n", &m));
	assert_int_equal(m, NH_MEMS_SET); /* untouched */
	assert_true(nh_on_error_parse("warn", &e));
	assert_int_equal(e, NH_ON_ERROR_WARN);
	assert_false(nh_on_error_parse("fail ", &e));
	assert_int_equal(e, NH_ON_ERROR_WARN);
	assert_true(nh_engine_parse("move_pages", &g));
	assert_int_equal(g, NH_ENGINE_MOVE_PAGES);
	assert_string_equal(nh_engine_name(g), "move_pages");
	assert_true(nh_engine_parse("migrate_pages", &g));
	assert_string_equal(nh_engine_name(g), "migrate_pages");
	assert_false(nh_engine_parse("Migrate_pages", &g));
	assert_int_equal(g, NH_ENGINE_MIGRATE_PAGES);
}

struct rate_case {
	const char *in;
	uint64_t bytes; /* 0: refused */
};

static const struct rate_case rate_cases[] = {
	{ "1", 1 },
	{ "1000", 1000 },
	{ "1K", 1024 },
	{ "512M", 512ull << 20 },
	{ "2G", 2ull << 30 },
	{ "1T", 1ull << 40 },
	{ "1024G", 1ull << 40 },
	{ "1099511627776", 1ull << 40 },
	{ "01M", 1ull << 20 },
	{ "0", 0 },
	{ "0M", 0 },
	{ "", 0 },
	{ "M", 0 },
	{ "1099511627777", 0 },
	{ "1025G", 0 },
	{ "2T", 0 },
	{ "1P", 0 },
	{ "512m", 0 },
	{ "512MB", 0 },
	{ "512MiB", 0 },
	{ "512 M", 0 },
	{ " 512M", 0 },
	{ "512M ", 0 },
	{ "-1", 0 },
	{ "+1", 0 },
	{ "1.5G", 0 },
	{ "0x10", 0 },
	{ "18446744073709551615", 0 },
	{ "99999999999999999999K", 0 },
	{ "unlimited", 0 },
};

static void check_rate(void **state)
{
	const struct rate_case *c = *state;
	uint64_t v = 4242;

	assert_int_equal(nh_rate_parse(c->in, &v), c->bytes != 0);
	assert_int_equal(v, c->bytes ? c->bytes : 4242);
}

int main(void)
{
	ut_list_t l = { 0 };

	for (size_t i = 0; i < NH_ARRAY_SIZE(cases); i++)
		ut_add(&l, check_config, &cases[i], "parse: %s -> %s", ut_show_str(cases[i].name),
		       cases[i].why ? "refused" : "ok");
	ut_add(&l, defaults, NULL, "defaults");
	ut_add(&l, shipped_example, NULL, "contrib/oci-numa-hook.conf parses to the defaults");
	ut_add(&l, load_missing_file_keeps_defaults, NULL, "load: missing file = defaults");
	ut_add(&l, load_file, NULL, "load: a file");
	ut_add(&l, load_file_error_names_path_and_line, NULL, "load: error names path:line");
	ut_add(&l, load_directory, NULL, "load: a directory -> refused");
	ut_add(&l, load_fifo, NULL, "load: a FIFO -> refused without blocking");
	ut_add(&l, load_device, NULL, "load: /dev/null -> refused");
	ut_add(&l, load_path_through_a_file, NULL, "load: ENOTDIR -> system error");
	for (size_t i = 0; i < NH_ARRAY_SIZE(size_cases); i++)
		ut_add(&l, check_size, &size_cases[i], "load: file of %zu bytes -> %s",
		       size_cases[i].size, size_cases[i].ok ? "ok" : "refused");
	ut_add(&l, word_parsers, NULL, "mems/on-error/engine words");
	for (size_t i = 0; i < NH_ARRAY_SIZE(rate_cases); i++)
		ut_add(&l, check_rate, &rate_cases[i], "rate \"%s\" -> %s",
		       ut_show_str(rate_cases[i].in), rate_cases[i].bytes ? "ok" : "refused");
	return ut_run("config", &l);
}
