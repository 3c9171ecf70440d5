#include "rooms/rooms.h"

const char *room_err_code(enum room_err err)
{
	static const char *const codes[] = {
	    [ROOM_OK] = "ok",
	    [ROOM_EBAD_REQUEST] = "bad_request",
	    [ROOM_EUNKNOWN_TYPE] = "unknown_type",
	    [ROOM_EUNAUTHORIZED] = "unauthorized",
	    [ROOM_EFORBIDDEN] = "forbidden",
	    [ROOM_ENOT_FOUND] = "not_found",
	    [ROOM_ECONFLICT] = "conflict",
	    [ROOM_ERATE_LIMITED] = "rate_limited",
	    [ROOM_ETOO_LARGE] = "too_large",
	    [ROOM_EUNAVAILABLE] = "unavailable",
	    [ROOM_EINTERNAL] = "internal",
	};
	if ((unsigned)err >= sizeof codes / sizeof codes[0])
		return "internal";
	return codes[err];
}
