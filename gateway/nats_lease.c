/*
 * The owner lease's bucket and worker (nats_lease.h).
 *
 * Why poll rather than watch: a key that expires by the bucket's TTL leaves no marker a
 * watcher would see (nats-server 2.9), so a standby reads the key every poll_ms and,
 * once it is gone, creates it; create-if-absent makes exactly one contender win. Why a
 * jsCtx of its own: a renewal must give up well before the lease would lapse, whatever
 * the log's publish timeout is.
 *
 * The worker and the renewer own every NATS call of the lease (the renewer renews, and
 * nothing else, so no slow read delays a renewal); they share with the gateway thread
 * only the rooms' entries (under mu) and a list of news plus an eventfd.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "gateway/logging.h"
#include "gateway/nats_lease.h"
#include "gateway/nats_lease_priv.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"

int64_t gw_lease_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct lease_room *gw_lease_find(const struct gw_lease *l, const char *room_id)
{
	for (struct lease_room *r = l->rooms; r; r = r->next)
		if (strcmp(r->room_id, room_id) == 0)
			return r;
	return NULL;
}

struct lease_room *gw_lease_insert(struct gw_lease *l, const char *room_id, int64_t head_seq)
{
	struct lease_room *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	snprintf(r->room_id, sizeof r->room_id, "%s", room_id);
	r->local_seq = head_seq;
	r->lag = -1;
	r->next = l->rooms;
	l->rooms = r;
	pthread_cond_broadcast(&l->cond);
	return r;
}

void gw_lease_free_events(struct lease_event *e)
{
	while (e) {
		struct lease_event *next = e->next;
		free(e->lines);
		free(e);
		e = next;
	}
}

/* --- the bucket --- */

static enum gw_lease_result read_owner(struct gw_lease *l, const char *room_id, char *owner,
				       size_t cap, uint64_t *rev);
static bool names_me(const struct gw_lease *l, const char *value);

/* A refused compare-and-set is the server's "wrong last sequence"; anything else (a
 * timeout, no connection, no quorum) says nothing about who holds the key. */
static enum gw_lease_result classify(natsStatus s)
{
	if (s == NATS_OK)
		return GW_LEASE_OK;
	const char *text = nats_GetLastError(NULL);
	return text && strstr(text, "wrong last sequence") ? GW_LEASE_TAKEN : GW_LEASE_NO_ANSWER;
}

/* A create-if-absent write of this node's value. */
static enum gw_lease_result try_create(struct gw_lease *l, const char *room_id, uint64_t *rev)
{
	*rev = 0;
	return classify(kvStore_Create(rev, l->kv, room_id, l->value, (int)strlen(l->value)));
}

static natsStatus make_bucket(struct gw_lease *l, int replicas, kvStore **kv)
{
	kvConfig cfg;
	kvConfig_Init(&cfg);
	cfg.Bucket = GW_LEASE_BUCKET;
	cfg.History = 1;
	cfg.TTL = l->t.ttl_ms * 1000000; /* nanoseconds, as the stream's MaxAge */
	cfg.StorageType = js_FileStorage;
	cfg.Replicas = replicas;
	/* With the log's context: making a replicated stream takes longer than a renewal may. */
	return js_CreateKeyValue(kv, l->nats->js, &cfg);
}

static natsStatus create_bucket(struct gw_lease *l, kvStore **made)
{
	natsStatus s = make_bucket(l, 3, made);
	if (s != NATS_OK) {
		gw_warn("cannot make a 3-replica lease bucket (a cluster of fewer than 3 nodes?); "
			"making it with 1 replica",
			"bucket=%s error=\"%s\"", GW_LEASE_BUCKET, nats_GetLastError(NULL));
		s = make_bucket(l, 1, made);
	}
	return s;
}

/* Binds the bucket, making it only when JetStream says it does not exist: a cluster just
 * back (leaders being elected) answers nothing for a while, which is no reason to make
 * a bucket that is there. Bounded: about 10 s. */
static bool bind_bucket(struct gw_lease *l, char *err, size_t err_cap)
{
	kvStore *made = NULL;
	natsStatus s = NATS_ERR;
	for (int i = 0; i < 20 && s != NATS_OK; i++) {
		if (i)
			nats_Sleep(500);
		s = js_KeyValue(&made, l->nats->js, GW_LEASE_BUCKET);
		if (s == NATS_NOT_FOUND)
			s = create_bucket(l, &made);
	}
	kvStore_Destroy(made);
	if (s == NATS_OK)
		s = js_KeyValue(&l->kv, l->js, GW_LEASE_BUCKET);
	if (s != NATS_OK)
		snprintf(err, err_cap, "JetStream key-value bucket %s: %s", GW_LEASE_BUCKET,
			 nats_GetLastError(NULL));
	return s == NATS_OK;
}

static bool make_value(struct gw_lease *l, const char *node, const char *url)
{
	json_t *v = json_pack("{s:s,s:s}", "node", node, "url", url);
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	bool ok = text && strlen(text) < sizeof l->value;
	if (ok)
		snprintf(l->value, sizeof l->value, "%s", text);
	free(text);
	json_decref(v);
	return ok;
}

/* nats_priv.h's owned_elsewhere: another node's name in the room's key. */
static bool owned_elsewhere(void *ctx, const char *room_id)
{
	struct gw_lease *l = ctx;
	char owner[640];
	uint64_t rev;
	return read_owner(l, room_id, owner, sizeof owner, &rev) == GW_LEASE_TAKEN &&
	       !names_me(l, owner);
}

struct gw_lease *gw_lease_open(struct gw_nats *n, const char *node, const char *url, int64_t ttl_ms,
			       char *err, size_t err_cap)
{
	struct gw_lease *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	l->nats = n;
	l->t = gw_lease_timing_for(ttl_ms);
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->events_tail = &l->events;
	snprintf(l->node, sizeof l->node, "%s", node);
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cond, &ca);
	pthread_condattr_destroy(&ca);
	jsOptions jo;
	jsOptions_Init(&jo);
	jo.Wait = l->t.renew_ms / 2;
	bool ok = l->efd >= 0 && make_value(l, node, url);
	if (!ok)
		snprintf(err, err_cap, "cannot set up the owner lease (node name too long?)");
	if (ok && natsConnection_JetStream(&l->js, n->nc, &jo) != NATS_OK) {
		snprintf(err, err_cap, "cannot use JetStream for the owner lease");
		ok = false;
	}
	if (ok && !bind_bucket(l, err, err_cap))
		ok = false;
	if (!ok) {
		gw_lease_close(l);
		return NULL;
	}
	n->owned_elsewhere = owned_elsewhere;
	n->owned_ctx = l;
	return l;
}

/* --- the worker --- */

static void post(struct gw_lease *l, struct lease_event *e)
{
	e->next = NULL;
	*l->events_tail = e;
	l->events_tail = &e->next;
	uint64_t one = 1;
	if (write(l->efd, &one, sizeof one) != (ssize_t)sizeof one)
		gw_error("cannot wake the gateway thread", "error=\"%s\"", strerror(errno));
}

void gw_lease_post_news(struct gw_lease *l, struct lease_room *r, enum lease_news kind, char *lines,
			size_t len)
{
	struct lease_event *e = calloc(1, sizeof *e);
	if (!e) {
		free(lines);
		return;
	}
	*e = (struct lease_event){.room = r, .kind = kind, .lines = lines, .len = len};
	post(l, e);
}

/* Who holds the key (or nobody): its value in owner, its revision in *rev. Without mu. */
static enum gw_lease_result read_owner(struct gw_lease *l, const char *room_id, char *owner,
				       size_t cap, uint64_t *rev)
{
	kvEntry *e = NULL;
	natsStatus s = kvStore_Get(&e, l->kv, room_id);
	owner[0] = '\0';
	*rev = 0;
	if (s == NATS_NOT_FOUND)
		return GW_LEASE_OK;
	if (s != NATS_OK)
		return GW_LEASE_NO_ANSWER;
	snprintf(owner, cap, "%s", kvEntry_ValueString(e));
	*rev = kvEntry_Revision(e);
	kvEntry_Destroy(e);
	return GW_LEASE_TAKEN;
}

/* Whether a lease's value names this node. */
static bool names_me(const struct gw_lease *l, const char *value)
{
	json_t *v = json_loads(value, 0, NULL);
	const char *node = json_string_value(json_object_get(v, "node"));
	bool me = node && strcmp(node, l->node) == 0;
	json_decref(v);
	return me;
}

enum gw_lease_result gw_lease_try_claim(struct gw_lease *l, const char *room_id, uint64_t *rev,
					int64_t *sent, char *owner, size_t cap)
{
	uint64_t seen = 0;
	*sent = gw_lease_mono_ms();
	enum gw_lease_result res = read_owner(l, room_id, owner, cap, &seen);
	*rev = 0;
	if (res == GW_LEASE_OK) {
		*sent = gw_lease_mono_ms();
		res = try_create(l, room_id, rev);
	} else if (res == GW_LEASE_TAKEN && names_me(l, owner)) {
		/* This node's own lease from before a restart: taken back at once (CAS on the
		 * revision read), so a restarted owner does not wait out its TTL. Node names
		 * are unique: two processes with one name would take it from each other. */
		*sent = gw_lease_mono_ms();
		res = classify(
		    kvStore_Update(rev, l->kv, room_id, l->value, (int)strlen(l->value), seen));
	}
	if (res == GW_LEASE_OK)
		snprintf(owner, cap, "%s", l->value);
	return res;
}

/* true if this node took the lease. */
static bool claim(struct gw_lease *l, struct lease_room *r)
{
	char owner[640];
	uint64_t rev = 0;
	int64_t sent;
	enum gw_lease_result res =
	    gw_lease_try_claim(l, r->room_id, &rev, &sent, owner, sizeof owner);
	pthread_mutex_lock(&l->mu);
	if (owner[0])
		snprintf(r->owner, sizeof r->owner, "%s", owner);
	bool took = gw_lease_claimed(&r->st, &l->t, res, rev, sent, gw_lease_mono_ms());
	if (took) {
		r->catch_up = true;
		gw_info("took the room's owner lease", "room=%s node=%s", r->room_id, l->node);
	}
	pthread_mutex_unlock(&l->mu);
	return took;
}

/* A refused renewal whose key still names this node: an earlier renewal that timed out
 * was stored after all. The key's revision is taken and the renewal sent again at once;
 * held_until stays what the last answered renewal gave. true if so. */
static bool resync(struct gw_lease *l, struct lease_room *r)
{
	char owner[640];
	uint64_t seen = 0;
	if (read_owner(l, r->room_id, owner, sizeof owner, &seen) != GW_LEASE_TAKEN ||
	    !names_me(l, owner))
		return false;
	pthread_mutex_lock(&l->mu);
	bool owner_still = r->st.role == GW_LEASE_OWNER;
	if (owner_still) {
		r->st.rev = seen;
		r->st.next_ms = gw_lease_mono_ms();
	}
	pthread_mutex_unlock(&l->mu);
	return owner_still;
}

static void renew(struct gw_lease *l, struct lease_room *r, uint64_t last)
{
	uint64_t rev = 0;
	int64_t sent = gw_lease_mono_ms();
	enum gw_lease_result res = classify(
	    kvStore_Update(&rev, l->kv, r->room_id, l->value, (int)strlen(l->value), last));
	if (res == GW_LEASE_TAKEN && resync(l, r))
		return;
	pthread_mutex_lock(&l->mu);
	bool was_serving_side = !r->catch_up;
	if (gw_lease_renewed(&r->st, &l->t, res, rev, sent, gw_lease_mono_ms())) {
		gw_warn("lost the room's owner lease: no longer writing for it", "room=%s why=%s",
			r->room_id, res == GW_LEASE_TAKEN ? "taken" : "no answer in time");
		r->owner[0] = '\0';
		if (was_serving_side)
			gw_lease_post_news(l, r, LEASE_LOST, NULL, 0);
		r->catch_up = false;
	}
	pthread_mutex_unlock(&l->mu);
}

/* How often the worker looks for rooms other nodes made (the stream's subjects). */
#define DISCOVER_MS 2000

/* The renewer's part of one room (mu held on entry and on return): its renewal, if due. */
static void visit_owner(struct gw_lease *l, struct lease_room *r, int64_t now)
{
	if (r->broken || r->st.role != GW_LEASE_OWNER ||
	    gw_lease_due(&r->st, now) != GW_LEASE_RENEW)
		return;
	uint64_t rev = r->st.rev;
	pthread_mutex_unlock(&l->mu);
	renew(l, r, rev);
	pthread_mutex_lock(&l->mu);
}

/* The worker's part (mu held on entry and on return): a standby's claim and lag, and the
 * catch-up of a room just taken. */
static void visit_standby(struct gw_lease *l, struct lease_room *r, int64_t now)
{
	bool claim_due = !r->broken && !r->unloaded && r->st.role == GW_LEASE_STANDBY &&
			 gw_lease_due(&r->st, now) == GW_LEASE_CLAIM;
	int64_t local_seq = r->local_seq;
	bool catching = r->catch_up && r->st.role == GW_LEASE_OWNER;
	bool lag = !r->unloaded && r->st.role == GW_LEASE_STANDBY && now >= r->lag_next_ms;
	if (!claim_due && !catching && !lag)
		return;
	pthread_mutex_unlock(&l->mu);
	if (claim_due)
		catching = claim(l, r);
	if (catching)
		gw_lease_hand_over(l, r, local_seq);
	if (lag) {
		r->lag_next_ms = now + 1000;
		gw_lease_measure_lag(l, r, local_seq);
	}
	pthread_mutex_lock(&l->mu);
}

/* When the thread has something due next (mu held): its rooms' next action, at the
 * latest a poll from now (the worker retries catch-ups and measures lag on that beat). */
static int64_t next_wake(const struct gw_lease *l, bool renewer)
{
	int64_t wake = gw_lease_mono_ms() + l->t.poll_ms;
	for (const struct lease_room *r = l->rooms; r; r = r->next)
		if (!r->broken && (r->st.role == GW_LEASE_OWNER) == renewer && r->st.next_ms < wake)
			wake = r->st.next_ms;
	return wake;
}

/* Two threads: the renewer only renews, so a slow read (a claim, a catch-up, the lag)
 * never makes an owner's lease lapse. */
static void run(struct gw_lease *l, bool renewer)
{
	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		int64_t now = gw_lease_mono_ms();
		for (struct lease_room *r = l->rooms; r && !l->stop; r = r->next)
			(renewer ? visit_owner : visit_standby)(l, r, now);
		if (!renewer && !l->stop && now >= l->discover_next_ms) {
			l->discover_next_ms = now + DISCOVER_MS;
			pthread_mutex_unlock(&l->mu);
			gw_lease_discover(l);
			pthread_mutex_lock(&l->mu);
		}
		int64_t wake = next_wake(l, renewer);
		struct timespec ts = {.tv_sec = wake / 1000, .tv_nsec = (wake % 1000) * 1000000};
		if (!l->stop && wake > gw_lease_mono_ms())
			pthread_cond_timedwait(&l->cond, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
}

static void *worker_main(void *arg)
{
	run(arg, false);
	return NULL;
}

static void *renewer_main(void *arg)
{
	run(arg, true);
	return NULL;
}

bool gw_lease_start(struct gw_lease *l)
{
	l->started = pthread_create(&l->worker, NULL, worker_main, l) == 0;
	l->renewer_started = l->started && pthread_create(&l->renewer, NULL, renewer_main, l) == 0;
	return l->renewer_started;
}

/* A clean stop hands its rooms over at once: the key of each lease still held is deleted,
 * so a standby's next claim finds it free instead of waiting out the TTL. The rooms were
 * flushed to JetStream before this. Only while held: after held_until another node may
 * have the key, and a delete carries no revision check. */
static void release_held(struct gw_lease *l)
{
	int64_t now = gw_lease_mono_ms();
	for (struct lease_room *r = l->rooms; l->kv && r; r = r->next) {
		if (r->st.role != GW_LEASE_OWNER || !gw_lease_holds(&r->st, now))
			continue;
		natsStatus s = kvStore_Delete(l->kv, r->room_id);
		if (s == NATS_OK)
			gw_info("released the room's owner lease", "room=%s node=%s", r->room_id,
				l->node);
		else
			gw_warn("could not release the room's owner lease: the standby waits out "
				"its TTL",
				"room=%s status=\"%s\"", r->room_id, natsStatus_GetText(s));
	}
}

void gw_lease_close(struct gw_lease *l)
{
	if (!l)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = true;
		pthread_cond_broadcast(&l->cond);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->worker, NULL);
		if (l->renewer_started)
			pthread_join(l->renewer, NULL);
	}
	release_held(l);
	gw_lease_free_events(l->events);
	while (l->rooms) {
		struct lease_room *next = l->rooms->next;
		free(l->rooms);
		l->rooms = next;
	}
	kvStore_Destroy(l->kv);
	jsCtx_Destroy(l->js);
	if (l->efd >= 0)
		close(l->efd);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cond);
	free(l);
}

int gw_lease_event_fd(const struct gw_lease *l)
{
	return l->efd;
}
