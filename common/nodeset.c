/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "common/nodeset.h"

void nh_bits_set(unsigned long *bits, unsigned n)
{
	bits[n / NH_LONG_BITS] |= 1UL << (n % NH_LONG_BITS);
}

bool nh_bits_test(const unsigned long *bits, unsigned nbits, unsigned n)
{
	return n < nbits && (bits[n / NH_LONG_BITS] >> (n % NH_LONG_BITS)) & 1UL;
}

/* One number of a list: digits only, below nbits. */
static int parse_number(const char *s, size_t len, unsigned nbits, const char *what,
			const char *whole, size_t whole_len, unsigned *out, nh_error_t *err)
{
	uint64_t v;

	if (len == 0)
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s \"%s\": empty item", what,
			       nh_quote(whole, whole_len, 0));
	/* Digits first: "0x1" is not a number, not a number with a leading zero. */
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "%s \"%s\": \"%s\" is not a number (expected a list like 0-1,3)",
				       what, nh_quote(whole, whole_len, 0), nh_quote(s, len, 1));
	if (len > 1 && s[0] == '0')
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s \"%s\": \"%s\" has a leading zero",
			       what, nh_quote(whole, whole_len, 0), nh_quote(s, len, 1));
	if (!nh_parse_u64(s, len, nbits - 1, &v))
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s \"%s\": %s is out of range (0-%u)",
			       what, nh_quote(whole, whole_len, 0), nh_quote(s, len, 1), nbits - 1);
	*out = (unsigned)v;
	return 0;
}

int nh_list_parse(const char *s, size_t len, unsigned long *bits, unsigned nbits,
		  bool kernel_format, const char *what, nh_error_t *err)
{
	const char *whole = s;
	size_t whole_len = len;
	const char *end;

	memset(bits, 0, nbits / 8);
	if (memchr(s, '\0', len))
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s \"%s\": contains a NUL byte", what,
			       nh_quote(whole, whole_len, 0));
	if (len > NH_NODELIST_MAX && !kernel_format)
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s: list of %zu bytes is too long (at most %d)",
			       what, len, NH_NODELIST_MAX);
	if (kernel_format) {
		if (len > 0 && s[len - 1] == '\n')
			len--;
		if (len == 0)
			return 0;
	} else if (len == 0) {
		return nh_fail(err, NH_EXIT_INVALID, 0, "%s: empty value (expected a list like 0-1,3)",
			       what);
	}

	end = s + len;
	while (s <= end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma ? comma : end;
		const char *dash = memchr(s, '-', (size_t)(item_end - s));
		unsigned lo, hi;

		if (dash) {
			if (parse_number(s, (size_t)(dash - s), nbits, what, whole, whole_len, &lo, err) < 0 ||
			    parse_number(dash + 1, (size_t)(item_end - dash - 1), nbits, what, whole,
					 whole_len, &hi, err) < 0)
				return -1;
			if (hi < lo)
				return nh_fail(err, NH_EXIT_INVALID, 0,
					       "%s \"%s\": range %u-%u is reversed", what,
					       nh_quote(whole, whole_len, 0), lo, hi);
		} else {
			if (parse_number(s, (size_t)(item_end - s), nbits, what, whole, whole_len, &lo,
					 err) < 0)
				return -1;
			hi = lo;
		}
		for (unsigned n = lo; n <= hi; n++) {
			if (!kernel_format && nh_bits_test(bits, nbits, n))
				return nh_fail(err, NH_EXIT_INVALID, 0,
					       "%s \"%s\": node %u is listed twice", what,
					       nh_quote(whole, whole_len, 0), n);
			nh_bits_set(bits, n);
		}
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

int nh_nodeset_parse(const char *s, nh_nodeset_t *out, const char *what, nh_error_t *err)
{
	return nh_list_parse(s, strlen(s), out->bits, NH_MAX_NODES, false, what, err);
}

int nh_nodeset_parse_kernel(const char *s, size_t len, nh_nodeset_t *out, const char *what,
			    nh_error_t *err)
{
	return nh_list_parse(s, len, out->bits, NH_MAX_NODES, true, what, err);
}

int nh_cpuset_parse_kernel(const char *s, size_t len, nh_cpuset_t *out, const char *what,
			   nh_error_t *err)
{
	return nh_list_parse(s, len, out->bits, NH_MAX_CPUS, true, what, err);
}

void nh_nodeset_clear(nh_nodeset_t *s) { memset(s, 0, sizeof(*s)); }
void nh_nodeset_add(nh_nodeset_t *s, unsigned node)
{
	if (node < NH_MAX_NODES)
		nh_bits_set(s->bits, node);
}
bool nh_nodeset_has(const nh_nodeset_t *s, unsigned node)
{
	return nh_bits_test(s->bits, NH_MAX_NODES, node);
}

unsigned nh_nodeset_count(const nh_nodeset_t *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < NH_ARRAY_SIZE(s->bits); i++)
		n += (unsigned)__builtin_popcountl(s->bits[i]);
	return n;
}

bool nh_nodeset_empty(const nh_nodeset_t *s) { return nh_nodeset_count(s) == 0; }

bool nh_nodeset_equal(const nh_nodeset_t *a, const nh_nodeset_t *b)
{
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

bool nh_nodeset_subset(const nh_nodeset_t *a, const nh_nodeset_t *b)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(a->bits); i++)
		if (a->bits[i] & ~b->bits[i])
			return false;
	return true;
}

void nh_nodeset_and(nh_nodeset_t *dst, const nh_nodeset_t *a, const nh_nodeset_t *b)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(dst->bits); i++)
		dst->bits[i] = a->bits[i] & b->bits[i];
}

void nh_nodeset_or(nh_nodeset_t *dst, const nh_nodeset_t *a, const nh_nodeset_t *b)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(dst->bits); i++)
		dst->bits[i] = a->bits[i] | b->bits[i];
}

void nh_nodeset_andnot(nh_nodeset_t *dst, const nh_nodeset_t *a, const nh_nodeset_t *b)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(dst->bits); i++)
		dst->bits[i] = a->bits[i] & ~b->bits[i];
}

int nh_nodeset_next(const nh_nodeset_t *s, unsigned from)
{
	for (unsigned n = from; n < NH_MAX_NODES; n++)
		if (nh_nodeset_has(s, n))
			return (int)n;
	return -1;
}

unsigned nh_nodeset_span(const nh_nodeset_t *s)
{
	for (unsigned n = NH_MAX_NODES; n > 0; n--)
		if (nh_nodeset_has(s, n - 1))
			return n;
	return 0;
}

bool nh_cpuset_has(const nh_cpuset_t *s, unsigned cpu)
{
	return nh_bits_test(s->bits, NH_MAX_CPUS, cpu);
}

bool nh_cpuset_intersects(const nh_cpuset_t *a, const nh_cpuset_t *b)
{
	for (size_t i = 0; i < NH_ARRAY_SIZE(a->bits); i++)
		if (a->bits[i] & b->bits[i])
			return true;
	return false;
}

const char *nh_nodeset_format(const nh_nodeset_t *s, char *buf, size_t size)
{
	size_t used = 0;
	int n = nh_nodeset_next(s, 0);

	buf[0] = '\0';
	while (n >= 0) {
		int last = n;
		int w;

		while (last + 1 < NH_MAX_NODES && nh_nodeset_has(s, (unsigned)last + 1))
			last++;
		if (last == n)
			w = snprintf(buf + used, size - used, "%s%d", used ? "," : "", n);
		else
			w = snprintf(buf + used, size - used, "%s%d-%d", used ? "," : "", n, last);
		if (w < 0 || (size_t)w >= size - used) {
			if (size >= 4)
				strcpy(buf + size - 4, "...");
			return buf;
		}
		used += (size_t)w;
		n = nh_nodeset_next(s, (unsigned)last + 1);
	}
	return buf;
}

const char *nh_nodeset_name(const nh_nodeset_t *s, char *buf, size_t size)
{
	if (nh_nodeset_empty(s)) {
		snprintf(buf, size, "none");
		return buf;
	}
	return nh_nodeset_format(s, buf, size);
}
