/*
 * The forwarded command and its answer, as JSON (nats_cmd_msg.h):
 *
 *   {"v":1,"op":"cmd","node":"edge-1f2e","conn":7,"room":"plenary",
 *    "who":{"pid":"p1","name":"Ana","role":"participant","group":"","location":"remote"},
 *    "cmd":{"type":"queue.raise","id":3}}
 *   {"ok":true,"head":42,"result":{...}}  or  {"ok":false,"error":"forbidden","message":"..."}
 *
 * The identity travels whole in every request: the owner trusts the edges it shares the
 * NATS account and the token secret with, and checks the identity of a command against
 * the one that joined.
 */
#include <string.h>

#include "base/lang.h"
#include "gateway/nats_cmd_msg.h"

static const char *const op_names[] = {"join", "leave", "drop", "cmd"};

const char *gw_fwd_op_name(enum gw_fwd_op op)
{
	return (unsigned)op < 4 ? op_names[op] : "?";
}

bool gw_fwd_node_valid(const char *node)
{
	size_t n = strlen(node);
	if (n == 0 || n >= GW_FWD_NODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((node[i] >= 'a' && node[i] <= 'z') || (node[i] >= '0' && node[i] <= '9') ||
		      node[i] == '-'))
			return false;
	return true;
}

char *gw_fwd_req_encode(const struct gw_fwd_req *r, size_t *len)
{
	if ((unsigned)r->op > GW_FWD_CMD || (r->op == GW_FWD_CMD && !json_is_object(r->cmd)))
		return NULL;
	json_t *v = json_pack("{s:i,s:s,s:s,s:I,s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "v", 1, "op",
			      op_names[r->op], "node", r->node, "conn", (json_int_t)r->conn, "room",
			      r->room, "who", "pid", r->pid, "name", r->name, "role",
			      room_role_name(r->role), "group", r->group, "location",
			      r->in_room ? "room" : "remote");
	if (v && r->lang[0])
		json_object_set_new(json_object_get(v, "who"), "lang", json_string(r->lang));
	if (v && r->op == GW_FWD_CMD)
		json_object_set(v, "cmd", r->cmd);
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (text)
		*len = strlen(text);
	return text;
}

static bool copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static bool parse_op(const char *name, enum gw_fwd_op *op)
{
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(name, op_names[i]) == 0) {
			*op = (enum gw_fwd_op)i;
			return true;
		}
	return false;
}

/* "who": the identity, every string bounded as the edge's connection holds it. */
static const char *parse_who(json_t *who, struct gw_fwd_req *out)
{
	const char *pid, *name, *role, *group, *location, *lang = "";
	if (json_unpack(who, "{s:s,s:s,s:s,s:s,s:s,s?s}", "pid", &pid, "name", &name, "role", &role,
			"group", &group, "location", &location, "lang", &lang) != 0)
		return "who: expected {pid,name,role,group,location[,lang]} strings";
	if (!pid[0] || !copy_str(out->pid, sizeof out->pid, pid) ||
	    !copy_str(out->name, sizeof out->name, name) ||
	    !copy_str(out->group, sizeof out->group, group))
		return "who: pid empty, or a string too long";
	if (!room_role_parse(role, &out->role))
		return "who: unknown role";
	if (strcmp(location, "room") != 0 && strcmp(location, "remote") != 0)
		return "who: location must be room or remote";
	out->in_room = strcmp(location, "room") == 0;
	if (lang[0] && (!base_lang_valid(lang) || !copy_str(out->lang, sizeof out->lang, lang)))
		return "who: bad lang";
	return NULL;
}

static const char *parse_fields(json_t *v, struct gw_fwd_req *out)
{
	int ver = 0;
	const char *op, *node, *room;
	json_int_t conn;
	json_t *who, *cmd = NULL;
	if (json_unpack(v, "{s:i,s:s,s:s,s:I,s:s,s:o,s?o}", "v", &ver, "op", &op, "node", &node,
			"conn", &conn, "room", &room, "who", &who, "cmd", &cmd) != 0)
		return "expected {v,op,node,conn,room,who[,cmd]}";
	if (ver != 1)
		return "unknown version";
	if (!parse_op(op, &out->op))
		return "unknown op";
	if (!gw_fwd_node_valid(node) || !copy_str(out->node, sizeof out->node, node))
		return "bad node id";
	if (conn < 0)
		return "bad conn";
	out->conn = (uint64_t)conn;
	if (!rooms_valid_id(room) || !copy_str(out->room, sizeof out->room, room))
		return "bad room id";
	const char *why = parse_who(who, out);
	if (why)
		return why;
	if ((out->op == GW_FWD_CMD) != (cmd != NULL))
		return "cmd comes with op cmd, and only with it";
	json_t *type = json_object_get(cmd, "type");
	if (cmd && (!json_is_object(cmd) || !json_is_string(type) ||
		    !room_command_known(json_string_value(type))))
		return "cmd must be an object whose type is a room command";
	out->cmd = json_incref(cmd);
	return NULL;
}

bool gw_fwd_req_parse(const char *data, size_t len, struct gw_fwd_req *out, char *err,
		      size_t err_cap)
{
	memset(out, 0, sizeof *out);
	json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	const char *why = json_is_object(v) ? parse_fields(v, out) : "not a JSON object";
	json_decref(v);
	if (why) {
		snprintf(err, err_cap, "%s", why);
		gw_fwd_req_clear(out);
	}
	return why == NULL;
}

void gw_fwd_req_clear(struct gw_fwd_req *r)
{
	json_decref(r->cmd);
	memset(r, 0, sizeof *r);
}

char *gw_fwd_reply_encode(const struct gw_fwd_reply *r, size_t *len)
{
	json_t *v =
	    r->err == ROOM_OK
		? json_pack("{s:b,s:I,s:b}", "ok", 1, "head", (json_int_t)r->head, "mic", r->mic)
		: json_pack("{s:b,s:s,s:s,s:I}", "ok", 0, "error", room_err_code(r->err), "message",
			    r->message, "head", (json_int_t)r->head);
	if (v && r->err == ROOM_OK && r->result)
		json_object_set(v, "result", r->result);
	if (v && r->err == ROOM_OK && r->mine)
		json_object_set(v, "mine", r->mine);
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (text)
		*len = strlen(text);
	return text;
}

static enum room_err err_of(const char *code)
{
	for (int e = ROOM_EBAD_REQUEST; e <= ROOM_EINTERNAL; e++)
		if (strcmp(code, room_err_code((enum room_err)e)) == 0)
			return (enum room_err)e;
	return ROOM_EINTERNAL;
}

bool gw_fwd_reply_parse(const char *data, size_t len, struct gw_fwd_reply *out)
{
	memset(out, 0, sizeof *out);
	json_t *v = json_loadb(data, len, 0, NULL);
	int ok = 0, mic = 0;
	json_int_t head = 0;
	const char *code = "internal", *message = "";
	json_t *result = NULL, *mine = NULL;
	bool good = json_unpack(v, "{s:b,s:I,s?b,s?s,s?s,s?o,s?o}", "ok", &ok, "head", &head, "mic",
				&mic, "error", &code, "message", &message, "result", &result,
				"mine", &mine) == 0 &&
		    (!result || json_is_object(result)) && (!mine || json_is_object(mine));
	if (good) {
		out->err = ok ? ROOM_OK : err_of(code);
		snprintf(out->message, sizeof out->message, "%s", message);
		out->head = head;
		out->mic = mic;
		out->result = json_incref(result);
		out->mine = json_incref(mine);
	}
	json_decref(v);
	return good;
}

void gw_fwd_reply_clear(struct gw_fwd_reply *r)
{
	json_decref(r->result);
	json_decref(r->mine);
	memset(r, 0, sizeof *r);
}
