/* SPDX-License-Identifier: Apache-2.0 */
/* nh-bench: the measuring tools of the benchmark suite (bench/README in
 * doc/benchmarks.md).  One static binary, used on the host and inside the
 * NUMA test VM:
 *
 *   nh-bench spawn --runs N [--warmup N] [--stdin FILE] -- NAME [@STDIN] ARGV... [:: NAME ...]
 *       Runs every variant N times, interleaved (round r runs all variants,
 *       in an order rotated by r), each with posix_spawn and an empty
 *       environment, stdin from FILE (or @STDIN for that variant), stdout
 *       and stderr to /dev/null; times spawn to wait.  Prints per variant
 *       n, min, median, p95, p99, max, mean in microseconds, then for every
 *       variant after the first its median and p95 ratio to the first, and
 *       the spread of the median ratio over 10 consecutive blocks of rounds.
 *   nh-bench run [--stdin FILE] [--out FILE] -- ARGV...
 *       One run: "wall_us=N maxrss_kb=N status=N" (wait4 rusage).
 *   nh-bench memcpy --mib N --src NODE --dst NODE [--reps N]
 *       memcpy between two buffers bound to the nodes, both touched first:
 *       "memcpy_us=N mib_s=N" per repetition and "best_us=N median_us=N".
 *   nh-bench work --mib N [--threads N] [--ready FILE] [--probe FILE] [--thp]
 *       The workload: N MiB of 4 KiB pages (MADV_NOHUGEPAGE; --thp: 2 MiB
 *       aligned, MADV_HUGEPAGE) touched from the given threads, then sleeps.  --probe: a thread that loops
 *       { mmap 64 KiB, touch it, munmap, read one page of the region } with
 *       1 ms sleeps and times each iteration.  SIGUSR1 resets its figures,
 *       SIGUSR2 writes "max_us=N max_gap_us=N iters=N over10ms=N
 *       over100ms=N" to FILE (atomically).  max_us is the longest iteration,
 *       max_gap_us the longest time between two iterations beyond the sleep.
 *   nh-bench farm --procs N [--threads N] [--kib N] --ready FILE
 *       N processes (this one and N-1 children), each with the given number
 *       of threads (small stacks) and KiB of touched memory; writes FILE
 *       once all are up, then sleeps.
 *   nh-bench fill --node N --mib N
 *       Touches N MiB bound to the node and exits (warms the VM's memory).
 *   nh-bench movecost [--pages N] [--batches B,B,...] [--movers N] [--spin N]
 *                     [--spin-process] [--max-calls N]
 *       The cost of move_pages(2) by call size: N forked movers move this
 *       process's pages between nodes 0 and 1 in calls of B pages (at most
 *       --max-calls calls each way), each its own slice; prints
 *       min/median/p90/max per call and the wall time per page.  --spin N
 *       busy threads in this process (or other processes) meanwhile.
 *   nh-bench starter --parent DIR --out FILE [--interval-ms N] [--cpus C --mems M]
 *                    [--trace FILE] [--stacks FILE]
 *       P8's prober: "a container start" every N ms (20) — mkdir DIR/sK
 *       (cgroup v1: cpuset.cpus C and cpuset.mems M written), fork a child,
 *       attach it through cgroup.procs, kill it, reap it, rmdir — each timed
 *       from mkdir to rmdir.  SIGUSR1 marks the start of the window to
 *       measure, SIGUSR2 its end; SIGTERM writes to FILE (atomically)
 *       "idle_n=N idle_max_us=N idle_p99_us=N win_n=N win_max_us=N
 *       win_p99_us=N win_p50_us=N" — idle: operations that ended before the
 *       window, win: those that overlapped it — and exits.  --trace: also
 *       every operation to FILE, "START_MS DURATION_MS" a line, START_MS from
 *       the start of the window (negative before it).  --stacks FILE: a
 *       watchdog writes to FILE, once an operation has taken 100 ms and
 *       every 250 ms after, its step, the kernel stacks of the prober (and
 *       its child) and of every task in D state (root only).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define MAX_VARIANTS 8
#define MPOL_MF_MOVE_ALL_FLAG (1 << 2) /* <linux/mempolicy.h> */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	fprintf(stderr, "nh-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	exit(1);
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static unsigned long number(const char *opt, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		die("%s: bad number '%s'", opt, s);
	return v;
}

static void write_atomic(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die("path too long");
	f = fopen(tmp, "we");
	if (!f)
		die("open %s", tmp);
	fprintf(f, "%s\n", text);
	if (fclose(f) != 0)
		die("write %s", tmp);
	if (rename(tmp, path) != 0)
		die("rename %s", tmp);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static long long pct(const long long *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* ------------------------------------------------------------------ spawn */
struct variant {
	const char *name;
	const char *stdin_path;
	char **argv;
	long long *us;
};

static long long spawn_once(const struct variant *v, int *status)
{
	static char *empty_env[] = { NULL };
	posix_spawn_file_actions_t fa;
	long long t0, t1;
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	if (v->stdin_path)
		posix_spawn_file_actions_addopen(&fa, 0, v->stdin_path, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	t0 = now_us();
	r = posix_spawn(&pid, v->argv[0], &fa, NULL, v->argv, empty_env);
	if (r != 0) {
		errno = r;
		die("posix_spawn %s", v->argv[0]);
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	t1 = now_us();
	posix_spawn_file_actions_destroy(&fa);
	return t1 - t0;
}

static void stats_line(const struct variant *v, size_t n)
{
	long long *s = malloc(n * sizeof(*s)), sum = 0;

	if (!s)
		die("malloc");
	memcpy(s, v->us, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_ll);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	printf("variant %s n=%zu min_us=%lld median_us=%lld p95_us=%lld p99_us=%lld max_us=%lld "
	       "mean_us=%lld\n",
	       v->name, n, s[0], pct(s, n, 50), pct(s, n, 95), pct(s, n, 99), s[n - 1],
	       sum / (long long)n);
	free(s);
}

/* The p-th percentile of n values (not sorted; v is left as it is). */
static double percentile_of(const long long *v, size_t n, double p)
{
	long long *s = malloc(n * sizeof(*s));
	double m;

	if (!s)
		die("malloc");
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_ll);
	m = (double)pct(s, n, p);
	free(s);
	return m;
}

static int cmd_spawn(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "stdin", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct variant vs[MAX_VARIANTS];
	size_t runs = 1000, warmup = 20, nv = 0;
	const char *stdin_path = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': runs = number("--runs", optarg, 10000000); break;
		case 'w': warmup = number("--warmup", optarg, 1000000); break;
		case 'i': stdin_path = optarg; break;
		default: die("spawn: bad option");
		}
	}
	if (runs < 10)
		die("spawn: --runs must be at least 10");
	for (int i = optind; i < argc;) {
		struct variant *v;

		if (nv == MAX_VARIANTS)
			die("spawn: at most %d variants", MAX_VARIANTS);
		v = &vs[nv++];
		v->name = argv[i++];
		v->stdin_path = stdin_path;
		if (i < argc && argv[i][0] == '@')
			v->stdin_path = argv[i++] + 1;
		v->argv = &argv[i];
		while (i < argc && strcmp(argv[i], "::") != 0)
			i++;
		if (&argv[i] == v->argv)
			die("spawn: variant %s has no command", v->name);
		if (i < argc)
			argv[i++] = NULL;
		v->us = calloc(runs, sizeof(*v->us));
		if (!v->us)
			die("calloc");
	}
	if (nv == 0)
		die("spawn: no variant");
	for (size_t r = 0; r < warmup + runs; r++) {
		for (size_t k = 0; k < nv; k++) {
			struct variant *v = &vs[(r + k) % nv];
			int status;
			long long us = spawn_once(v, &status);

			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				die("spawn: %s exited with status %d", v->name, status);
			if (r >= warmup)
				v->us[r - warmup] = us;
		}
	}
	for (size_t k = 0; k < nv; k++)
		stats_line(&vs[k], runs);
	for (size_t k = 1; k < nv; k++) {
		double lo = 1e9, hi = 0;
		size_t block = runs / 10;

		for (size_t b = 0; b < 10; b++) {
			double q = percentile_of(vs[k].us + b * block, block, 50) /
				   percentile_of(vs[0].us + b * block, block, 50);

			lo = q < lo ? q : lo;
			hi = q > hi ? q : hi;
		}
		printf("ratio %s/%s median=%.3f p95=%.3f block_median_min=%.3f block_median_max=%.3f\n",
		       vs[k].name, vs[0].name,
		       percentile_of(vs[k].us, runs, 50) / percentile_of(vs[0].us, runs, 50),
		       percentile_of(vs[k].us, runs, 95) / percentile_of(vs[0].us, runs, 95), lo, hi);
	}
	return 0;
}

/* ------------------------------------------------------------------ run */
static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stdin", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in = NULL, *out = NULL;
	struct rusage ru;
	long long t0, t1;
	pid_t pid;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		default: die("run: bad option");
		}
	}
	if (optind >= argc)
		die("run: no command");
	t0 = now_us();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (in) {
			int fd = open(in, O_RDONLY | O_CLOEXEC);

			if (fd < 0 || dup2(fd, 0) < 0)
				die("open %s", in);
		}
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0 || dup2(fd, 2) < 0)
				die("open %s", out);
		}
		execv(argv[optind], &argv[optind]);
		die("exec %s", argv[optind]);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4");
	t1 = now_us();
	printf("wall_us=%lld maxrss_kb=%ld status=%d\n", t1 - t0, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

/* ------------------------------------------------------------------ memcpy */
/* set_mempolicy(MPOL_BIND, node): no libnuma in the VM. */
static void bind_to(int node)
{
	unsigned long mask[16] = { 0 };

	if (node < 0) {
		if (syscall(SYS_set_mempolicy, 0, NULL, 0) != 0)
			die("set_mempolicy(MPOL_DEFAULT)");
		return;
	}
	mask[node / 64] = 1UL << (node % 64);
	if (syscall(SYS_set_mempolicy, 2, mask, sizeof(mask) * 8 + 1) != 0)
		die("set_mempolicy(MPOL_BIND, %d)", node);
}

static char *map_pages(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu", len);
	if (madvise(p, len, MADV_NOHUGEPAGE) != 0)
		die("madvise");
	return p;
}

/* len bytes at a 2 MiB boundary, asking for transparent huge pages. */
static char *map_huge(size_t len)
{
	const size_t huge = 2 * MIB;
	char *p = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		die("mmap %zu", len + huge);
	a = (char *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	if (madvise(a, len, MADV_HUGEPAGE) != 0)
		die("madvise(MADV_HUGEPAGE)");
	return a;
}

static int cmd_memcpy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' }, { "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' }, { "reps", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long mib = 256, reps = 5;
	int src_node = 0, dst_node = 1, opt;
	long long *us;
	size_t len;
	char *src, *dst;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': mib = number("--mib", optarg, 65536); break;
		case 's': src_node = (int)number("--src", optarg, 1023); break;
		case 'd': dst_node = (int)number("--dst", optarg, 1023); break;
		case 'r': reps = number("--reps", optarg, 1000); break;
		default: die("memcpy: bad option");
		}
	}
	if (reps < 1)
		reps = 1;
	len = mib * MIB;
	bind_to(src_node);
	src = map_pages(len);
	memset(src, 1, len);
	bind_to(dst_node);
	dst = map_pages(len);
	memset(dst, 2, len);
	bind_to(-1);
	us = calloc(reps, sizeof(*us));
	if (!us)
		die("calloc");
	for (unsigned long r = 0; r < reps; r++) {
		long long t0 = now_us();

		memcpy(dst, src, len);
		us[r] = now_us() - t0;
		src[r * 4096 % len]++; /* keep the copies distinct */
		printf("memcpy_us=%lld mib_s=%.1f\n", us[r], (double)mib * 1e6 / (double)us[r]);
	}
	qsort(us, reps, sizeof(*us), cmp_ll);
	printf("best_us=%lld median_us=%lld mib=%lu\n", us[0], pct(us, reps, 50), mib);
	return dst[len - 1] == 0; /* dst is used: the copy cannot be elided */
}

/* ------------------------------------------------------------------ fill */
/* Touch MIB of memory bound to a node, then exit: the first boot-time use
 * of guest memory costs the host a page fault per page, so the benchmark
 * VM touches its nodes once before measuring anything. */
static int cmd_fill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' },
		{ "node", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long mib = 0;
	int node = 0, opt;
	char *p;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': mib = number("--mib", optarg, 1UL << 20); break;
		case 'n': node = (int)number("--node", optarg, 1023); break;
		default: die("fill: bad option");
		}
	}
	if (mib == 0)
		return 0;
	bind_to(node);
	p = map_pages(mib * MIB);
	memset(p, 1, mib * MIB);
	return 0;
}

/* ------------------------------------------------------------------ movecost */
/* What move_pages(2) costs as a function of the call size: forked movers
 * (like the hook, other processes than the target) move this process's
 * region between nodes 0 and 1 in calls of B pages, each its own slice;
 * every call is timed.  The per-call fixed cost is the time of a 1-page
 * call.  --spin N keeps N more CPUs busy meanwhile: threads of this (the
 * target's) process, or with --spin-process other processes. */
static volatile int spin_stop;

static void *spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		;
	return NULL;
}

static int cmd_movecost(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'p' },
		{ "batches", required_argument, NULL, 'b' },
		{ "spin", required_argument, NULL, 's' },
		{ "spin-process", no_argument, NULL, 'S' },
		{ "movers", required_argument, NULL, 'm' },
		{ "max-calls", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long npages = 4096, spin = 0, max_calls = 256, movers = 1;
	int spin_process = 0, opt;
	char *batches = strdup("1,4,16,64,256,1024,4096");
	pthread_t spinners[64];
	pid_t spin_pids[64];
	void **pages;
	int *nodes;
	long long *us; /* shared with the movers: one slot per call */
	char *region;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': npages = number("--pages", optarg, 1UL << 22); break;
		case 'b': free(batches); batches = strdup(optarg); break;
		case 's': spin = number("--spin", optarg, 64); break;
		case 'S': spin_process = 1; break;
		case 'm': movers = number("--movers", optarg, 64); break;
		case 'c': max_calls = number("--max-calls", optarg, 1UL << 20); break;
		default: die("movecost: bad option");
		}
	}
	if (movers < 1)
		movers = 1;
	bind_to(0);
	region = map_pages(npages * 4096);
	memset(region, 1, npages * 4096);
	bind_to(-1);
	pages = calloc(npages, sizeof(*pages));
	nodes = calloc(npages, sizeof(*nodes));
	us = mmap(NULL, (2 * max_calls + 2 * movers + 2) * sizeof(*us), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!pages || !nodes || us == MAP_FAILED)
		die("alloc");
	for (unsigned long i = 0; i < npages; i++)
		pages[i] = region + i * 4096;
	for (unsigned long i = 0; i < spin; i++) {
		if (spin_process) {
			spin_pids[i] = fork();
			if (spin_pids[i] < 0)
				die("fork");
			if (spin_pids[i] == 0)
				for (;;)
					;
		} else if ((errno = pthread_create(&spinners[i], NULL, spinner, NULL))) {
			die("pthread_create");
		}
	}
	for (char *tok = strtok(batches, ","); tok; tok = strtok(NULL, ",")) {
		unsigned long b = number("--batches", tok, npages), span, calls = 0, slice;
		long long wall = 0;

		if (b < 1)
			b = 1;
		span = b * max_calls < npages ? b * max_calls : npages;
		slice = (span / movers + b - 1) / b * b;
		for (int dir = 0; dir < 2; dir++) {
			long long t0 = now_us();
			pid_t self = getpid();

			for (unsigned long i = 0; i < span; i++)
				nodes[i] = dir == 0 ? 1 : 0;
			for (unsigned long m = 0; m < movers; m++) {
				pid_t pid = fork();

				if (pid < 0)
					die("fork");
				if (pid == 0) {
					unsigned long lo = m * slice, hi = lo + slice > span ? span : lo + slice;
					unsigned long slot = calls + m * (slice / b + 1);
					int *status = calloc(b, sizeof(int));

					for (unsigned long j = lo; j < hi; j += b, slot++) {
						unsigned long cnt = hi - j < b ? hi - j : b;
						long long c0 = now_us();

						if (syscall(SYS_move_pages, self, cnt, pages + j, nodes + j,
							    status, MPOL_MF_MOVE_ALL_FLAG) < 0)
							die("move_pages");
						us[slot] = now_us() - c0;
					}
					_exit(0);
				}
			}
			for (unsigned long m = 0; m < movers; m++) {
				int st;

				if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
					die("a mover failed");
			}
			wall += now_us() - t0;
			/* Compact the slots of this direction (movers may leave gaps). */
			{
				unsigned long n = calls;

				for (unsigned long m = 0; m < movers; m++) {
					unsigned long lo = m * slice, hi = lo + slice > span ? span : lo + slice;
					unsigned long k = lo < hi ? (hi - lo + b - 1) / b : 0;

					memmove(&us[n], &us[calls + m * (slice / b + 1)], k * sizeof(*us));
					n += k;
				}
				calls = n;
			}
		}
		for (unsigned long i = 0; i < span; i++)
			if (((volatile char *)region)[i * 4096] != 1)
				die("region changed");
		qsort(us, calls, sizeof(*us), cmp_ll);
		printf("batch pages=%lu movers=%lu calls=%lu min_us=%lld median_us=%lld p90_us=%lld "
		       "max_us=%lld wall_ms=%.1f wall_us_per_page=%.1f\n",
		       b, movers, calls, us[0], pct(us, calls, 50), pct(us, calls, 90), us[calls - 1],
		       (double)wall / 1000.0, (double)wall / (double)(2 * span));
		fflush(stdout);
	}
	spin_stop = 1;
	for (unsigned long i = 0; i < spin; i++) {
		if (spin_process) {
			kill(spin_pids[i], SIGKILL);
			waitpid(spin_pids[i], NULL, 0);
		} else {
			pthread_join(spinners[i], NULL);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ work */
static volatile sig_atomic_t want_reset, want_dump;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_reset = 1;
	else
		want_dump = 1;
}

struct probe_arg {
	char *addr;
	size_t len;
	const char *path;
};

static void *probe(void *arg)
{
	const struct probe_arg *p = arg;
	const struct timespec ms = { 0, 1000 * 1000 };
	const size_t small = 64 * 1024;
	size_t off = 0;
	long long max = 0, max_gap = 0, iters = 0, over10 = 0, over100 = 0, last_end = 0;
	volatile char sink = 0;
	char text[256];

	for (;;) {
		long long t0, t1;
		char *m;

		nanosleep(&ms, NULL);
		if (want_reset) {
			want_reset = 0;
			max = max_gap = iters = over10 = over100 = 0;
			last_end = 0;
		}
		if (want_dump) {
			want_dump = 0;
			snprintf(text, sizeof(text),
				 "max_us=%lld max_gap_us=%lld iters=%lld over10ms=%lld over100ms=%lld",
				 max, max_gap, iters, over10, over100);
			write_atomic(p->path, text);
		}
		t0 = now_us();
		if (last_end && t0 - last_end - 1000 > max_gap)
			max_gap = t0 - last_end - 1000;
		m = mmap(NULL, small, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			die("probe: mmap");
		for (size_t i = 0; i < small; i += 4096)
			m[i] = 1;
		munmap(m, small);
		sink += p->addr[off];
		off = (off + 4096) % p->len;
		t1 = now_us();
		last_end = t1;
		iters++;
		if (t1 - t0 > max)
			max = t1 - t0;
		over10 += t1 - t0 > 10000;
		over100 += t1 - t0 > 100000;
	}
	return NULL;
}

struct touch_job {
	char *addr;
	size_t len;
};

static void *touch(void *arg)
{
	const struct touch_job *j = arg;

	for (size_t off = 0; off < j->len; off += 4096)
		j->addr[off] = (char)(off / 4096 + 1);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int cmd_work(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' }, { "threads", required_argument, NULL, 't' },
		{ "ready", required_argument, NULL, 'r' }, { "probe", required_argument, NULL, 'p' },
		{ "thp", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 },
	};
	unsigned long mib = 64, nthreads = 2;
	int thp = 0;
	const char *ready = NULL, *probe_path = NULL;
	pthread_t tid[64];
	struct touch_job jobs[64];
	struct sigaction sa = { .sa_handler = on_signal };
	size_t len, slice;
	char *addr, text[256];
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': mib = number("--mib", optarg, 65536); break;
		case 't': nthreads = number("--threads", optarg, 64); break;
		case 'r': ready = optarg; break;
		case 'p': probe_path = optarg; break;
		case 'h': thp = 1; break;
		default: die("work: bad option");
		}
	}
	if (nthreads < 1)
		nthreads = 1;
	len = (mib ? mib : 1) * MIB;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	addr = thp ? map_huge(len) : map_pages(len);
	slice = (len / nthreads + 4095) / 4096 * 4096;
	for (unsigned long i = 0; i < nthreads; i++) {
		size_t start = i * slice;

		jobs[i].addr = addr + start;
		jobs[i].len = start >= len ? 0 : (len - start < slice ? len - start : slice);
		if ((errno = pthread_create(&tid[i], NULL, touch, &jobs[i])))
			die("pthread_create");
	}
	for (unsigned long i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	for (unsigned long i = 1; i < nthreads; i++)
		if ((errno = pthread_create(&tid[i], NULL, sleeper, NULL)))
			die("pthread_create");
	if (probe_path) {
		static struct probe_arg parg;

		parg = (struct probe_arg){ addr, len, probe_path };
		if ((errno = pthread_create(&tid[0], NULL, probe, &parg)))
			die("pthread_create");
	}
	snprintf(text, sizeof(text), "pid=%d mib=%lu threads=%lu", (int)getpid(), mib, nthreads);
	if (ready)
		write_atomic(ready, text);
	for (;;)
		pause();
}

/* ------------------------------------------------------------------ farm */
static void *farm_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void farm_member(unsigned long threads, unsigned long kib)
{
	pthread_attr_t attr;
	char *mem = NULL;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (kib) {
		mem = map_pages(kib * 1024);
		for (size_t off = 0; off < kib * 1024; off += 4096)
			mem[off] = 1;
	}
	for (unsigned long i = 1; i < threads; i++) {
		pthread_t t;

		if ((errno = pthread_create(&t, &attr, farm_thread, NULL)))
			die("farm: pthread_create");
	}
}

static int cmd_farm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "procs", required_argument, NULL, 'n' }, { "threads", required_argument, NULL, 't' },
		{ "kib", required_argument, NULL, 'k' },   { "ready", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long procs = 1, threads = 1, kib = 64;
	const char *ready = NULL;
	int fds[2], opt;
	char text[128], c;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': procs = number("--procs", optarg, 100000); break;
		case 't': threads = number("--threads", optarg, 1000); break;
		case 'k': kib = number("--kib", optarg, 1024 * 1024); break;
		case 'r': ready = optarg; break;
		default: die("farm: bad option");
		}
	}
	if (!ready || procs < 1)
		die("farm: needs --procs >= 1 and --ready FILE");
	if (pipe(fds) != 0)
		die("pipe");
	for (unsigned long i = 1; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork (child %lu)", i);
		if (pid == 0) {
			close(fds[0]);
			farm_member(threads, kib);
			if (write(fds[1], "k", 1) != 1)
				_exit(1);
			close(fds[1]);
			for (;;)
				pause();
		}
	}
	close(fds[1]);
	farm_member(threads, kib);
	for (unsigned long i = 1; i < procs; i++)
		if (read(fds[0], &c, 1) != 1)
			die("farm: a child failed");
	close(fds[0]);
	snprintf(text, sizeof(text), "pid=%d procs=%lu threads=%lu kib=%lu", (int)getpid(), procs,
		 threads, kib);
	write_atomic(ready, text);
	for (;;)
		pause();
}

/* ------------------------------------------------------------------ starter */
static volatile sig_atomic_t starter_stop;
static volatile long long win_start_us, win_end_us;

/* --stacks: the step the prober is in and since when, for its watchdog. */
static const char *volatile op_step;
static volatile long long op_t0_us;
static volatile size_t op_n;
static volatile pid_t op_child, prober_tid;
static FILE *stacks_out;

/* A small /proc file into buf (NUL-terminated); false if unreadable or empty. */
static bool read_proc(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	return true;
}

/* Appends /proc/PID/task/TID/stack (or /proc/PID/stack) to stacks_out. */
static void dump_stack(const char *label, const char *path)
{
	char buf[4096];

	if (!read_proc(path, buf, sizeof(buf)))
		return;
	fprintf(stacks_out, "  %s:\n", label);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(stacks_out, "    %s\n", line);
}

/* Every task of the machine in D state, with its kernel stack. */
static void dump_blocked(void)
{
	DIR *procs = opendir("/proc");
	struct dirent *p;

	if (!procs)
		return;
	while ((p = readdir(procs))) {
		char dir[300], path[600], stat[512], comm[64], *close_paren;
		DIR *tasks;
		struct dirent *t;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/task", p->d_name);
		tasks = opendir(dir);
		if (!tasks)
			continue;
		while ((t = readdir(tasks))) {
			if (t->d_name[0] < '0' || t->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/%s/stat", dir, t->d_name);
			if (!read_proc(path, stat, sizeof(stat)))
				continue;
			close_paren = strrchr(stat, ')');
			if (!close_paren || close_paren[1] != ' ' || close_paren[2] != 'D')
				continue;
			snprintf(comm, sizeof(comm), "%.*s", (int)(close_paren - stat), stat);
			snprintf(path, sizeof(path), "%s/%s/stack", dir, t->d_name);
			dump_stack(comm, path);
		}
		closedir(tasks);
	}
	closedir(procs);
}

/* The prober's watchdog: once an operation has taken 100 ms, and every
 * 250 ms after, the step it is in, its stack and every blocked task's. */
static void *starter_watchdog(void *arg)
{
	size_t last_n = (size_t)-1;
	long long last_dump = 0;

	(void)arg;
	while (!starter_stop) {
		long long t0 = op_t0_us, now = now_us();
		size_t n = op_n;

		if (t0 && now - t0 >= 100000 && (n != last_n || now - last_dump >= 250000)) {
			char path[128];

			fprintf(stacks_out, "op %zu, %.1f ms from the window's start, %lld ms in, step %s\n", n,
				(double)(t0 - win_start_us) / 1000.0, (now - t0) / 1000, op_step);
			snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)prober_tid);
			dump_stack("prober", path);
			if (op_child > 0) {
				snprintf(path, sizeof(path), "/proc/%d/stack", (int)op_child);
				dump_stack("prober's child", path);
			}
			dump_blocked();
			fflush(stacks_out);
			last_n = n;
			last_dump = now;
		}
		usleep(20000);
	}
	return NULL;
}

static void on_starter_signal(int sig)
{
	if (sig == SIGUSR1)
		win_start_us = now_us();
	else if (sig == SIGUSR2)
		win_end_us = now_us();
	else
		starter_stop = 1;
}

static void write_value(const char *dir, const char *name, const char *value)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		die("starter: cannot write %s to %s: %s", value, path, strerror(errno));
	close(fd);
}

static int cmd_starter(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parent", required_argument, NULL, 'p' }, { "out", required_argument, NULL, 'o' },
		{ "interval-ms", required_argument, NULL, 'i' }, { "cpus", required_argument, NULL, 'c' },
		{ "mems", required_argument, NULL, 'm' },	 { "trace", required_argument, NULL, 't' },
		{ "stacks", required_argument, NULL, 's' },	 { NULL, 0, NULL, 0 },
	};
	const char *parent = NULL, *out = NULL, *cpus = NULL, *mems = NULL, *trace = NULL;
	unsigned long interval_ms = 20;
	size_t cap = 1 << 16, n = 0;
	long long *t_begin, *t_end, *idle, *win;
	size_t n_idle = 0, n_win = 0;
	struct sigaction sa = { .sa_handler = on_starter_signal };
	char text[512];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': parent = optarg; break;
		case 'o': out = optarg; break;
		case 'i': interval_ms = number("--interval-ms", optarg, 10000); break;
		case 'c': cpus = optarg; break;
		case 'm': mems = optarg; break;
		case 't': trace = optarg; break;
		case 's':
			stacks_out = fopen(optarg, "w");
			if (!stacks_out)
				die("starter: cannot write %s", optarg);
			break;
		default: die("starter: bad option");
		}
	}
	if (!parent || !out)
		die("starter: --parent and --out are required");
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	t_begin = calloc(cap, sizeof(*t_begin));
	t_end = calloc(cap, sizeof(*t_end));
	idle = calloc(cap, sizeof(*idle));
	win = calloc(cap, sizeof(*win));
	if (!t_begin || !t_end || !idle || !win)
		die("starter: out of memory");
	prober_tid = (pid_t)syscall(SYS_gettid);
	if (stacks_out) {
		pthread_t watchdog;

		if (pthread_create(&watchdog, NULL, starter_watchdog, NULL) != 0)
			die("starter: cannot start the watchdog");
		pthread_detach(watchdog);
	}
	while (!starter_stop && n < cap) {
		char dir[4200], pid_text[32];
		long long t0 = now_us(), next = t0 + (long long)interval_ms * 1000, t;
		pid_t child;
		int tries = 0;

		snprintf(dir, sizeof(dir), "%s/s%zu", parent, n);
		op_n = n;
		op_child = 0;
		op_step = "mkdir";
		op_t0_us = t0;
		if (mkdir(dir, 0755) < 0)
			die("starter: mkdir %s: %s", dir, strerror(errno));
		op_step = "cpuset";
		if (cpus)
			write_value(dir, "cpuset.cpus", cpus);
		if (mems)
			write_value(dir, "cpuset.mems", mems);
		op_step = "fork";
		child = fork();
		if (child < 0)
			die("starter: fork: %s", strerror(errno));
		if (child == 0) {
			for (;;)
				pause();
		}
		op_child = child;
		snprintf(pid_text, sizeof(pid_text), "%d", (int)child);
		op_step = "attach";
		write_value(dir, "cgroup.procs", pid_text);
		op_step = "kill+reap";
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		op_child = 0;
		op_step = "rmdir";
		while (rmdir(dir) < 0) {
			if (errno != EBUSY || ++tries > 10000)
				die("starter: rmdir %s: %s", dir, strerror(errno));
			usleep(100);
		}
		t_begin[n] = t0;
		t_end[n] = now_us();
		op_t0_us = 0;
		n++;
		t = now_us();
		if (t < next)
			usleep((useconds_t)(next - t));
	}
	for (size_t i = 0; i < n; i++) {
		long long d = t_end[i] - t_begin[i];

		if (win_start_us && t_end[i] <= win_start_us)
			idle[n_idle++] = d;
		else if (win_start_us && t_begin[i] < (win_end_us ? win_end_us : t_end[i] + 1))
			win[n_win++] = d;
	}
	if (trace) {
		FILE *f = fopen(trace, "w");

		if (!f)
			die("starter: cannot write %s: %s", trace, strerror(errno));
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%.1f %.1f\n", (double)(t_begin[i] - win_start_us) / 1000.0,
				(double)(t_end[i] - t_begin[i]) / 1000.0);
		if (fclose(f) != 0)
			die("starter: cannot write %s: %s", trace, strerror(errno));
	}
	qsort(idle, n_idle, sizeof(*idle), cmp_ll);
	qsort(win, n_win, sizeof(*win), cmp_ll);
	snprintf(text, sizeof(text),
		 "idle_n=%zu idle_max_us=%lld idle_p99_us=%lld win_n=%zu win_max_us=%lld "
		 "win_p99_us=%lld win_p50_us=%lld",
		 n_idle, n_idle ? idle[n_idle - 1] : 0, pct(idle, n_idle, 99), n_win,
		 n_win ? win[n_win - 1] : 0, pct(win, n_win, 99), pct(win, n_win, 50));
	write_atomic(out, text);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: nh-bench spawn|run|memcpy|work|farm|fill|movecost|starter ... (see the source)\n",
		      stderr);
		return 2;
	}
	if (strcmp(argv[1], "spawn") == 0)
		return cmd_spawn(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "memcpy") == 0)
		return cmd_memcpy(argc - 1, argv + 1);
	if (strcmp(argv[1], "work") == 0)
		return cmd_work(argc - 1, argv + 1);
	if (strcmp(argv[1], "farm") == 0)
		return cmd_farm(argc - 1, argv + 1);
	if (strcmp(argv[1], "fill") == 0)
		return cmd_fill(argc - 1, argv + 1);
	if (strcmp(argv[1], "movecost") == 0)
		return cmd_movecost(argc - 1, argv + 1);
	if (strcmp(argv[1], "starter") == 0)
		return cmd_starter(argc - 1, argv + 1);
	fprintf(stderr, "nh-bench: unknown command %s\n", argv[1]);
	return 2;
}
