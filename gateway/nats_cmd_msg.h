/*
 * nats_cmd_msg -- the messages an edge and a room's owner exchange over NATS request/reply
 * for a client of the edge (docs/scale.md, "Edges"): what the client did, who the edge's
 * token check says they are, and which connection of which edge it was; and the owner's
 * answer, the ack or error it would have given its own client.
 *
 * Pure encoding and parsing, no NATS: the owner parses what arrives from the network with
 * gw_fwd_req_parse, which refuses anything malformed (tests/fuzz/gateway/fuzz_fwd_msg.c).
 */
#ifndef PLENARY_GATEWAY_NATS_CMD_MSG_H
#define PLENARY_GATEWAY_NATS_CMD_MSG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/conn.h"
#include "rooms/rooms.h"

#define GW_FWD_NODE_MAX 48 /* a node id: [a-z0-9-]{1,47} */

enum gw_fwd_op {
	GW_FWD_JOIN,  /* the client joined: attach a remote participant */
	GW_FWD_LEAVE, /* {"type":"leave"}: they leave at once */
	GW_FWD_DROP,  /* the connection is gone: the grace period starts */
	GW_FWD_CMD,   /* a room command, as the client sent it */
};

/* A forwarded request. Strings are copies; cmd (GW_FWD_CMD only) a reference. */
struct gw_fwd_req {
	enum gw_fwd_op op;
	char node[GW_FWD_NODE_MAX];
	uint64_t conn;
	char room[65];
	char pid[GW_PID_MAX], name[GW_NAME_MAX], group[GW_GROUP_MAX];
	char lang[BASE_LANG_MAX + 1];
	enum room_role role;
	bool in_room;
	json_t *cmd; /* the command object, with its "type" (a room command's name) */
};

/* The owner's answer: err ROOM_OK with result (the ack's own fields, a reference or
 * NULL), or an error code and message. head: the room's seq once the command's events
 * were committed (the edge tells the answer once it has folded that far). mic and mine:
 * what a join's ack says of the person (room_mic_open, room_private_state). */
struct gw_fwd_reply {
	enum room_err err;
	char message[512];
	int64_t head;
	json_t *result;
	bool mic;
	json_t *mine;
};

const char *gw_fwd_op_name(enum gw_fwd_op op);
bool gw_fwd_node_valid(const char *node);

/* A malloc'd compact JSON text (its length in *len), NULL on a bad op or OOM. */
char *gw_fwd_req_encode(const struct gw_fwd_req *r, size_t *len);
/* false, with why in err, for anything that is not exactly a request (unknown version,
 * op or role, a field missing, mistyped or too long, a bad room or node id, a cmd with
 * another op, a CMD without an object whose "type" is a room command); out is then
 * cleared. */
bool gw_fwd_req_parse(const char *data, size_t len, struct gw_fwd_req *out, char *err,
		      size_t err_cap);
void gw_fwd_req_clear(struct gw_fwd_req *r);

char *gw_fwd_reply_encode(const struct gw_fwd_reply *r, size_t *len);
/* false (out cleared) unless {ok, head, ...} with the right types. */
bool gw_fwd_reply_parse(const char *data, size_t len, struct gw_fwd_reply *out);
void gw_fwd_reply_clear(struct gw_fwd_reply *r);

#endif
