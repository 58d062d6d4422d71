/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the move_pages engine's plan: nh_walk_plan_parse over the texts of
 * /proc/<pid>/maps and /proc/<pid>/numa_maps.
 *
 * Input: byte 0 chooses the chunk (the page size << (byte & 15): 4 KiB to
 * 128 MiB with 4 KiB pages; the hook uses 32 MiB, 13); byte 1 the source
 * nodes (bit i: node i of 0-7), whose pages go to the other nodes of 0-7 as
 * nh_node_map() maps them; then the maps text, a NUL byte and the numa_maps
 * text (neither file can hold a NUL byte; without one, numa_maps is empty).
 *
 * Any input: the error contract; a failed parse leaves an empty plan; every
 * range is non-empty, at most chunk bytes and inside a mapping of maps, in
 * the order of maps. Input shaped as the kernel writes it (each line in the
 * kernel's format, maps page-aligned, sorted and without overlaps, numa_maps
 * sorted): the parse succeeds and the plan is exactly the chunks of the
 * mappings that hold pages on a source node, but [vsyscall], [vvar], [vvar_vclock] and
 * [vdso] -- so the ranges are sorted, disjoint and page-aligned -- or, past
 * NH_WALK_PLAN_MAX_RANGES of them, no range and too_sparse; span_pages and
 * source_pages are their sums, and source_pages <= span_pages when no
 * numa_maps line counts more pages than its mapping spans. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>

#include "common/util.h"
#include "fuzz/fuzz_common.h"
#include "numa/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parser reads this much of a maps line. */
#define MAPS_LINE_MAX 511

struct mapping {
	unsigned long long lo, hi;
	bool special;    /* [vsyscall], [vvar], [vvar_vclock] or [vdso] (kernel-shaped input) */
	uint64_t source; /* its pages on a source node per numa_maps (idem) */
};

struct input {
	const char *maps, *numa_maps;
	size_t maps_len, numa_maps_len, chunk, page;
	int map[NH_MAX_NODES];
	struct mapping *m; /* the maps lines the parser reads, in order */
	size_t n;
	uint64_t ranges; /* chunks of the mappings that go into the plan (saturating) */
};

/* Lines as the parser splits them: on '\n', the last one may lack it. */
static const char *next_line(const char *line, const char *end, size_t *len)
{
	const char *eol = memchr(line, '\n', (size_t)(end - line));

	if (!eol)
		eol = end;
	*len = (size_t)(eol - line);
	return eol + 1;
}

/* The pages a numa_maps line counts, read as the parser reads them (only to
 * bound the work an input asks for). */
static uint64_t parser_source(const char *line, const int *map, size_t page)
{
	uint64_t pages = 0, factor = 1, kb, count;
	const char *k = strstr(line, " kernelpagesize_kB=");
	unsigned node;

	if (k && sscanf(k, " kernelpagesize_kB=%" SCNu64, &kb) == 1 && kb >= page / 1024)
		factor = kb / (page / 1024);
	for (const char *t = strstr(line, " N"); t; t = strstr(t + 1, " N"))
		if (sscanf(t, " N%u=%" SCNu64, &node, &count) == 2 && node < NH_MAX_NODES &&
		    map[node] >= 0 && map[node] != (int)node)
			pages += count * factor;
	return pages;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* The starts of the numa_maps lines that count pages on a source node. */
static unsigned long long *source_starts(const struct input *in, size_t *n)
{
	const char *end = in->numa_maps + in->numa_maps_len;
	unsigned long long *starts = NULL, start;
	size_t cap = 0;

	*n = 0;
	for (const char *line = in->numa_maps; line < end;) {
		const char *p = line;
		char *buf;
		size_t l;

		line = next_line(line, end, &l);
		buf = strndup(p, l);
		if (!buf)
			abort();
		if (sscanf(buf, "%llx ", &start) == 1 && parser_source(buf, in->map, in->page) > 0) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				starts = realloc(starts, cap * sizeof(*starts));
				if (!starts)
					abort();
			}
			starts[(*n)++] = start;
		}
		free(buf);
	}
	if (*n)
		qsort(starts, *n, sizeof(*starts), cmp_ull);
	return starts;
}

static bool special_name(const char *name, size_t len)
{
	static const char *const special[] = { "[vsyscall]", "[vvar]", "[vvar_vclock]", "[vdso]" };

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (len == strlen(special[i]) && memcmp(name, special[i], len) == 0)
			return true;
	return false;
}

/* The mappings as the parser reads maps, and how many ranges they would
 * make (the parser keeps none past NH_WALK_PLAN_MAX_RANGES). */
static void read_mappings(struct input *in)
{
	const char *end = in->maps + in->maps_len;
	size_t n_starts, cap = 0;
	unsigned long long *starts = source_starts(in, &n_starts);
	uint64_t ranges = 0;

	for (const char *line = in->maps; line < end;) {
		const char *p = line;
		char buf[MAPS_LINE_MAX + 1], name[64] = "";
		unsigned long long lo, hi, steps;
		size_t l;

		line = next_line(line, end, &l);
		if (l > MAPS_LINE_MAX)
			l = MAPS_LINE_MAX;
		memcpy(buf, p, l);
		buf[l] = '\0';
		if (l == 0 || sscanf(buf, "%llx-%llx %*s %*s %*s %*s %63s", &lo, &hi, name) < 2 ||
		    hi <= lo)
			continue;
		if (in->n == cap) {
			cap = cap ? 2 * cap : 16;
			in->m = realloc(in->m, cap * sizeof(*in->m));
			if (!in->m)
				abort();
		}
		in->m[in->n++] = (struct mapping){ .lo = lo, .hi = hi };
		if (special_name(name, strlen(name)) || n_starts == 0 ||
		    !bsearch(&lo, starts, n_starts, sizeof(*starts), cmp_ull))
			continue;
		steps = (hi - lo) / in->chunk + ((hi - lo) % in->chunk != 0);
		ranges = ranges > UINT64_MAX - steps ? UINT64_MAX : ranges + steps;
	}
	in->ranges = ranges;
	free(starts);
}

/* Strict readers of the kernel's formats: each moves *p past what it took. */
static bool take_char(const char **p, const char *end, char c)
{
	if (*p == end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* Lowercase hex digits, 1 to max_digits of them. */
static bool take_hex(const char **p, const char *end, unsigned max_digits,
		     unsigned long long *v)
{
	unsigned k = 0;

	for (*v = 0; *p < end && k < max_digits; (*p)++, k++) {
		if (**p >= '0' && **p <= '9')
			*v = *v << 4 | (unsigned)(**p - '0');
		else if (**p >= 'a' && **p <= 'f')
			*v = *v << 4 | (unsigned)(**p - 'a' + 10);
		else
			break;
	}
	return k > 0;
}

static bool take_dec(const char **p, const char *end, unsigned max_digits,
		     unsigned long long *v)
{
	unsigned k = 0;

	for (*v = 0; *p < end && k < max_digits && **p >= '0' && **p <= '9'; (*p)++, k++)
		*v = *v * 10 + (unsigned)(**p - '0');
	return k > 0;
}

static bool at_space_or_end(const char *p, const char *end)
{
	return p == end || *p == ' ';
}

/* A maps line as show_map_vma() writes it:
 * "lo-hi perms offset major:minor inode[ padding name]". */
static bool kernel_maps_line(const char *p, const char *end, struct mapping *m)
{
	const char *line = p, *name;
	unsigned long long lo, hi, x;

	if (!take_hex(&p, end, 16, &lo) || !take_char(&p, end, '-') ||
	    !take_hex(&p, end, 16, &hi) || !take_char(&p, end, ' '))
		return false;
	if (end - p < 5 || (p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's') || p[4] != ' ')
		return false;
	p += 5;
	if (!take_hex(&p, end, 16, &x) || !take_char(&p, end, ' ') || !take_hex(&p, end, 8, &x) ||
	    !take_char(&p, end, ':') || !take_hex(&p, end, 8, &x) || !take_char(&p, end, ' ') ||
	    !take_dec(&p, end, 20, &x) || !at_space_or_end(p, end))
		return false;
	/* The name is read as sscanf's %s reads it: a file's name may hold
	 * any byte but '\n' (which maps escapes). */
	while (p < end && isspace((unsigned char)*p))
		p++;
	name = p;
	while (p < end && !isspace((unsigned char)*p))
		p++;
	/* The name must lie within what the parser reads of the line. */
	if (p - line > MAPS_LINE_MAX)
		return false;
	if (hi <= lo)
		return false;
	/* The harness must read the addresses as the parser does. */
	FUZZ_ASSERT(lo == m->lo && hi == m->hi);
	m->special = special_name(name, (size_t)(p - name));
	return true;
}

/* A numa_maps line as show_numa_map() writes it, "start policy token...",
 * file names with their spaces escaped. Its pages on a source node: the
 * N<node>=<pages> of nodes that the map moves, in kernelpagesize_kB pages. */
static bool kernel_numa_line(const char *p, const char *end, const int *map, size_t page,
			     unsigned long long *start, uint64_t *source)
{
	unsigned long long kb = 0, node, count, factor = 1;
	bool have_kb = false;
	uint64_t sum = 0;

	if (!take_hex(&p, end, 16, start) || !at_space_or_end(p, end))
		return false;
	while (p < end) {
		const char *tok, *q;

		if (!take_char(&p, end, ' ') || p == end || *p == ' ')
			return false;
		for (tok = p; p < end && *p != ' '; p++)
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
				return false;
		q = tok + 1;
		if (tok[0] == 'N') {
			if (!take_dec(&q, p, 4, &node) || !take_char(&q, p, '=') ||
			    !take_dec(&q, p, 10, &count) || q != p)
				return false;
			if (node < NH_MAX_NODES && map[node] >= 0 && map[node] != (int)node)
				sum += count; /* each < 10^10: cannot wrap */
		} else if (p - tok >= 18 && memcmp(tok, "kernelpagesize_kB=", 18) == 0) {
			q = tok + 18;
			if (have_kb || !take_dec(&q, p, 8, &kb) || q != p)
				return false;
			have_kb = true;
		}
	}
	if (have_kb && kb >= page / 1024)
		factor = kb / (page / 1024);
	return !__builtin_mul_overflow(sum, factor, source);
}

/* Whether both texts are shaped as the kernel writes them; then fills the
 * mappings' special and source. */
static bool kernel_shaped(struct input *in)
{
	const char *end = in->maps + in->maps_len;
	unsigned long long prev_hi = 0, prev_start = 0, start;
	size_t i = 0, l;
	bool first = true;

	for (const char *line = in->maps; line < end; i++) {
		const char *p = line;

		line = next_line(line, end, &l);
		if (i >= in->n || !kernel_maps_line(p, p + l, &in->m[i]))
			return false;
		if (in->m[i].lo % in->page || in->m[i].hi % in->page || in->m[i].lo < prev_hi)
			return false;
		prev_hi = in->m[i].hi;
		in->m[i].source = 0;
	}
	if (i != in->n)
		return false;
	end = in->numa_maps + in->numa_maps_len;
	i = 0;
	for (const char *line = in->numa_maps; line < end; first = false) {
		const char *p = line;
		uint64_t source;

		line = next_line(line, end, &l);
		if (!kernel_numa_line(p, p + l, in->map, in->page, &start, &source))
			return false;
		if (!first && start <= prev_start)
			return false;
		prev_start = start;
		while (i < in->n && in->m[i].lo < start)
			i++;
		if (i < in->n && in->m[i].lo == start)
			in->m[i].source = source;
	}
	return true;
}

/* Any input: ranges non-empty, at most a chunk, each inside a mapping of
 * maps, following the order of maps. */
static void check_ranges(const struct input *in, const nh_walk_plan_t *plan)
{
	size_t j = 0;

	if (plan->n == 0 && !plan->too_sparse)
		FUZZ_ASSERT(plan->span_pages == 0 && plan->source_pages == 0);
	for (size_t k = 0; k < plan->n; k++) {
		const nh_range_t *r = &plan->ranges[k];

		FUZZ_ASSERT(r->start < r->end);
		FUZZ_ASSERT(r->end - r->start <= in->chunk);
		while (j < in->n && !(in->m[j].lo <= r->start && r->end <= in->m[j].hi))
			j++;
		FUZZ_ASSERT(j < in->n);
	}
}

/* Kernel-shaped input: the plan is exactly the chunks of the mappings that
 * hold pages on a source node, but the special ones. */
static void check_plan(const struct input *in, const nh_walk_plan_t *plan)
{
	uint64_t span = 0, source = 0;
	bool snapshot = true;
	size_t k = 0;

	for (size_t i = 0; i < in->n; i++) {
		const struct mapping *m = &in->m[i];
		uint64_t pages = (m->hi - m->lo) / in->page;

		if (m->special || m->source == 0)
			continue;
		span += pages;
		source += m->source; /* wraps as the plan's sum does */
		if (m->source > pages)
			snapshot = false;
		if (plan->too_sparse)
			continue;
		for (unsigned long long a = m->lo, b; a < m->hi; a = b, k++) {
			b = m->hi - a > in->chunk ? a + in->chunk : m->hi;
			FUZZ_ASSERT(k < plan->n);
			FUZZ_ASSERT(plan->ranges[k].start == a);
			FUZZ_ASSERT(plan->ranges[k].end == b);
		}
	}
	/* Past NH_WALK_PLAN_MAX_RANGES the plan keeps no range, only the sums. */
	FUZZ_ASSERT(plan->too_sparse == (in->ranges > NH_WALK_PLAN_MAX_RANGES));
	FUZZ_ASSERT(!plan->too_sparse || (plan->n == 0 && plan->ranges == NULL));
	FUZZ_ASSERT(k == plan->n);
	FUZZ_ASSERT(plan->span_pages == span);
	FUZZ_ASSERT(plan->source_pages == source);
	for (k = 0; k < plan->n; k++) {
		FUZZ_ASSERT(plan->ranges[k].start % in->page == 0);
		FUZZ_ASSERT(plan->ranges[k].end % in->page == 0);
		if (k > 0)
			FUZZ_ASSERT(plan->ranges[k - 1].end <= plan->ranges[k].start);
	}
	if (snapshot)
		FUZZ_ASSERT(plan->source_pages <= plan->span_pages);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { 0 };
	nh_walk_plan_t plan;
	nh_nodeset_t from, to;
	nh_error_t err = { 0 };
	char *text, *sep;
	int r;

	if (size < 2)
		return -1;
	in.page = nh_page_size();
	in.chunk = in.page << (data[0] & 15);
	nh_nodeset_clear(&from);
	nh_nodeset_clear(&to);
	for (unsigned n = 0; n < 8; n++)
		nh_nodeset_add(data[1] & 1u << n ? &from : &to, n);
	nh_node_map(&from, &to, in.map);
	text = fuzz_text(data + 2, size - 2);
	in.maps = text;
	sep = memchr(text, '\0', size - 2);
	if (sep) {
		in.maps_len = (size_t)(sep - text);
		in.numa_maps = sep + 1;
		in.numa_maps_len = size - 2 - in.maps_len - 1;
	} else {
		in.maps_len = size - 2;
		in.numa_maps = text + size - 2;
		in.numa_maps_len = 0;
	}
	read_mappings(&in);
	/* Both texts are NUL-terminated, as the readers of /proc leave them. */
	r = nh_walk_plan_parse(in.maps, in.maps_len, in.numa_maps, in.numa_maps_len, in.map,
			       in.chunk, &plan, &err);
	fuzz_check_result(r, &err);
	if (r < 0) {
		FUZZ_ASSERT(plan.ranges == NULL && plan.n == 0);
		FUZZ_ASSERT(plan.span_pages == 0 && plan.source_pages == 0);
	} else {
		check_ranges(&in, &plan);
	}
	if (kernel_shaped(&in)) {
		FUZZ_ASSERT(r == 0);
		check_plan(&in, &plan);
	}
	nh_walk_plan_free(&plan);
	free(in.m);
	free(text);
	return 0;
}
