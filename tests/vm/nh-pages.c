/* SPDX-License-Identifier: Apache-2.0 */
/* nh-pages: on which NUMA node is every resident page of some processes?
 *
 * The truth for the VM tests, independent of the hook: for each pid it walks
 * /proc/<pid>/maps and asks move_pages(pid, n, pages, NULL, status) for the
 * node of every page, in batches.  Pages that are not resident (-ENOENT),
 * the zero page and special mappings (-EFAULT) are not counted; the kernel's
 * own [vdso]/[vvar]/[vsyscall] mappings are skipped.
 *
 *   nh-pages [--range ADDR+LEN]... [--cgroup DIR]... [PID]...
 *
 * prints one line per process and one total line:
 *   pid=123 N0=0 N1=16421 pages=16421
 *   total N0=0 N1=16421 pages=16421 processes=1
 * --cgroup DIR adds every process of DIR and all its descendants
 * (cgroup.procs, so one line per thread group).  --range counts only pages
 * inside the given address ranges (as written by nh-workload's ready line).
 * Exit status: 0, or 1 if a process could not be read at all.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_NODES 1024
#define BATCH 1024
#define MAX_RANGES 16
#define MAX_PIDS 4096

struct range {
	uintptr_t start, end;
};

static struct range ranges[MAX_RANGES];
static int nranges;
static int pids[MAX_PIDS];
static int npids;
static long page_size;

static long sys_move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags)
{
	return syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);
}

static int possible_nodes(void)
{
	FILE *f = fopen("/sys/devices/system/node/possible", "re");
	char buf[256], *p;
	long last = 0;

	if (!f)
		return 1;
	if (fgets(buf, sizeof(buf), f)) {
		/* "0", "0-3" or "0,2-3": the highest number is the last one. */
		p = buf + strcspn(buf, "\n");
		while (p > buf && (p[-1] < '0' || p[-1] > '9'))
			p--;
		while (p > buf && p[-1] >= '0' && p[-1] <= '9')
			p--;
		last = strtol(p, NULL, 10);
	}
	fclose(f);
	return last >= 0 && last < MAX_NODES ? (int)last + 1 : MAX_NODES;
}

static void add_pid(int pid)
{
	for (int i = 0; i < npids; i++)
		if (pids[i] == pid)
			return;
	if (npids == MAX_PIDS) {
		fprintf(stderr, "nh-pages: more than %d processes\n", MAX_PIDS);
		exit(1);
	}
	pids[npids++] = pid;
}

static void add_cgroup(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;
	DIR *d;
	struct dirent *e;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "nh-pages: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (fscanf(f, "%d", &pid) == 1)
		add_pid(pid);
	fclose(f);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		add_cgroup(path);
	}
	closedir(d);
}

static void parse_range(const char *s)
{
	char *end;
	uintptr_t start, len;

	if (nranges == MAX_RANGES) {
		fprintf(stderr, "nh-pages: too many --range\n");
		exit(2);
	}
	errno = 0;
	start = strtoull(s, &end, 0);
	if (errno || *end != '+') {
		fprintf(stderr, "nh-pages: --range wants ADDR+LEN, got '%s'\n", s);
		exit(2);
	}
	len = strtoull(end + 1, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "nh-pages: --range wants ADDR+LEN, got '%s'\n", s);
		exit(2);
	}
	ranges[nranges++] = (struct range){ start, start + len };
}

/* Clip [start,end) to the --range list; calls back once per overlap. */
static int count_span(int pid, uintptr_t start, uintptr_t end, long *per_node, int nnodes);

static int count_vma(int pid, uintptr_t start, uintptr_t end, long *per_node, int nnodes)
{
	if (nranges == 0)
		return count_span(pid, start, end, per_node, nnodes);
	for (int i = 0; i < nranges; i++) {
		uintptr_t s = start > ranges[i].start ? start : ranges[i].start;
		uintptr_t e = end < ranges[i].end ? end : ranges[i].end;
		if (s < e && count_span(pid, s, e, per_node, nnodes) < 0)
			return -1;
	}
	return 0;
}

static int count_span(int pid, uintptr_t start, uintptr_t end, long *per_node, int nnodes)
{
	static void *pages[BATCH];
	static int status[BATCH];
	uintptr_t addr = start & ~(uintptr_t)(page_size - 1);

	while (addr < end) {
		unsigned long n = 0;

		while (n < BATCH && addr < end) {
			pages[n++] = (void *)addr;
			addr += (uintptr_t)page_size;
		}
		if (sys_move_pages(pid, n, pages, NULL, status, 0) != 0)
			return -1;
		for (unsigned long i = 0; i < n; i++)
			if (status[i] >= 0 && status[i] < nnodes)
				per_node[status[i]]++;
	}
	return 0;
}

static int count_pid(int pid, long *per_node, int nnodes)
{
	char path[64], line[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t start, end;
		int name_at = 0;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %*s %*s %*s %*s %n", &start, &end, &name_at) < 2)
			continue;
		if (name_at && (strncmp(line + name_at, "[vdso]", 6) == 0 || strncmp(line + name_at, "[vvar]", 6) == 0 ||
				strncmp(line + name_at, "[vsyscall]", 10) == 0))
			continue;
		if (count_vma(pid, start, end, per_node, nnodes) < 0) {
			int saved = errno;
			fclose(f);
			errno = saved;
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static void print_counts(const char *head, const long *per_node, int nnodes)
{
	long sum = 0;

	fputs(head, stdout);
	for (int n = 0; n < nnodes; n++) {
		printf(" N%d=%ld", n, per_node[n]);
		sum += per_node[n];
	}
	printf(" pages=%ld", sum);
}

int main(int argc, char **argv)
{
	static long per_node[MAX_NODES], total[MAX_NODES];
	int nnodes = possible_nodes(), failed = 0, counted = 0;
	char head[64];

	page_size = sysconf(_SC_PAGESIZE);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--range") == 0 && i + 1 < argc) {
			parse_range(argv[++i]);
		} else if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc) {
			add_cgroup(argv[++i]);
		} else if (argv[i][0] >= '1' && argv[i][0] <= '9') {
			add_pid(atoi(argv[i]));
		} else {
			fprintf(stderr, "usage: nh-pages [--range ADDR+LEN]... [--cgroup DIR]... [PID]...\n");
			return 2;
		}
	}
	for (int i = 0; i < npids; i++) {
		memset(per_node, 0, sizeof(per_node));
		if (count_pid(pids[i], per_node, nnodes) < 0) {
			if (errno == ESRCH || errno == ENOENT)
				continue; /* exited meanwhile */
			fprintf(stderr, "nh-pages: pid %d: %s\n", pids[i], strerror(errno));
			failed = 1;
			continue;
		}
		snprintf(head, sizeof(head), "pid=%d", pids[i]);
		print_counts(head, per_node, nnodes);
		putchar('\n');
		for (int n = 0; n < nnodes; n++)
			total[n] += per_node[n];
		counted++;
	}
	print_counts("total", total, nnodes);
	printf(" processes=%d\n", counted);
	return failed;
}
