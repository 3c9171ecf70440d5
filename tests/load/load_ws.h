/*
 * load_ws -- many WebSocket client connections on one libwebsockets context and one
 * thread: plenary-load's signalling to Plenary (subprotocol plenary.v1) and to Janus
 * (janus-protocol).
 *
 * A connection is a handle with a small outgoing queue (ws_send copies the text and asks
 * lws for a writeable callback; each callback writes one message, as lws wants) and a
 * receive buffer that reassembles fragments up to WS_MAX_MESSAGE. The owner's handlers
 * are called from inside ws_service: on_open once established, on_message per complete
 * text message, on_close exactly once when the connection ends or fails to open (with a
 * short reason); the handle is freed right after on_close returns, so the owner forgets
 * it there. The lws callback only translates (STYLE.md): nothing protocol-specific here.
 *
 * One more job lives here because it must run on this thread: a periodic tick, every
 * tick_ms, for the drivers' timers (ramping joins, keepalives, deadlines).
 */
#ifndef PLENARY_LOAD_WS_H
#define PLENARY_LOAD_WS_H

#include <stdbool.h>
#include <stddef.h>

#define WS_MAX_MESSAGE (8u << 20) /* a join ack with a 10,000-person snapshot fits */

struct load_ws;
struct ws_conn;

struct ws_handlers {
	void (*on_open)(void *user, struct ws_conn *c);
	void (*on_message)(void *user, struct ws_conn *c, const char *text, size_t len);
	void (*on_close)(void *user, struct ws_conn *c, const char *why);
};

/* One context able to hold max_conns connections. tick (may be NULL) runs every tick_ms
 * on the service thread with tick_user. NULL on failure. */
struct load_ws *ws_create(unsigned max_conns, unsigned tick_ms, void (*tick)(void *),
			  void *tick_user);
/* Closes every connection (their on_close runs) and frees the context. NULL is fine. */
void ws_destroy(struct load_ws *w);

/* Starts connecting to ws://host:port/path with the given subprotocol. Every outcome,
 * even a connect that lws refuses at once, arrives through the handlers later, never from
 * inside this call. NULL only when out of memory. */
struct ws_conn *ws_connect(struct load_ws *w, const char *host, int port, const char *path,
			   const char *subprotocol, const struct ws_handlers *h, void *user);
/* Queues a text message; false if the connection is closing or memory ran out. */
bool ws_send(struct ws_conn *c, const char *text, size_t len);
/* Messages queued and not yet written. */
size_t ws_pending(const struct ws_conn *c);
/* Asks lws to close the connection; on_close follows from ws_service. */
void ws_close(struct ws_conn *c);

/* Services the context until something happened or timeout_ms passed. */
void ws_service(struct load_ws *w, int timeout_ms);
/* Connections open or opening. */
unsigned ws_count(const struct load_ws *w);

#endif
