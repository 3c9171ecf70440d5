/*
 * server -- what one running plenaryd owns. server.c is the lws shell (the context and
 * the protocol callback) and the start and stop; everything hangs off this struct, never
 * off a global, so the session and fan-out code can run in a unit test with a
 * struct gateway of its own and no lws context at all (ctx NULL, loop not started).
 */
#ifndef PLENARY_GATEWAY_SERVER_H
#define PLENARY_GATEWAY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/list.h"
#include "gateway/config.h"
#include "gateway/fanout.h"
#include "gateway/loop.h"
#include "gateway/metrics.h"
#include "gateway/ratelimit.h"
#include "gateway/session.h"
#include "gateway/token.h"
#include "gateway/wsbatch.h"

struct gateway {
	struct gw_config cfg;
	struct lws_context *ctx; /* NULL in unit tests */
	struct lws_vhost *vhost;
	int port;
	struct ssl_ctx_st *tls_ctx; /* the HTTPS listener's (lws owns it); NULL: plain HTTP */
	int redirect_port;	    /* --redirect-http's, as bound; 0 when there is none */
	uint8_t secret[64];
	size_t secret_len;
	char admin_token[512];
	bool admin_enabled;
	struct rooms *rooms;
	struct media *media; /* NULL: media.offer is unavailable */
	struct gw_metrics metrics;
	struct base_list conns; /* every WebSocket connection (conn.link), newest first */
	/* Connections that have messages to write before the loop next waits (ws.c). */
	struct base_list ws_ready;
	uint64_t next_conn_id;
	struct gw_resume_keys resume;
	struct gw_addr_buckets join_limits; /* joins per client address (session.c) */
	/* The rate limits' clock: NULL is gw_now_ms; the unit tests set their own. */
	int64_t (*limit_clock_ms)(void);
	struct gw_hlim *http_limits; /* per client address (http.c); made on first use */
	struct gw_gzip *gzip;	     /* the web client's files compressed (http.c); on first use */
	struct fanout_listener listener; /* told of events and durability (media_glue.c) */
	struct gw_loop loop;
	struct gw_wsbatch ws_batch; /* where ws.c frames a connection's batch (wsbatch.h) */
	bool stopping;
	struct gw_nats *nats; /* --nats: the logs' JetStream replica (nats_log.h); else NULL */
	/* --nats: the rooms' owner leases (nats_lease.h); else NULL */
	struct gw_lease *lease;
	struct gw_edge *edge; /* --edge: following rooms, forwarding commands (nats_edge.h) */
	struct gw_cmd *cmd;   /* --nats, not --edge: edges' commands for our rooms (nats_cmd.h) */
	struct gw_nats_media
	    *nats_media; /* --nats: the rooms' sound between nodes (nats_media.h) */
};

/* The one token check every entry point uses (join, resume, the CART POST, any HTTP
 * endpoint taking a token): token_verify with this server's secret, the clock and
 * cfg.token_max_lifetime_s. token_strerror(result) is the unauthorized message. */
BASE_WUR enum token_err gw_token_verify(const struct gateway *gw, const char *token,
					const char *room, struct token_claims *claims);
/* The same check, but a token past its exp passes (token_verify_lapsed): a resume in
 * the grace period (session.c). */
BASE_WUR enum token_err gw_token_verify_lapsed(const struct gateway *gw, const char *token,
					       const char *room, struct token_claims *claims);

#endif
