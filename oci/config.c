/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "oci/config.h"

#define ROUNDS_MAX 100
#define RETRIES_MAX 100
#define WORKERS_MAX 64

void nh_config_defaults(nh_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->allowed_all = true;
	cfg->overrides = NH_OVERRIDE_ALL;
	cfg->default_on_error = NH_ON_ERROR_FAIL;
	cfg->default_mems = NH_MEMS_SET;
	cfg->default_engine = NH_ENGINE_MIGRATE_PAGES;
	cfg->allowed_engines = NH_ENGINES_ALL;
	cfg->batch_ms = 5;
	/* Below the 60 s timeout of the shipped hooks.d files, so that a
	 * long migration stops cleanly and reports before the runtime kills
	 * the hook. */
	cfg->time_budget_ms = 50000;
	cfg->verify_cgroup_id = true;
	cfg->max_rounds = 8;
	cfg->max_retries = 3;
	cfg->log_level = NH_LOG_INFO;
}

void nh_config_free(nh_config_t *cfg)
{
	free(cfg->log_file);
	cfg->log_file = NULL;
}

bool nh_mems_mode_parse(const char *s, enum nh_mems_mode *out)
{
	if (strcmp(s, "set") == 0)
		*out = NH_MEMS_SET;
	else if (strcmp(s, "keep") == 0)
		*out = NH_MEMS_KEEP;
	else
		return false;
	return true;
}

const char *nh_mems_mode_name(enum nh_mems_mode m)
{
	return m == NH_MEMS_SET ? "set" : "keep";
}

bool nh_on_error_parse(const char *s, enum nh_on_error *out)
{
	if (strcmp(s, "fail") == 0)
		*out = NH_ON_ERROR_FAIL;
	else if (strcmp(s, "warn") == 0)
		*out = NH_ON_ERROR_WARN;
	else
		return false;
	return true;
}

bool nh_engine_parse(const char *s, enum nh_engine *out)
{
	if (strcmp(s, "migrate_pages") == 0)
		*out = NH_ENGINE_MIGRATE_PAGES;
	else if (strcmp(s, "move_pages") == 0)
		*out = NH_ENGINE_MOVE_PAGES;
	else
		return false;
	return true;
}

const char *nh_engine_name(enum nh_engine e)
{
	return e == NH_ENGINE_MOVE_PAGES ? "move_pages" : "migrate_pages";
}

bool nh_rate_parse(const char *s, uint64_t *bytes_per_s)
{
	static const char units[] = "KMGT";
	size_t digits = strspn(s, "0123456789");
	uint64_t v, scale = 1;

	if (s[digits] != '\0') {
		const char *u = strchr(units, s[digits]);

		if (!u || s[digits + 1] != '\0')
			return false;
		scale = 1ull << (10 * (u - units + 1));
	}
	if (!nh_parse_u64(s, digits, UINT64_MAX, &v) || v == 0 || v > (1ull << 40) / scale)
		return false;
	*bytes_per_s = v * scale;
	return true;
}

static bool parse_engines(const char *value, unsigned *out)
{
	char *save = NULL;
	/* strtok_r writes into its string; the caller quotes value in messages. */
	_cleanup_free_ char *v = strdup(value);

	if (!v)
		return false;
	*out = 0;
	for (char *item = strtok_r(v, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		enum nh_engine e;

		if (!nh_engine_parse(nh_strip(item), &e))
			return false;
		*out |= 1u << e;
	}
	return *out != 0;
}

static bool parse_rate_or_unlimited(const char *v, uint64_t *out)
{
	if (strcmp(v, "unlimited") == 0) {
		*out = 0;
		return true;
	}
	return nh_rate_parse(v, out);
}

static bool parse_overrides(const char *value, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} keys[] = { { "from", NH_OVERRIDE_FROM },
		     { "mems", NH_OVERRIDE_MEMS },
		     { "on-error", NH_OVERRIDE_ON_ERROR },
		     { "engine", NH_OVERRIDE_ENGINE },
		     { "rate", NH_OVERRIDE_RATE } };
	char *save = NULL;
	/* strtok_r writes into its string; the caller quotes value in messages. */
	_cleanup_free_ char *v = strdup(value);

	if (!v)
		return false;
	if (strcmp(v, "all") == 0) {
		*out = NH_OVERRIDE_ALL;
		return true;
	}
	*out = 0;
	if (strcmp(v, "none") == 0)
		return true;
	for (char *item = strtok_r(v, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		size_t i;

		item = nh_strip(item);
		for (i = 0; i < NH_ARRAY_SIZE(keys); i++)
			if (strcmp(item, keys[i].name) == 0)
				break;
		if (i == NH_ARRAY_SIZE(keys))
			return false;
		*out |= keys[i].bit;
	}
	return *out != 0;
}

static bool parse_count(const char *v, unsigned max, unsigned *out)
{
	uint64_t n;

	if (!nh_parse_u64(v, strlen(v), max, &n) || n == 0)
		return false;
	*out = (unsigned)n;
	return true;
}

/* One "key = value" line; line is modified. */
static int parse_line(char *line, const char *name, unsigned lineno, nh_config_t *cfg,
		      nh_error_t *err)
{
	char *eq = strchr(line, '='), *key, *value;
	bool ok = true;
	const char *expected = "";

	if (!eq)
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s:%u: expected \"key = value\", got \"%s\"",
			       name, lineno, nh_quote(line, strlen(line), 0));
	*eq = '\0';
	key = nh_strip(line);
	value = nh_strip(eq + 1);
	if (value[0] == '\0')
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s:%u: \"%s\" has an empty value", name,
			       lineno, nh_quote(key, strlen(key), 0));

	if (strcmp(key, "allowed-nodes") == 0) {
		nh_error_t perr = { 0 };

		cfg->allowed_all = strcmp(value, "all") == 0;
		if (!cfg->allowed_all &&
		    nh_nodeset_parse(value, &cfg->allowed_nodes, "allowed-nodes", &perr) < 0)
			return nh_fail(err, NH_EXIT_INVALID, 0, "%s:%u: %s", name, lineno, perr.msg);
		return 0;
	} else if (strcmp(key, "allow-annotation-override") == 0) {
		ok = parse_overrides(value, &cfg->overrides);
		expected = "all, none, or a list of from,mems,on-error,engine,rate";
	} else if (strcmp(key, "default-on-error") == 0) {
		ok = nh_on_error_parse(value, &cfg->default_on_error);
		expected = "fail or warn";
	} else if (strcmp(key, "default-mems") == 0) {
		ok = nh_mems_mode_parse(value, &cfg->default_mems);
		expected = "set or keep";
	} else if (strcmp(key, "default-engine") == 0) {
		ok = nh_engine_parse(value, &cfg->default_engine);
		expected = "migrate_pages or move_pages";
	} else if (strcmp(key, "allowed-engines") == 0) {
		ok = parse_engines(value, &cfg->allowed_engines);
		expected = "a list of migrate_pages,move_pages";
	} else if (strcmp(key, "default-rate") == 0) {
		ok = parse_rate_or_unlimited(value, &cfg->default_rate);
		expected = "unlimited or a rate in bytes per second like 512M or 2G";
	} else if (strcmp(key, "max-rate") == 0) {
		ok = parse_rate_or_unlimited(value, &cfg->max_rate);
		expected = "unlimited or a rate in bytes per second like 512M or 2G";
	} else if (strcmp(key, "workers") == 0) {
		ok = strcmp(value, "auto") == 0 ? (cfg->workers = 0, true) :
						  parse_count(value, WORKERS_MAX, &cfg->workers);
		expected = "auto or a number from 1 to 64";
	} else if (strcmp(key, "batch-time-ms") == 0) {
		ok = parse_count(value, 1000, &cfg->batch_ms);
		expected = "a number from 1 to 1000";
	} else if (strcmp(key, "time-budget-ms") == 0) {
		unsigned ms = 0;

		ok = strcmp(value, "none") == 0 || parse_count(value, 3600000, &ms);
		cfg->time_budget_ms = ms;
		expected = "none or a number of milliseconds from 1 to 3600000";
	} else if (strcmp(key, "max-rounds") == 0) {
		ok = parse_count(value, ROUNDS_MAX, &cfg->max_rounds);
		expected = "a number from 1 to 100";
	} else if (strcmp(key, "max-retries") == 0) {
		ok = parse_count(value, RETRIES_MAX, &cfg->max_retries);
		expected = "a number from 1 to 100";
	} else if (strcmp(key, "nri-premigrate") == 0) {
		static const char *const modes[] = { "annotated", "all", "none" };

		ok = false;
		for (size_t i = 0; i < NH_ARRAY_SIZE(modes); i++)
			if (strcmp(value, modes[i]) == 0) {
				cfg->nri_premigrate = (enum nh_premigrate)i;
				ok = true;
			}
		expected = "annotated, all or none";
	} else if (strcmp(key, "verify-cgroup-id") == 0) {
		ok = strcmp(value, "yes") == 0 || strcmp(value, "no") == 0;
		cfg->verify_cgroup_id = strcmp(value, "no") != 0;
		expected = "yes or no";
	} else if (strcmp(key, "log-level") == 0) {
		ok = nh_log_level_parse(value, &cfg->log_level);
		expected = "error, warn, info or debug";
	} else if (strcmp(key, "log-file") == 0) {
		if (value[0] != '/')
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "%s:%u: log-file \"%s\" is not an absolute path", name, lineno,
				       nh_quote(value, strlen(value), 0));
		free(cfg->log_file);
		cfg->log_file = strdup(value);
		if (!cfg->log_file)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "%s", name);
		return 0;
	} else {
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s:%u: unknown key \"%s\"", name, lineno,
			       nh_quote(key, strlen(key), 0));
	}
	if (!ok)
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s:%u: %s = \"%s\": expected %s", name,
			       lineno, key, nh_quote(value, strlen(value), 0), expected);
	return 0;
}

int nh_config_parse(const char *text, size_t len, const char *name, nh_config_t *cfg,
		    nh_error_t *err)
{
	_cleanup_free_ char *copy = NULL;
	unsigned lineno = 0;
	char *line, *next;

	if (memchr(text, '\0', len))
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s: contains a NUL byte", name);
	copy = strndup(text, len);
	if (!copy)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "%s", name);
	for (line = copy; line; line = next) {
		char *hash;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line = nh_strip(line);
		if (*line && parse_line(line, name, lineno, cfg, err) < 0)
			return -1;
	}
	return 0;
}

int nh_config_load(const char *path, nh_config_t *cfg, nh_error_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len;
	int r;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot open config %s", path);
	if (fstat(fd, &st) < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "cannot stat config %s", path);
	if (!S_ISREG(st.st_mode))
		return nh_fail(err, NH_EXIT_INVALID, 0, "config %s is not a regular file", path);
	r = nh_read_all(fd, NH_CONFIG_MAX, &text, &len);
	if (r == -E2BIG)
		return nh_fail(err, NH_EXIT_INVALID, 0, "config %s is larger than %d bytes", path,
			       NH_CONFIG_MAX);
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read config %s", path);
	return nh_config_parse(text, len, path, cfg, err);
}
