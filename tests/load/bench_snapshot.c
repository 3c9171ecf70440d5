/*
 * bench_snapshot: what a join's snapshot costs at a plenary's size. Every join's ack
 * carries the whole roster, so with people joining at 100 a second this is the gateway's
 * largest cost while a room fills. Compares the snapshot built in jansson and serialised
 * (room_snapshot + json_dumps, as joins were answered before) with room_snapshot_text
 * (what joins use now), on the same room in the same run.
 *
 * Usage: bench_snapshot [--json] [--people N[,N...]]   (default 500,2000,10000)
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "rooms/rooms.h"

#define T0 INT64_C(1795341600000)

struct row {
	int people;
	size_t bytes;
	double jansson_ms, text_ms;
};

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct room *fill(struct rooms *rs, int n)
{
	char id[32];
	snprintf(id, sizeof id, "bench-%d", n);
	struct room_settings s = {id, "Bench", true, false, ROOM_VISIBILITY_PUBLIC, NULL};
	struct room *r = NULL;
	if (rooms_create(rs, &s, T0, &r) != ROOM_OK)
		return NULL;
	for (int i = 0; i < n; i++) {
		char pid[32], name[64];
		snprintf(pid, sizeof pid, "participant-%d", i);
		snprintf(name, sizeof name, "Participant Número %d", i);
		struct room_identity who = {
		    pid, name, ROOM_ROLE_PARTICIPANT, "civil-society", i % 4 == 0, NULL};
		if (room_attach(r, &who, T0 + i) != ROOM_OK)
			return NULL;
		if (i % 256 == 0)
			rooms_flush(rs, NULL, NULL);
	}
	rooms_flush(rs, NULL, NULL);
	return r;
}

static bool measure(struct rooms *rs, int n, struct row *row)
{
	struct room *r = fill(rs, n);
	if (!r)
		return false;
	int reps = n >= 5000 ? 10 : 40;
	row->people = n;
	double t0 = now_s();
	for (int i = 0; i < reps; i++) {
		json_t *snap = room_snapshot(r);
		char *text = json_dumps(snap, JSON_COMPACT);
		row->bytes = text ? strlen(text) : 0;
		free(text);
		json_decref(snap);
	}
	double t1 = now_s();
	for (int i = 0; i < reps; i++) {
		size_t len = 0;
		free(room_snapshot_text(r, &len));
	}
	double t2 = now_s();
	row->jansson_ms = (t1 - t0) / reps * 1e3;
	row->text_ms = (t2 - t1) / reps * 1e3;
	return true;
}

static void print(const struct row *rows, size_t n, bool json)
{
	if (json) {
		printf("{\"benchmark\":\"bench_snapshot\",\"results\":[");
		for (size_t i = 0; i < n; i++)
			printf(
			    "%s{\"people\":%d,\"bytes\":%zu,\"jansson_ms\":%.4f,\"text_ms\":%.4f}",
			    i ? "," : "", rows[i].people, rows[i].bytes, rows[i].jansson_ms,
			    rows[i].text_ms);
		printf("]}\n");
		return;
	}
	printf("%8s %10s %14s %14s %8s\n", "people", "bytes", "jansson ms", "text ms", "ratio");
	for (size_t i = 0; i < n; i++)
		printf("%8d %10zu %14.3f %14.3f %7.1fx\n", rows[i].people, rows[i].bytes,
		       rows[i].jansson_ms, rows[i].text_ms, rows[i].jansson_ms / rows[i].text_ms);
}

int main(int argc, char **argv)
{
	bool json = false;
	const char *sizes = "500,2000,10000";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--people") == 0 && i + 1 < argc)
			sizes = argv[++i];
		else {
			fprintf(stderr, "usage: bench_snapshot [--json] [--people N[,N...]]\n");
			return 2;
		}
	}
	char dir[] = "/tmp/bench_snapshot.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	struct rooms_options opt = {.data_dir = dir, .grace_ms = 20000, .now_ms = T0};
	struct rooms_sink sink = {0};
	struct rooms *rs = NULL;
	char err[256];
	if (rooms_open(&opt, &sink, &rs, err, sizeof err) != ROOM_OK) {
		fprintf(stderr, "bench_snapshot: %s\n", err);
		return 1;
	}
	struct row rows[16];
	size_t n = 0;
	int ok = 0;
	for (const char *p = sizes; *p && n < 16; n++) {
		int people = atoi(p);
		if (people <= 0 || !measure(rs, people, &rows[n])) {
			fprintf(stderr, "bench_snapshot: cannot measure %d people\n", people);
			ok = 1;
			break;
		}
		p = strchr(p, ',');
		if (!p)
			p = "";
		else
			p++;
	}
	rooms_close(rs);
	if (nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "bench_snapshot: could not remove %s\n", dir);
	print(rows, n, json);
	return ok;
}
