/*
 * rooms -- plenary rooms as pure state over a durable, hash-chained log.
 * (Grows with the rooms issue; this first part is the error vocabulary shared with the
 * gateway, whose names are the wire's error codes.)
 */
#ifndef PLENARY_ROOMS_H
#define PLENARY_ROOMS_H

enum room_err {
	ROOM_OK = 0,
	ROOM_EBAD_REQUEST,  /* malformed, missing or mistyped field */
	ROOM_EUNKNOWN_TYPE, /* no such command */
	ROOM_EUNAUTHORIZED, /* no or bad token, expired; command before join */
	ROOM_EFORBIDDEN,    /* the role may not do this */
	ROOM_ENOT_FOUND,    /* room, entry, hum, poll */
	ROOM_ECONFLICT,     /* the state does not allow it */
	ROOM_ERATE_LIMITED,
	ROOM_ETOO_LARGE,
	ROOM_EUNAVAILABLE,
	ROOM_EINTERNAL,
};
/* The wire's error code for err ("bad_request", ...). */
const char *room_err_code(enum room_err err);

#endif
