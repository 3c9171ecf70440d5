#include "gateway/logging.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The one piece of process-wide state outside main(): the threshold. It is written once
 * at start before any thread exists and only read afterwards. */
static enum gw_log_level threshold = GW_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void gw_log_set_level(enum gw_log_level level)
{
	threshold = level;
}

bool gw_log_parse_level(const char *name, enum gw_log_level *out)
{
	for (unsigned i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum gw_log_level)i;
			return true;
		}
	}
	return false;
}

void gw_log(enum gw_log_level level, const char *msg, const char *fields, ...)
{
	if (level < threshold)
		return;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	gmtime_r(&now.tv_sec, &tm);
	char line[2048];
	int n = snprintf(line, sizeof line,
			 "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=\"%s\"",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, now.tv_nsec / 1000000L, level_names[level], msg);
	if (n < 0)
		return;
	if (fields && (size_t)n < sizeof line - 2) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fields);
		int m = vsnprintf(line + n, sizeof line - (size_t)n, fields, ap);
		va_end(ap);
		if (m > 0)
			n += m;
		if ((size_t)n >= sizeof line - 1)
			n = (int)sizeof line - 2;
	}
	line[n++] = '\n';
	/* One write per record so lines from several threads never interleave. */
	fwrite(line, 1, (size_t)n, stderr);
}
