/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/systemd.h"
#include "common/run.h"
#include "common/util.h"

#define SYSTEMCTL_TIMEOUT_MS 30000
#define UNIT_MAX 256

int nh_systemd_running(void)
{
	return access("/run/systemd/system/", F_OK) == 0;
}

static const char *systemctl_path(void)
{
	static const char *const paths[] = { "/usr/bin/systemctl", "/bin/systemctl" };

	for (size_t i = 0; i < NH_ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* systemctl ARGS...; what names the call in an error. */
static int systemctl(const char *const *args, const char *what, char **out, nh_error_t *err)
{
	const char *argv[8] = { systemctl_path() };
	_cleanup_free_ char *errout = NULL;
	size_t n = 1;
	int r;

	if (!argv[0])
		return nh_fail(err, NH_EXIT_SYSTEM, 0,
			       "systemd manages the container's cgroup, but systemctl was not found "
			       "in /usr/bin or /bin");
	for (; args[n - 1] && n < NH_ARRAY_SIZE(argv) - 1; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	r = nh_run(argv, SYSTEMCTL_TIMEOUT_MS, out, &errout, 4096, err);
	if (r > 0) {
		char *nl = strchr(errout, '\n');

		if (nl)
			*nl = '\0';
		nh_fail(err, NH_EXIT_SYSTEM, 0, "systemctl %s failed (exit status %d): %s", what, r,
			errout[0] ? nh_quote(errout, strlen(errout), 0) : "no message");
		if (out) {
			free(*out);
			*out = NULL;
		}
		return -1;
	}
	return r;
}

/* Units whose ControlGroup was asked already: a hook run writes a level
 * up to three times. (The NRI plugin asks from several threads.) */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *path;
	char unit[UNIT_MAX];
	int owned;
} cache[8];

static bool unit_suffix(const char *name)
{
	static const char *const suffixes[] = { ".scope", ".service", ".slice" };
	size_t len = strlen(name);

	for (size_t i = 0; i < NH_ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len > sl && strcmp(name + len - sl, suffixes[i]) == 0)
			return true;
	}
	return false;
}

int nh_systemd_unit_of(const char *path, char *unit, size_t size, nh_error_t *err)
{
	const char *base = strrchr(path, '/');
	_cleanup_free_ char *out = NULL;
	size_t i;

	base = base ? base + 1 : path;
	if (!nh_systemd_running() || !unit_suffix(base) || strlen(base) >= UNIT_MAX ||
	    strlen(base) >= size)
		return 0;
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < NH_ARRAY_SIZE(cache) && cache[i].path; i++)
		if (strcmp(cache[i].path, path) == 0) {
			int owned = cache[i].owned;

			snprintf(unit, size, "%s", cache[i].unit);
			pthread_mutex_unlock(&cache_lock);
			return owned;
		}
	pthread_mutex_unlock(&cache_lock);
	{
		const char *args[] = { "show", "--property=ControlGroup", "--value", "--", base, NULL };

		char what[UNIT_MAX + 32];

		snprintf(what, sizeof(what), "show %s", base);
		if (systemctl(args, what, &out, err) < 0)
			return -1;
	}
	snprintf(unit, size, "%s", base);
	nh_strip(out);
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < NH_ARRAY_SIZE(cache) && cache[i].path; i++)
		;
	if (i < NH_ARRAY_SIZE(cache) && (cache[i].path = strdup(path))) {
		snprintf(cache[i].unit, sizeof(cache[i].unit), "%s", base);
		cache[i].owned = strcmp(out, path) == 0;
	}
	pthread_mutex_unlock(&cache_lock);
	return strcmp(out, path) == 0;
}

int nh_systemd_set_mems(const char *unit, const char *mems, nh_error_t *err)
{
	char prop[64 + 4096];
	const char *args[] = { "set-property", "--runtime", "--", unit, prop, NULL };

	char what[sizeof(prop) + UNIT_MAX + 32];

	snprintf(prop, sizeof(prop), "AllowedMemoryNodes=%s", mems);
	snprintf(what, sizeof(what), "set-property %s %s", unit, prop);
	return systemctl(args, what, NULL, err) < 0 ? -1 : 0;
}
