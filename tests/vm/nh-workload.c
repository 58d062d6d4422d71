/* SPDX-License-Identifier: Apache-2.0 */
/* nh-workload: a container workload whose memory the VM tests move.
 *
 * It maps and touches memory of three kinds, from several threads, then
 * forks a child that touches memory of its own (and shares only the file
 * mapping with its parent), reports readiness and sleeps until killed:
 *   anon  private anonymous memory with MADV_NOHUGEPAGE (4 KiB pages)
 *   thp   private anonymous memory, 2 MiB aligned, MADV_HUGEPAGE
 *   file  a MAP_SHARED mapping of a file on tmpfs (shared file pages)
 * With --interleave NODES every allocation is spread over those nodes
 * (set_mempolicy MPOL_INTERLEAVE), to have pages on several nodes at once.
 *
 * Readiness: one line "nh-workload: ready ..." on stdout and, with --ready,
 * a file written atomically (rename) that holds the same key=value words,
 * including each region's address range so the placement reader can count
 * pages per region.  Static, no libnuma: the VM has no libraries for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define HUGE_SIZE (2UL * MIB)

struct region {
	const char *name;
	char *addr;
	size_t len;
};

struct touch_job {
	char *addr;
	size_t len;
	size_t page;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	fprintf(stderr, "nh-workload: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	exit(1);
}

static unsigned long parse_ulong(const char *opt, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 65536)
		die("%s: bad number '%s'", opt, s);
	return v;
}

/* set_mempolicy(MPOL_INTERLEAVE) over a comma list of node numbers. */
static void interleave(const char *list)
{
	unsigned long mask[16] = { 0 };
	const char *p = list;

	while (*p) {
		char *end;
		unsigned long node;

		errno = 0;
		node = strtoul(p, &end, 10);
		if (errno || end == p || node >= sizeof(mask) * 8)
			die("--interleave: bad node list '%s'", list);
		mask[node / (sizeof(long) * 8)] |= 1UL << (node % (sizeof(long) * 8));
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			die("--interleave: bad node list '%s'", list);
	}
	/* MPOL_INTERLEAVE is 3 in <linux/mempolicy.h>; no libnuma here. */
	if (syscall(SYS_set_mempolicy, 3, mask, sizeof(mask) * 8 + 1) != 0)
		die("set_mempolicy(MPOL_INTERLEAVE, %s)", list);
}

static void *touch_range(void *arg)
{
	const struct touch_job *job = arg;

	for (size_t off = 0; off < job->len; off += job->page)
		job->addr[off] = (char)(off / job->page + 1);
	return NULL;
}

/* Touch a region from nthreads threads, each writing one slice: the pages
 * are first-touched by different tasks of the same mm. */
static void touch_threaded(char *addr, size_t len, unsigned nthreads)
{
	pthread_t tid[64];
	struct touch_job job[64];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t slice;

	if (len == 0)
		return;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	slice = (len / nthreads + page - 1) / page * page;
	for (unsigned i = 0; i < nthreads; i++) {
		size_t start = i * slice;
		job[i].addr = addr + start;
		job[i].len = start >= len ? 0 : (len - start < slice ? len - start : slice);
		job[i].page = page;
		errno = pthread_create(&tid[i], NULL, touch_range, &job[i]);
		if (errno)
			die("pthread_create");
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
}

static char *map_anon(size_t len, int advice)
{
	char *p;

	if (len == 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap %zu bytes", len);
	if (madvise(p, len, advice) != 0)
		die("madvise %d", advice);
	return p;
}

/* 2 MiB aligned so that every 2 MiB of it can be one transparent huge page. */
static char *map_thp(size_t len)
{
	char *raw, *aligned;
	size_t head, tail;

	if (len == 0)
		return NULL;
	len = (len + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	raw = mmap(NULL, len + HUGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap %zu bytes", len);
	aligned = (char *)(((uintptr_t)raw + HUGE_SIZE - 1) & ~(uintptr_t)(HUGE_SIZE - 1));
	head = (size_t)(aligned - raw);
	tail = HUGE_SIZE - head;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(aligned + len, tail);
	if (madvise(aligned, len, MADV_HUGEPAGE) != 0)
		die("madvise MADV_HUGEPAGE");
	return aligned;
}

static char *map_file(const char *path, size_t len)
{
	int fd;
	char *p;

	if (len == 0)
		return NULL;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open %s", path);
	if (ftruncate(fd, (off_t)len) != 0)
		die("ftruncate %s", path);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s", path);
	close(fd);
	return p;
}

static void wait_for_file(const char *path)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	while (access(path, F_OK) != 0)
		nanosleep(&ts, NULL);
}

static void write_ready(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die("--ready path too long");
	f = fopen(tmp, "we");
	if (!f)
		die("open %s", tmp);
	fprintf(f, "%s\n", text);
	if (fclose(f) != 0)
		die("write %s", tmp);
	if (rename(tmp, path) != 0)
		die("rename %s", tmp);
}

static int append_region(char *buf, size_t size, size_t used, const struct region *r)
{
	int n;

	if (!r->addr)
		return 0;
	n = snprintf(buf + used, size - used, " %s=0x%" PRIxPTR "+%zu", r->name, (uintptr_t)r->addr, r->len);
	return n < 0 || (size_t)n >= size - used ? -1 : n;
}

/* The stall probe: every millisecond write one page of the anon region
 * (walking through it), and keep the longest gap beyond the 1 ms sleep.
 * A page under migration blocks the write until it has moved, so the gap
 * is what the workload feels.  PATH gets "max_us=N samples=N" whenever the
 * maximum grows; creating PATH.reset starts a new measurement. */
struct probe_arg {
	char *addr;
	size_t len;
	const char *path;
};

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *probe(void *arg)
{
	const struct probe_arg *p = arg;
	struct timespec ms = { 0, 1000 * 1000 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE), off = 0;
	long long last = now_us(), max = 0, samples = 0;
	char reset[4096], text[128];

	snprintf(reset, sizeof(reset), "%s.reset", p->path);
	write_ready(p->path, "max_us=0 samples=0");
	for (;;) {
		long long t, gap;

		nanosleep(&ms, NULL);
		p->addr[off]++;
		off = (off + page) % p->len;
		t = now_us();
		gap = t - last - 1000;
		last = t;
		samples++;
		if (access(reset, F_OK) == 0) {
			unlink(reset);
			max = 0;
			samples = 0;
			gap = 0;
			write_ready(p->path, "max_us=0 samples=0");
		}
		if (gap > max) {
			max = gap;
			snprintf(text, sizeof(text), "max_us=%lld samples=%lld", max, samples);
			write_ready(p->path, text);
		}
	}
	return NULL;
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static void *sleeper(void *arg)
{
	(void)arg;
	sleep_forever();
	return NULL;
}

static void usage(void)
{
	fputs("usage: nh-workload [--anon MIB] [--thp MIB] [--file MIB] [--file-path PATH]\n"
	      "                   [--threads N] [--child MIB] [--wait FILE] [--ready FILE]\n"
	      "                   [--interleave NODE,NODE...] [--probe FILE]\n"
	      "  Maps and touches the given MiB of each kind (threads share the work), forks a\n"
	      "  child that touches --child MiB of its own, reports readiness, then sleeps.\n"
	      "  --wait FILE: wait until FILE exists before allocating anything.\n"
	      "  --probe FILE: a thread writes the anon memory every ms and keeps the\n"
	      "  longest stall in FILE (\"max_us=N samples=N\"); FILE.reset restarts it.\n",
	      stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "anon", required_argument, NULL, 'a' },   { "thp", required_argument, NULL, 'h' },
		{ "file", required_argument, NULL, 'f' },   { "file-path", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' }, { "child", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },   { "ready", required_argument, NULL, 'r' },
		{ "interleave", required_argument, NULL, 'i' }, { "probe", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'H' },         { NULL, 0, NULL, 0 },
	};
	unsigned long anon_mib = 0, thp_mib = 0, file_mib = 0, child_mib = 0, nthreads = 4;
	const char *file_path = NULL, *wait_path = NULL, *ready_path = NULL, *interleave_nodes = NULL,
		   *probe_path = NULL;
	char default_file[64], text[1024];
	struct region regions[3];
	int fds[2], opt, used;
	pid_t child;
	char ok;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': anon_mib = parse_ulong("--anon", optarg); break;
		case 'h': thp_mib = parse_ulong("--thp", optarg); break;
		case 'f': file_mib = parse_ulong("--file", optarg); break;
		case 'p': file_path = optarg; break;
		case 't': nthreads = parse_ulong("--threads", optarg); break;
		case 'c': child_mib = parse_ulong("--child", optarg); break;
		case 'w': wait_path = optarg; break;
		case 'r': ready_path = optarg; break;
		case 'i': interleave_nodes = optarg; break;
		case 'P': probe_path = optarg; break;
		case 'H': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	if (!file_path) {
		snprintf(default_file, sizeof(default_file), "/tmp/nh-workload.%d", (int)getpid());
		file_path = default_file;
	}
	if (wait_path)
		wait_for_file(wait_path);
	if (interleave_nodes)
		interleave(interleave_nodes);

	regions[0] = (struct region){ "anon", map_anon(anon_mib * MIB, MADV_NOHUGEPAGE), anon_mib * MIB };
	regions[1] = (struct region){ "thp", map_thp(thp_mib * MIB), thp_mib * MIB };
	regions[2] = (struct region){ "file", map_file(file_path, file_mib * MIB), file_mib * MIB };
	for (int i = 0; i < 3; i++)
		touch_threaded(regions[i].addr, regions[i].len, (unsigned)nthreads);

	/* The child touches its own memory and tells the parent when done. */
	if (pipe(fds) != 0)
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		char *mine;

		/* The private regions stay the parent's alone (no copy-on-write
		 * sharing), so page counts add up; the file stays shared. */
		for (int i = 0; i < 2; i++)
			if (regions[i].addr)
				munmap(regions[i].addr, regions[i].len);
		mine = map_anon(child_mib * MIB, MADV_NOHUGEPAGE);
		close(fds[0]);
		touch_threaded(mine, child_mib * MIB, 1);
		if (write(fds[1], "k", 1) != 1)
			_exit(1);
		close(fds[1]);
		sleep_forever();
	}
	close(fds[1]);
	if (read(fds[0], &ok, 1) != 1)
		die("child %d failed before it was ready", (int)child);
	close(fds[0]);

	/* Threads that stay alive, so the tests see a multi-threaded process. */
	for (unsigned long i = 1; i < nthreads; i++) {
		pthread_t t;
		errno = pthread_create(&t, NULL, sleeper, NULL);
		if (errno)
			die("pthread_create");
	}

	if (probe_path) {
		static struct probe_arg parg;
		pthread_t t;

		if (!regions[0].addr)
			die("--probe needs --anon memory to write to");
		parg = (struct probe_arg){ regions[0].addr, regions[0].len, probe_path };
		errno = pthread_create(&t, NULL, probe, &parg);
		if (errno)
			die("pthread_create");
	}

	used = snprintf(text, sizeof(text), "pid=%d child=%d threads=%lu", (int)getpid(), (int)child, nthreads);
	for (int i = 0; i < 3; i++) {
		int n = append_region(text, sizeof(text), (size_t)used, &regions[i]);
		if (n < 0)
			die("ready line too long");
		used += n;
	}
	write_ready(ready_path, text);
	printf("nh-workload: ready %s\n", text);
	fflush(stdout);
	sleep_forever();
}
