/*
 * Resume keys (docs/protocol.md "Losing the connection and resuming"): issued at each
 * join, kept ten minutes past their connection's end, in an open hash table the loop's
 * clock sweeps about once a second.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/conn.h"
#include "gateway/server.h"
#include "gateway/session.h"
#include "gateway/session_priv.h"

static size_t key_hash(const char *key, size_t cap)
{
	size_t h = 5381;
	for (const char *p = key; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % cap;
}

struct gw_session_entry *gw_session_find(struct gateway *gw, const char *key)
{
	if (!gw->resume.cap)
		return NULL;
	for (struct gw_session_entry *e = gw->resume.table[key_hash(key, gw->resume.cap)]; e;
	     e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static bool session_grow(struct gateway *gw)
{
	size_t cap = gw->resume.cap ? gw->resume.cap * 2 : 256;
	struct gw_session_entry **table = calloc(cap, sizeof *table);
	if (!table)
		return false;
	for (size_t i = 0; i < gw->resume.cap; i++) {
		struct gw_session_entry *e = gw->resume.table[i];
		while (e) {
			struct gw_session_entry *next = e->next;
			size_t h = key_hash(e->key, cap);
			e->next = table[h];
			table[h] = e;
			e = next;
		}
	}
	free(gw->resume.table);
	gw->resume.table = table;
	gw->resume.cap = cap;
	return true;
}

bool gw_session_issue(struct gateway *gw, struct conn *c, const char *room)
{
	if (gw->resume.len >= gw->resume.cap / 2 && !session_grow(gw))
		return false;
	struct gw_session_entry *e = calloc(1, sizeof *e);
	unsigned char raw[GW_SESSION_KEY_LEN / 2];
	if (!e || RAND_bytes(raw, sizeof raw) != 1) {
		free(e);
		return false;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(e->key + 2 * i, 3, "%02x", raw[i]);
	snprintf(e->room, sizeof e->room, "%s", room);
	snprintf(e->pid, sizeof e->pid, "%s", c->pid);
	e->issued_s = (int64_t)time(NULL);
	size_t h = key_hash(e->key, gw->resume.cap);
	e->next = gw->resume.table[h];
	gw->resume.table[h] = e;
	gw->resume.len++;
	memcpy(c->session, e->key, sizeof c->session);
	return true;
}

void gw_sessions_expire(struct gateway *gw, int64_t now_ms)
{
	/* Keys live ten minutes; a second late costs nothing, a scan on every clock tick of a
	 * busy room (the floor clock, hum levels) costs a walk over every key. */
	if (now_ms - gw->resume.swept_ms < 1000)
		return;
	gw->resume.swept_ms = now_ms;
	for (size_t i = 0; i < gw->resume.cap; i++) {
		struct gw_session_entry **pp = &gw->resume.table[i];
		while (*pp) {
			struct gw_session_entry *e = *pp;
			if (e->expires_ms && e->expires_ms <= now_ms) {
				*pp = e->next;
				free(e);
				gw->resume.len--;
			} else {
				pp = &e->next;
			}
		}
	}
}

void gw_sessions_free(struct gateway *gw)
{
	for (size_t i = 0; i < gw->resume.cap; i++) {
		struct gw_session_entry *e = gw->resume.table[i];
		while (e) {
			struct gw_session_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(gw->resume.table);
	gw->resume.table = NULL;
	gw->resume.cap = gw->resume.len = 0;
}
