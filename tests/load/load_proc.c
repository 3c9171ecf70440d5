/*
 * load_proc -- see load_proc.h.
 */
#include "load_proc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool proc_parse_stat_ticks(const char *text, uint64_t *ticks)
{
	const char *p = text ? strrchr(text, ')') : NULL;
	if (p == NULL)
		return false;
	/* After "pid (comm)": field 3 (state) is first; utime and stime are 14 and 15. */
	p++;
	unsigned long long v[2];
	for (int field = 3; field <= 15; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return false;
		if (field >= 14) {
			char *end;
			v[field - 14] = strtoull(p, &end, 10);
			if (end == p)
				return false;
			p = end;
			continue;
		}
		p += strcspn(p, " ");
	}
	*ticks = (uint64_t)v[0] + (uint64_t)v[1];
	return true;
}

bool proc_parse_status_rss_kb(const char *text, uint64_t *kb)
{
	const char *p = text ? strstr(text, "\nVmRSS:") : NULL;
	if (p == NULL)
		return false;
	char *end;
	unsigned long long v = strtoull(p + 7, &end, 10);
	if (end == p + 7)
		return false;
	*kb = (uint64_t)v;
	return true;
}

/* Reads a small /proc file whole (they are generated, so one read may not be all). */
static bool read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t len = 0;
	ssize_t n;
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return len > 0;
}

bool proc_cpu_seconds(pid_t pid, double *seconds)
{
	char path[64], buf[2048];
	uint64_t ticks;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!read_small(path, buf, sizeof buf) || !proc_parse_stat_ticks(buf, &ticks))
		return false;
	long hz = sysconf(_SC_CLK_TCK);
	*seconds = (double)ticks / (double)(hz > 0 ? hz : 100);
	return true;
}

bool proc_rss_kb(pid_t pid, uint64_t *kb)
{
	char path[64], buf[8192];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	return read_small(path, buf, sizeof buf) && proc_parse_status_rss_kb(buf, kb);
}
