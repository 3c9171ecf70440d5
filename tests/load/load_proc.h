/*
 * load_proc -- the server's CPU time and resident memory, read from /proc like top does,
 * so the load tool can charge the server (not itself) per listener.
 *
 * CPU is utime + stime of /proc/PID/stat (fields 14 and 15, in clock ticks), summed over
 * all the process's threads by the kernel; a window's CPU is the difference of two reads.
 * The parser skips the command name by its last ')' because a name may hold spaces and
 * parentheses. Memory is VmRSS of /proc/PID/status, in kB. The parsers are pure and
 * unit-tested (test_load_proc.c); the readers add the file I/O.
 */
#ifndef PLENARY_LOAD_PROC_H
#define PLENARY_LOAD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* utime + stime in clock ticks from the text of /proc/PID/stat; false if malformed. */
bool proc_parse_stat_ticks(const char *text, uint64_t *ticks);
/* VmRSS in kB from the text of /proc/PID/status; false if absent or malformed. */
bool proc_parse_status_rss_kb(const char *text, uint64_t *kb);

/* CPU seconds (utime + stime) of pid so far; false if the process is gone. */
bool proc_cpu_seconds(pid_t pid, double *seconds);
/* Resident set size of pid in kB; false if the process is gone. */
bool proc_rss_kb(pid_t pid, uint64_t *kb);

#endif
