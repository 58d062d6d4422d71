/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>

#include "common/util.h"
#include "numa/placement.h"

/* numa_maps of a very large process can be many MiB. */
#define NUMA_MAPS_MAX (256u * 1024 * 1024)

static uint64_t line_page_factor(const char *line, const char *eol)
{
	static const char key[] = " kernelpagesize_kB=";
	const char *k = line;
	uint64_t kb;

	while ((k = memmem(k, (size_t)(eol - k), key, sizeof(key) - 1))) {
		const char *v = k + sizeof(key) - 1;
		size_t n = 0;

		/* Not strspn: the text need not be NUL-terminated at eol. */
		while (v + n < eol && v[n] >= '0' && v[n] <= '9')
			n++;

		size_t base_kb = nh_page_size() / 1024;

		if (nh_parse_u64(v, n, UINT64_MAX / 1024, &kb) && kb >= base_kb)
			return kb / base_kb;
		break;
	}
	return 1;
}

int nh_placement_parse(const char *text, size_t len, nh_placement_t *p, nh_error_t *err)
{
	const char *end = text + len;

	for (const char *line = text; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		uint64_t factor;

		if (!eol)
			eol = end;
		factor = line_page_factor(line, eol);
		for (const char *t = line; t < eol;) {
			const char *sp = memchr(t, ' ', (size_t)(eol - t));
			const char *tok_end = sp ? sp : eol;

			if (tok_end - t > 1 && t[0] == 'N') {
				const char *eq = memchr(t, '=', (size_t)(tok_end - t));
				uint64_t node, pages;

				if (eq && nh_parse_u64(t + 1, (size_t)(eq - t - 1), NH_MAX_NODES - 1, &node) &&
				    nh_parse_u64(eq + 1, (size_t)(tok_end - eq - 1), UINT64_MAX / 512, &pages))
					p->pages[node] += pages * factor;
				else
					return nh_fail(err, NH_EXIT_SYSTEM, 0,
						       "numa_maps: cannot parse \"%s\"",
						       nh_quote(t, (size_t)(tok_end - t), 0));
			}
			t = tok_end + 1;
		}
		line = eol + 1;
	}
	return 0;
}

int nh_placement_read(int proc_dirfd, nh_placement_t *p, nh_error_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = nh_read_file_at(proc_dirfd, "numa_maps", NUMA_MAPS_MAX, &text, &len);

	if (r == -ENOENT || r == -ESRCH)
		return -ESRCH;
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, -r, "cannot read numa_maps");
	return nh_placement_parse(text, len, p, err);
}

uint64_t nh_placement_sum(const nh_placement_t *p, const nh_nodeset_t *nodes)
{
	uint64_t sum = 0;

	for (int n = nh_nodeset_next(nodes, 0); n >= 0; n = nh_nodeset_next(nodes, (unsigned)n + 1))
		sum += p->pages[n];
	return sum;
}

/* "KEY N0=V N1=V ...": the values of the line into per_node. */
static int numa_stat_line(const char *t, const char *eol, uint64_t *per_node, nh_error_t *err)
{
	while (t < eol) {
		const char *sp = memchr(t, ' ', (size_t)(eol - t));
		const char *tok_end = sp ? sp : eol;
		const char *eq = memchr(t, '=', (size_t)(tok_end - t));
		uint64_t node, bytes;

		if (tok_end == t) { /* a second space */
			t++;
			continue;
		}
		if (t[0] != 'N' || !eq ||
		    !nh_parse_u64(t + 1, (size_t)(eq - t - 1), NH_MAX_NODES - 1, &node) ||
		    !nh_parse_u64(eq + 1, (size_t)(tok_end - eq - 1), UINT64_MAX, &bytes))
			return nh_fail(err, NH_EXIT_SYSTEM, 0, "memory.numa_stat: cannot parse \"%s\"",
				       nh_quote(t, (size_t)(tok_end - t), 0));
		per_node[node] = bytes;
		t = tok_end + 1;
	}
	return 0;
}

int nh_numa_stat_parse(const char *text, size_t len, nh_numa_stat_t *st, nh_error_t *err)
{
	const char *end = text + len;

	memset(st, 0, sizeof(*st));
	for (const char *line = text; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *sp;
		uint64_t *per_node = NULL;
		size_t key_len;

		if (!eol)
			eol = end;
		sp = memchr(line, ' ', (size_t)(eol - line));
		key_len = (size_t)((sp ? sp : eol) - line);
		if (key_len == 4 && memcmp(line, "anon", 4) == 0)
			per_node = st->anon;
		else if (key_len == 4 && memcmp(line, "file", 4) == 0)
			per_node = st->file;
		else if (key_len == 5 && memcmp(line, "shmem", 5) == 0)
			per_node = st->shmem;
		if (per_node && sp && numa_stat_line(sp + 1, eol, per_node, err) < 0) {
			memset(st, 0, sizeof(*st));
			return -1;
		}
		line = eol + 1;
	}
	return 0;
}
