/*
 * ws -- the lws side of a WebSocket connection: frames in, queued messages out. The
 * protocol callback in server.c calls these and nothing else for the /ws protocol.
 * Each returns 0, or -1 for lws to close the connection.
 */
#ifndef PLENARY_GATEWAY_WS_H
#define PLENARY_GATEWAY_WS_H

#include <stddef.h>

#define GW_MAX_MESSAGE (64 * 1024) /* PROTOCOL.md: a bigger frame closes with 1009 */
/* The most one batched write carries (unless its one message is bigger): the kernel's
 * socket buffer takes about this much at once. */
#define GW_WS_BATCH_MAX (64 * 1024)

struct conn;
struct gateway;
struct lws;

/* ESTABLISHED: the connection for wsi, or NULL (out of memory). */
struct conn *gw_ws_open(struct gateway *gw, struct lws *wsi);
int gw_ws_receive(struct conn *c, const void *in, size_t len);
int gw_ws_writable(struct conn *c);
/* CLOSED: ends the session and frees c. */
void gw_ws_closed(struct conn *c);
/* Before the loop waits: writes what each connection queued in this turn (the loop's
 * before_wait handler). */
void gw_ws_write_ready(struct gateway *gw);

#endif
