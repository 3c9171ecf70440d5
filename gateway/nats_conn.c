/*
 * The JetStream log's connection, its stream, and reading a room's subject back.
 *
 * The stream is made here when missing: file storage, three replicas (the cluster keeps
 * a room's log through the loss of one node) or, on a cluster too small for that, one,
 * with a warning. The connection retries for ever once up: while NATS is away publishes
 * time out and the rooms refuse commands; when it is back they go on.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "gateway/logging.h"
#include "gateway/nats_log.h"
#include "gateway/nats_priv.h"

#define URLS_MAX 16

bool gw_nats_line_seq(const char *line, size_t len, int64_t *seq)
{
	json_t *v = json_loadb(line, len, 0, NULL);
	json_t *s = json_object_get(v, "seq");
	bool ok = json_is_integer(s) && json_integer_value(s) > 0;
	*seq = ok ? json_integer_value(s) : 0;
	json_decref(v);
	return ok;
}

/* Splits "a,b,c" in place into at most URLS_MAX urls. */
static int split_urls(char *list, const char **urls)
{
	int n = 0;
	for (char *save = NULL, *u = strtok_r(list, ",", &save); u && n < URLS_MAX;
	     u = strtok_r(NULL, ",", &save))
		urls[n++] = u;
	return n;
}

void gw_nats_redact(const char *urls, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (const char *u = urls; *u && o + 1 < cap;) {
		const char *end = u + strcspn(u, ",");
		const char *scheme = strstr(u, "://");
		const char *at = memchr(u, '@', (size_t)(end - u));
		const char *from = u;
		int n = 0;
		if (scheme && scheme < end && at && at > scheme) {
			n = snprintf(out + o, cap - o, "%.*s***@", (int)(scheme + 3 - u), u);
			o += n > 0 ? (size_t)n : 0;
			from = at + 1;
		}
		if (o + 1 >= cap)
			break;
		n = snprintf(out + o, cap - o, "%.*s%s", (int)(end - from), from, *end ? "," : "");
		o += n > 0 ? (size_t)n : 0;
		u = *end ? end + 1 : end;
	}
}

static natsStatus make_options(natsOptions **o, const char **urls, int n, int64_t timeout_ms)
{
	natsStatus s = natsOptions_Create(o);
	if (s == NATS_OK)
		s = natsOptions_SetServers(*o, urls, n);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(*o, timeout_ms);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(*o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(*o, 200);
	/* Only the servers it is given: a node meant to reach NATS through some nodes only
	 * (a site's own) must not wander to the ones the cluster tells of, and the lease's
	 * fencing is tested by cutting a node off exactly so. */
	if (s == NATS_OK)
		s = natsOptions_SetIgnoreDiscoveredServers(*o, true);
	return s;
}

/* TLS and credentials from the environment, for plenaryd and `plenaryd verify --nats`
 * alike (docs/scale.md, "Securing NATS"): PLENARY_NATS_CA, the CA that signed the servers'
 * certificates (TLS then required, the host names checked against the URLs);
 * PLENARY_NATS_CERT and PLENARY_NATS_KEY, this node's client certificate when the servers
 * ask for one; PLENARY_NATS_CREDS, a .creds file (a user JWT of NATS's decentralised
 * accounts and its nkey seed; libnats signs the server's nonce with it). A user and
 * password go in the URLs (nats://user:password@host:4222). */
static natsStatus secure_options(natsOptions *o)
{
	const char *ca = getenv("PLENARY_NATS_CA");
	const char *cert = getenv("PLENARY_NATS_CERT");
	const char *key = getenv("PLENARY_NATS_KEY");
	const char *creds = getenv("PLENARY_NATS_CREDS");
	natsStatus s = NATS_OK;
	if (creds && *creds)
		s = natsOptions_SetUserCredentialsFromFiles(o, creds, NULL);
	if (s == NATS_OK && ca && *ca) {
		s = natsOptions_SetSecure(o, true);
		if (s == NATS_OK)
			s = natsOptions_LoadCATrustedCertificates(o, ca);
	}
	if (s == NATS_OK && cert && *cert)
		s = natsOptions_LoadCertificatesChain(o, cert, key && *key ? key : cert);
	return s;
}

bool gw_nats_connect(const char *urls, int64_t timeout_ms, natsConnection **nc, jsCtx **js,
		     char *err, size_t err_cap)
{
	char *list = strdup(urls);
	const char *each[URLS_MAX];
	int n = list ? split_urls(list, each) : 0;
	natsOptions *o = NULL;
	natsStatus s = n > 0 ? make_options(&o, each, n, timeout_ms) : NATS_INVALID_ARG;
	if (s == NATS_OK)
		s = secure_options(o);
	if (s == NATS_OK)
		s = natsConnection_Connect(nc, o);
	natsOptions_Destroy(o);
	free(list);
	/* Every JetStream call (reading a subject's end too, not only publishing) waits at most
	 * timeout_ms, so a room's answer comes within a bound whatever NATS does. */
	jsOptions jo;
	jsOptions_Init(&jo);
	jo.Wait = timeout_ms;
	if (s == NATS_OK)
		s = natsConnection_JetStream(js, *nc, &jo);
	if (s != NATS_OK) {
		/* libnats's own account says which: a certificate, a refused user, no server. */
		const char *why = nats_GetLastError(NULL);
		char shown[1024];
		gw_nats_redact(urls, shown, sizeof shown);
		snprintf(err, err_cap, "cannot connect to NATS at %s: %s%s%s", shown,
			 natsStatus_GetText(s), why && *why ? ": " : "", why ? why : "");
		natsConnection_Destroy(*nc);
		*nc = NULL;
		return false;
	}
	return true;
}

static natsStatus add_stream(jsCtx *js, int64_t replicas, jsErrCode *jerr)
{
	const char *subjects[] = {GW_NATS_SUBJECT_PREFIX "*.log"};
	jsStreamConfig cfg;
	jsStreamConfig_Init(&cfg);
	cfg.Name = GW_NATS_STREAM;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Replicas = replicas;
	jsStreamInfo *si = NULL;
	natsStatus s = js_AddStream(&si, js, &cfg, NULL, jerr);
	jsStreamInfo_Destroy(si);
	return s;
}

static bool ensure_stream(jsCtx *js, char *err, size_t err_cap)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, GW_NATS_STREAM, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s == NATS_OK)
		return true;
	if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
		s = add_stream(js, 3, &jerr);
		if (s != NATS_OK) {
			gw_warn(
			    "cannot make a 3-replica stream (a cluster of fewer than 3 nodes?); "
			    "making it with 1 replica",
			    "stream=%s code=%d", GW_NATS_STREAM, (int)jerr);
			s = add_stream(js, 1, &jerr);
		}
	}
	if (s != NATS_OK)
		snprintf(err, err_cap, "JetStream stream %s: %s (code %d)", GW_NATS_STREAM,
			 natsStatus_GetText(s), (int)jerr);
	return s == NATS_OK;
}

static bool start_worker(struct gw_nats *n, void *(*main_fn)(void *))
{
	n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->efd < 0)
		return false;
	n->done_tail = &n->done;
	n->worker_started = pthread_create(&n->worker, NULL, main_fn, n) == 0;
	return n->worker_started;
}

struct gw_nats *gw_nats_open(const char *urls, int64_t timeout_ms, char *err, size_t err_cap)
{
	struct gw_nats *n = calloc(1, sizeof *n);
	if (!n) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	n->efd = -1;
	n->timeout_ms = timeout_ms;
	pthread_mutex_init(&n->mu, NULL);
	pthread_mutex_init(&n->pub_mu, NULL);
	pthread_cond_init(&n->cond, NULL);
	if (!gw_nats_connect(urls, timeout_ms, &n->nc, &n->js, err, err_cap) ||
	    !ensure_stream(n->js, err, err_cap)) {
		gw_nats_close(n);
		return NULL;
	}
	if (!start_worker(n, gw_nats_worker_main)) {
		snprintf(err, err_cap, "cannot start the NATS worker");
		gw_nats_close(n);
		return NULL;
	}
	return n;
}

void gw_nats_close(struct gw_nats *n)
{
	if (!n)
		return;
	if (n->worker_started) {
		pthread_mutex_lock(&n->mu);
		n->stop = true;
		pthread_cond_signal(&n->cond);
		pthread_mutex_unlock(&n->mu);
		pthread_join(n->worker, NULL);
	}
	gw_nats_free_jobs(n->todo);
	gw_nats_free_jobs(n->done);
	while (n->positions) {
		struct nats_subject_pos *next = n->positions->next;
		free(n->positions);
		n->positions = next;
	}
	jsCtx_Destroy(n->js);
	natsConnection_Destroy(n->nc);
	if (n->efd >= 0)
		close(n->efd);
	pthread_mutex_destroy(&n->mu);
	pthread_mutex_destroy(&n->pub_mu);
	pthread_cond_destroy(&n->cond);
	free(n);
}

/* One pass of an ordered consumer from *at + 1 to last_sseq; *at follows what fn got.
 * NATS_OK, or the status that ended the pass (fn refusing a line: NATS_ERR, *refused). */
static natsStatus read_pass(jsCtx *js, const char *subject, uint64_t *at, uint64_t last_sseq,
			    bool (*fn)(void *ctx, const char *line, size_t len), void *ctx,
			    bool *refused)
{
	jsSubOptions so;
	jsSubOptions_Init(&so);
	so.Stream = GW_NATS_STREAM;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverByStartSequence;
	so.Config.OptStartSeq = *at + 1;
	natsSubscription *sub = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_SubscribeSync(&sub, js, subject, NULL, &so, &jerr);
	while (s == NATS_OK && *at < last_sseq) {
		natsMsg *m = NULL;
		jsMsgMetaData *meta = NULL;
		s = natsSubscription_NextMsg(&m, sub, 5000);
		if (s == NATS_OK)
			s = natsMsg_GetMetaData(&meta, m);
		if (s == NATS_OK && meta->Sequence.Stream > *at) {
			*refused = !fn(ctx, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
			s = *refused ? NATS_ERR : NATS_OK;
			*at = meta->Sequence.Stream;
		}
		jsMsgMetaData_Destroy(meta);
		natsMsg_Destroy(m);
	}
	natsSubscription_Destroy(sub);
	return s;
}

/* A consumer made while the cluster elects leaders again (nodes just back) may deliver
 * nothing: a pass that times out is started again from where it stopped. */
bool gw_nats_read_subject(jsCtx *js, const char *room_id, uint64_t last_sseq,
			  bool (*fn)(void *ctx, const char *line, size_t len), void *ctx, char *err,
			  size_t err_cap)
{
	char subject[GW_NATS_SUBJECT_MAX];
	if (!gw_nats_subject(room_id, subject, sizeof subject))
		return false;
	uint64_t at = 0;
	bool refused = false;
	natsStatus s = NATS_OK;
	for (int pass = 0; pass < 4 && at < last_sseq && !refused; pass++) {
		if (pass)
			nats_Sleep(500);
		s = read_pass(js, subject, &at, last_sseq, fn, ctx, &refused);
	}
	if (at >= last_sseq && !refused)
		return true;
	snprintf(err, err_cap, "reading %s from JetStream: %s", subject,
		 refused ? "refused" : natsStatus_GetText(s));
	return false;
}
