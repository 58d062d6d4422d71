/* SPDX-License-Identifier: Apache-2.0 */
/* One error idiom for every module: a function that fails returns a negative
 * value and fills an nh_error with the exit class, errno and one message
 * line; only the top of the program prints it. */
#ifndef NH_ERROR_H
#define NH_ERROR_H

#include <stddef.h>

/* Exit status contract (README, "Exit status"). */
enum nh_exit {
	NH_EXIT_OK = 0,      /* done, or nothing to do */
	NH_EXIT_INVALID = 1, /* the request or input is invalid or not allowed */
	NH_EXIT_SYSTEM = 2,  /* the system refused or the work is incomplete */
};

#define NH_ERROR_MSG_MAX 8192

typedef struct nh_error {
	int status; /* enum nh_exit; 0 while no error is set */
	int errnum; /* errno of the failing call, 0 if none */
	char msg[NH_ERROR_MSG_MAX];
} nh_error_t;

/* Fill err (the first failure wins) and return -1. errnum != 0 appends
 * ": strerror(errnum)". */
int nh_fail(nh_error_t *err, int status, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Put context in front of an existing message: "CONTEXT: old message". */
int nh_prefix(nh_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void nh_error_clear(nh_error_t *err);

#endif
