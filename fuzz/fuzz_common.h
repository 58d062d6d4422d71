/* SPDX-License-Identifier: Apache-2.0 */
/* Shared checks for the libFuzzer harnesses: every parser error must carry
 * an exit class of the contract and exactly one printable line, because the
 * hook prints err.msg as its single stderr/syslog line. */
#ifndef NH_FUZZ_COMMON_H
#define NH_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A copy of the input that ends in a NUL byte at copy[size], as the parsers
 * require (the hook's reader guarantees it). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/* r is a parser's return value and err what it filled. */
static inline void fuzz_check_result(int r, const nh_error_t *err)
{
	if (r == 0) {
		FUZZ_ASSERT(err->status == 0);
		return;
	}
	FUZZ_ASSERT(r < 0);
	FUZZ_ASSERT(err->status == NH_EXIT_INVALID || err->status == NH_EXIT_SYSTEM);
	FUZZ_ASSERT(err->msg[0] != '\0');
	FUZZ_ASSERT(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	/* One line, no control or non-ASCII bytes from the input. */
	for (const char *p = err->msg; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			fprintf(stderr, "unprintable byte 0x%02x at %zu in error message: %s\n",
				(unsigned char)*p, (size_t)(p - err->msg), err->msg);
			abort();
		}
	}
}

#endif
