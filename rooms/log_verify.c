/*
 * log_verify -- `plenaryd verify FILE`: check a published log without trusting its host.
 *
 * It reads the file exactly as log_file_open() would, with the same line checks, but
 * never writes: a torn tail, which loading would cut, is reported here as an error,
 * because an archivist checking a copy wants to know what is on disk, not what a server
 * would make of it. The output is one line, meant for people and scripts alike, and
 * tests/tools/verify-log.mjs prints the same for the same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rooms/log.h"

static enum log_err verify_fd(int fd, FILE *out)
{
	struct stat st;
	struct log_chain chain;
	struct log_open_report report;
	off_t good_end;
	if (fstat(fd, &st) != 0)
		return LOG_EIO;
	log_chain_init(&chain);
	enum log_err err = log_scan_fd(fd, 0, st.st_size, &chain, NULL, NULL, &report, &good_end);
	if (err == LOG_EIO || err == LOG_ENOMEM)
		return err;
	if (err) {
		fprintf(out, "line %" PRId64 ": %s\n", report.bad_line, log_strerror(err));
		return err;
	}
	if (report.torn_bytes) {
		fprintf(out,
			"line %" PRId64 ": incomplete last line (%zu bytes without a newline)\n",
			chain.seq + 1, report.torn_bytes);
		return LOG_EPARSE;
	}
	fprintf(out, "ok seq=%" PRId64 " hash=%s\n", chain.seq, chain.hash);
	return LOG_OK;
}

enum log_err log_verify_file(const char *path, FILE *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		return LOG_EIO;
	}
	enum log_err err = verify_fd(fd, out);
	if (err == LOG_EIO || err == LOG_ENOMEM)
		fprintf(out, "%s: %s\n", path,
			err == LOG_EIO ? strerror(errno) : log_strerror(err));
	close(fd);
	return err;
}
