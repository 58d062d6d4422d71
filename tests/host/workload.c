/* SPDX-License-Identifier: Apache-2.0 */
/* A container stand-in: touches N MiB, starts T threads, writes its pid to a
 * ready file, then waits to be killed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	size_t mib, threads;
	char *mem;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: workload MIB THREADS READY_FILE\n");
		return 2;
	}
	mib = strtoul(argv[1], NULL, 10);
	threads = strtoul(argv[2], NULL, 10);
	mem = mmap(NULL, mib << 20 ? mib << 20 : 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 0x5a, mib << 20);
	for (size_t i = 0; i < threads; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, idle, NULL) != 0)
			return 1;
	}
	f = fopen(argv[3], "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	for (;;)
		pause();
}
