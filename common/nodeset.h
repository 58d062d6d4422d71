/* SPDX-License-Identifier: Apache-2.0 */
/* Sets of NUMA nodes (and of CPUs) as bit masks, with the strict list
 * parser used for every node list a user or the kernel writes: "1", "0-3",
 * "0,2-3". */
#ifndef NH_NODESET_H
#define NH_NODESET_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* The kernel's largest MAX_NUMNODES (NODES_SHIFT = 10). */
#define NH_MAX_NODES 1024
#define NH_MAX_CPUS 8192
#define NH_LONG_BITS (8 * sizeof(unsigned long))

typedef struct nh_nodeset {
	unsigned long bits[NH_MAX_NODES / NH_LONG_BITS];
} nh_nodeset_t;

typedef struct nh_cpuset {
	unsigned long bits[NH_MAX_CPUS / NH_LONG_BITS];
} nh_cpuset_t;

/* Longest list the parser accepts; the longest meaningful list,
 * "0,2,4,...,1022", is about 2.4 KiB. */
#define NH_NODELIST_MAX 4096

/* A bit mask of nbits bits. */
void nh_bits_set(unsigned long *bits, unsigned n);
bool nh_bits_test(const unsigned long *bits, unsigned nbits, unsigned n);

/* Parse a list of numbers below nbits into bits (cleared first).
 * kernel_format: an empty string (or just "\n") is the empty set and one
 * trailing newline is allowed, as in cpuset.mems or sysfs files; otherwise
 * the list must not be empty. what names the list in error messages.
 * Errors are NH_EXIT_INVALID with a message naming the value and reason. */
int nh_list_parse(const char *s, size_t len, unsigned long *bits, unsigned nbits,
		  bool kernel_format, const char *what, nh_error_t *err);

int nh_nodeset_parse(const char *s, nh_nodeset_t *out, const char *what, nh_error_t *err);
int nh_nodeset_parse_kernel(const char *s, size_t len, nh_nodeset_t *out, const char *what,
			    nh_error_t *err);
int nh_cpuset_parse_kernel(const char *s, size_t len, nh_cpuset_t *out, const char *what,
			   nh_error_t *err);

void nh_nodeset_clear(nh_nodeset_t *s);
void nh_nodeset_add(nh_nodeset_t *s, unsigned node);
bool nh_nodeset_has(const nh_nodeset_t *s, unsigned node);
unsigned nh_nodeset_count(const nh_nodeset_t *s);
bool nh_nodeset_empty(const nh_nodeset_t *s);
bool nh_nodeset_equal(const nh_nodeset_t *a, const nh_nodeset_t *b);
bool nh_nodeset_subset(const nh_nodeset_t *a, const nh_nodeset_t *b); /* a ⊆ b */
void nh_nodeset_and(nh_nodeset_t *dst, const nh_nodeset_t *a, const nh_nodeset_t *b);
void nh_nodeset_or(nh_nodeset_t *dst, const nh_nodeset_t *a, const nh_nodeset_t *b);
void nh_nodeset_andnot(nh_nodeset_t *dst, const nh_nodeset_t *a, const nh_nodeset_t *b);
/* The lowest node >= from in s, or -1. */
int nh_nodeset_next(const nh_nodeset_t *s, unsigned from);
/* The highest node in s plus one (0 for the empty set). */
unsigned nh_nodeset_span(const nh_nodeset_t *s);

bool nh_cpuset_has(const nh_cpuset_t *s, unsigned cpu);
bool nh_cpuset_intersects(const nh_cpuset_t *a, const nh_cpuset_t *b);

/* "0-2,5"; "" for the empty set. buf is always terminated; a list that does
 * not fit ends in "...". */
const char *nh_nodeset_format(const nh_nodeset_t *s, char *buf, size_t size);
#define NH_NODESET_STR_MAX 4200
/* The same, but "none" for the empty set: for messages people read. */
const char *nh_nodeset_name(const nh_nodeset_t *s, char *buf, size_t size);

#endif
