/* The requests an owner reads from edges, and the replies an edge reads from an owner
 * (gateway/nats_cmd_msg.h), on arbitrary bytes: never read past the input; a request
 * taken has every field within its bounds and encodes to a request that parses to the
 * same; a reply taken encodes and parses back to the same code and head. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/nats_cmd_msg.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_request(const struct gw_fwd_req *a, const struct gw_fwd_req *b)
{
	if (a->op != b->op || a->conn != b->conn || a->role != b->role ||
	    a->in_room != b->in_room || strcmp(a->node, b->node) || strcmp(a->room, b->room) ||
	    strcmp(a->pid, b->pid) || strcmp(a->name, b->name) || strcmp(a->group, b->group) ||
	    strcmp(a->lang, b->lang) || ((a->cmd || b->cmd) && !json_equal(a->cmd, b->cmd)))
		abort();
}

static void request(const char *text, size_t size)
{
	struct gw_fwd_req r, back;
	char err[160];
	if (!gw_fwd_req_parse(text, size, &r, err, sizeof err)) {
		if (!err[0] || r.cmd)
			abort();
		return;
	}
	if (!gw_fwd_node_valid(r.node) || !rooms_valid_id(r.room) || !r.pid[0] ||
	    (r.op == GW_FWD_CMD) != (r.cmd != NULL))
		abort();
	size_t len = 0;
	char *again = gw_fwd_req_encode(&r, &len);
	if (!again || !gw_fwd_req_parse(again, len, &back, err, sizeof err))
		abort();
	same_request(&r, &back);
	free(again);
	gw_fwd_req_clear(&r);
	gw_fwd_req_clear(&back);
}

static void reply(const char *text, size_t size)
{
	struct gw_fwd_reply a, back;
	if (!gw_fwd_reply_parse(text, size, &a))
		return;
	size_t len = 0;
	char *again = gw_fwd_reply_encode(&a, &len);
	if (!again || !gw_fwd_reply_parse(again, len, &back) || back.err != a.err ||
	    back.head != a.head)
		abort();
	free(again);
	gw_fwd_reply_clear(&a);
	gw_fwd_reply_clear(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_exact_copy(data, size);
	if (!text)
		return 0;
	request(text, size);
	reply(text, size);
	free(text);
	return 0;
}
