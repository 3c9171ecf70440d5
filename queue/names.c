/*
 * names.c -- the wire names of the queue's enums, and its error strings.
 *
 * Every enum that crosses the wire (PROTOCOL.md "Speaking queue and floor") has one table
 * here, indexed by the enum value with designated initialisers, so a name cannot drift
 * from its value and adding a value is one line. Parsing walks the same table: the
 * tables are a handful of entries long, so a linear scan is both the simplest and the
 * fastest thing, and there is exactly one spelling of each name in the program.
 */
#include "queue/queue.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const err_names[] = {
    [QUEUE_OK] = "success",
    [QUEUE_EQUEUED] = "already in the queue",
    [QUEUE_EHOLDING] = "holds the floor",
    [QUEUE_ECLOSED] = "the queue is closed",
    [QUEUE_EEMPTY] = "nobody is waiting",
    [QUEUE_ENOFLOOR] = "nobody holds the floor",
    [QUEUE_ENOTFOUND] = "no such entry",
    [QUEUE_EINVAL] = "invalid argument",
    [QUEUE_EFULL] = "the queue is full",
    [QUEUE_ENOMEM] = "out of memory",
};

static const char *const kind_names[] = {
    [QUEUE_KIND_SPEAK] = "speak",
    [QUEUE_KIND_POINT_OF_ORDER] = "point_of_order",
    [QUEUE_KIND_CLARIFY] = "clarify",
    [QUEUE_KIND_REPLY] = "reply",
};

static const char *const location_names[] = {
    [QUEUE_LOC_REMOTE] = "remote",
    [QUEUE_LOC_ROOM] = "room",
};

static const char *const policy_names[] = {
    [QUEUE_POLICY_FIFO] = "fifo",
    [QUEUE_POLICY_GROUPS_ROUND_ROBIN] = "groups_round_robin",
    [QUEUE_POLICY_ALTERNATE_LOCATION] = "alternate_location",
};

static const char *const chosen_names[] = {
    [QUEUE_CHOSEN_POINT_OF_ORDER] = "point_of_order",
    [QUEUE_CHOSEN_FIFO] = "fifo",
    [QUEUE_CHOSEN_GROUPS_ROUND_ROBIN] = "groups_round_robin",
    [QUEUE_CHOSEN_ALTERNATE_LOCATION] = "alternate_location",
    [QUEUE_CHOSEN_CHAIR] = "chair",
};

static const char *const end_reason_names[] = {
    [QUEUE_END_YIELDED] = "yielded",
    [QUEUE_END_CHAIR] = "chair",
    [QUEUE_END_TIME] = "time",
    [QUEUE_END_LEFT] = "left",
    [QUEUE_END_SESSION_ENDED] = "session_ended",
    [QUEUE_END_REMOVED] = "removed",
};

/* Enum values arrive as ints from callers that may have decoded them badly; the unsigned
 * comparison rejects negative values as well as values past the end. */
static const char *name_of(const char *const *names, size_t count, int value)
{
	if ((unsigned)value >= count)
		return NULL;
	return names[value];
}

/* The index of name in the table, or -1. */
static int index_of(const char *const *names, size_t count, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

const char *queue_strerror(enum queue_err err)
{
	const char *s = name_of(err_names, COUNT(err_names), (int)err);
	return s != NULL ? s : "unknown error";
}

const char *queue_kind_name(enum queue_kind kind)
{
	return name_of(kind_names, COUNT(kind_names), (int)kind);
}

bool queue_kind_parse(const char *name, enum queue_kind *out)
{
	int i = index_of(kind_names, COUNT(kind_names), name);
	if (i < 0)
		return false;
	*out = (enum queue_kind)i;
	return true;
}

const char *queue_location_name(enum queue_location loc)
{
	return name_of(location_names, COUNT(location_names), (int)loc);
}

bool queue_location_parse(const char *name, enum queue_location *out)
{
	int i = index_of(location_names, COUNT(location_names), name);
	if (i < 0)
		return false;
	*out = (enum queue_location)i;
	return true;
}

const char *queue_policy_name(enum queue_policy policy)
{
	return name_of(policy_names, COUNT(policy_names), (int)policy);
}

bool queue_policy_parse(const char *name, enum queue_policy *out)
{
	int i = index_of(policy_names, COUNT(policy_names), name);
	if (i < 0)
		return false;
	*out = (enum queue_policy)i;
	return true;
}

const char *queue_chosen_name(enum queue_chosen chosen)
{
	return name_of(chosen_names, COUNT(chosen_names), (int)chosen);
}

bool queue_chosen_parse(const char *name, enum queue_chosen *out)
{
	int i = index_of(chosen_names, COUNT(chosen_names), name);
	if (i < 0)
		return false;
	*out = (enum queue_chosen)i;
	return true;
}

const char *queue_end_reason_name(enum queue_end_reason reason)
{
	return name_of(end_reason_names, COUNT(end_reason_names), (int)reason);
}

bool queue_end_reason_parse(const char *name, enum queue_end_reason *out)
{
	int i = index_of(end_reason_names, COUNT(end_reason_names), name);
	if (i < 0)
		return false;
	*out = (enum queue_end_reason)i;
	return true;
}
