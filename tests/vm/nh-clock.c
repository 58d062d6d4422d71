/* SPDX-License-Identifier: Apache-2.0 */
/* nh-clock: print CLOCK_MONOTONIC in milliseconds (with microseconds), for
 * timing inside the test VM, whose busybox date has no %N. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("nh-clock: clock_gettime");
		return 1;
	}
	printf("%lld.%03ld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, (ts.tv_nsec / 1000) % 1000);
	return 0;
}
