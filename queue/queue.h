/*
 * queue -- the speaking queue and the floor, as pure logic.
 *
 * A chair's day is keeping the mic line: people raise their hand, the chair gives the
 * floor in turn, the clock runs. This module is that bookkeeping and nothing else: plain
 * structs, no sockets, no clock of its own (every time is passed in as milliseconds
 * since the Unix epoch), no I/O, no allocation outside queue_init/queue_raise growth.
 *
 * The room (rooms/) uses it in two ways, which is what lets a restart rebuild the queue
 * exactly from the log:
 *   - to decide: queue_check_raise(), queue_pick(), queue_find_*() look at the state and
 *     never change it;
 *   - to apply: queue_raise(), queue_remove(), queue_move(), queue_grant(),
 *     queue_end_floor(), queue_extend(), queue_set_*() change it, and are called with the
 *     fields of a logged event, both live and when replaying.
 *
 * Order. Entries are kept in the order they were raised. Who speaks next depends on the
 * policy (queue_pick), and queue_order() lists the waiting entries in the order the policy
 * would give them the floor if nothing changed -- that is the order people see. In every
 * policy, points of order come first (in raising order), then clarify and reply, then
 * speak; the policy chooses within a class.
 *   fifo                 earliest raised.
 *   groups_round_robin   the earliest entry of the stakeholder group that spoke least
 *                        recently; groups that never spoke come first (ties between them
 *                        go to the group whose waiting entry was raised first).
 *   alternate_location   if both in-room and remote entries wait, the earliest entry of
 *                        the other location than the last floor's; otherwise earliest.
 * Chair order. queue_move() puts the queue in chair order: the current queue_order() is
 * frozen into an explicit list and the entry moved; from then on queue_order() is that
 * list and queue_pick() takes its head with the reason QUEUE_CHOSEN_CHAIR. New entries go
 * to the end (points of order after the leading points of order). Setting a policy again,
 * or the queue becoming empty, returns to policy order.
 *
 * Groups. The group "" (no group) is a group like any other for round robin and
 * statistics. Every grant, whatever chose it, counts as that group's turn and that
 * location's floor. The queue remembers the turns of at most QUEUE_MAX_GROUPS groups;
 * when a new group gets the floor with the table full, the group that spoke least
 * recently is forgotten (it then counts as never having spoken). queue_raise() reserves
 * that table's memory, so queue_grant() never allocates and never fails for memory.
 */
#ifndef PLENARY_QUEUE_H
#define PLENARY_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define QUEUE_PID_MAX		128 /* bytes, including the NUL */
#define QUEUE_NAME_MAX		128 /* bytes, including the NUL */
#define QUEUE_GROUP_MAX		64  /* bytes, including the NUL */
#define QUEUE_MAX_ENTRIES	1000
#define QUEUE_MAX_GROUPS	256
#define QUEUE_MAX_LIMIT_S	86400 /* the longest time_limit_s a policy gives, in seconds */
#define QUEUE_MAX_FLOOR_LIMIT_S (2 * QUEUE_MAX_LIMIT_S) /* a floor's, extensions included */
#define QUEUE_STATS_MAX_FLOORS	10000			/* floors one queue_stats summarises */
#define QUEUE_STATS_MAX_MS	(INT64_C(100) * 366 * 86400 * 1000) /* a century */

/* The allocator: realloc when size > 0, free (returning NULL) when size is 0. NULL in
 * struct queue.alloc (the default) means the C library's. Tests inject a failing one. */
typedef void *(*queue_alloc_fn)(void *ctx, void *ptr, size_t size);

enum queue_err {
	QUEUE_OK = 0,
	QUEUE_EQUEUED,	 /* this person already has an entry */
	QUEUE_EHOLDING,	 /* this person holds the floor */
	QUEUE_ECLOSED,	 /* the line is closed (points of order still allowed) */
	QUEUE_EEMPTY,	 /* nobody is waiting */
	QUEUE_ENOFLOOR,	 /* nobody holds the floor */
	QUEUE_ENOTFOUND, /* no such entry (stale id) */
	QUEUE_EINVAL,	 /* bad argument: position out of range, string too long, ... */
	QUEUE_EFULL,	 /* QUEUE_MAX_ENTRIES waiting, or QUEUE_STATS_MAX_FLOORS added */
	QUEUE_ENOMEM,
};
const char *queue_strerror(enum queue_err err);

enum queue_kind {
	QUEUE_KIND_SPEAK = 0,
	QUEUE_KIND_POINT_OF_ORDER,
	QUEUE_KIND_CLARIFY,
	QUEUE_KIND_REPLY,
};
enum queue_location { QUEUE_LOC_REMOTE = 0, QUEUE_LOC_ROOM };
enum queue_policy {
	QUEUE_POLICY_FIFO = 0,
	QUEUE_POLICY_GROUPS_ROUND_ROBIN,
	QUEUE_POLICY_ALTERNATE_LOCATION,
};
/* Why a speaker got the floor: the value of floor.granted's "policy" field. */
enum queue_chosen {
	QUEUE_CHOSEN_POINT_OF_ORDER = 0,
	QUEUE_CHOSEN_FIFO,
	QUEUE_CHOSEN_GROUPS_ROUND_ROBIN,
	QUEUE_CHOSEN_ALTERNATE_LOCATION,
	QUEUE_CHOSEN_CHAIR,
};
enum queue_end_reason {
	QUEUE_END_YIELDED = 0,
	QUEUE_END_CHAIR,
	QUEUE_END_TIME,
	QUEUE_END_LEFT,
	QUEUE_END_SESSION_ENDED,
	QUEUE_END_REMOVED, /* the chair removed the holder from the room */
};

/* Wire names ("point_of_order", "groups_round_robin", "room", "session_ended", ...) and
 * back. The _name functions return NULL for a value outside the enum; the _parse
 * functions return false for an unknown name (or NULL) and leave *out alone. */
const char *queue_kind_name(enum queue_kind kind);
bool queue_kind_parse(const char *name, enum queue_kind *out);
const char *queue_location_name(enum queue_location loc);
bool queue_location_parse(const char *name, enum queue_location *out);
const char *queue_policy_name(enum queue_policy policy);
bool queue_policy_parse(const char *name, enum queue_policy *out);
const char *queue_chosen_name(enum queue_chosen chosen);
bool queue_chosen_parse(const char *name, enum queue_chosen *out);
const char *queue_end_reason_name(enum queue_end_reason reason);
bool queue_end_reason_parse(const char *name, enum queue_end_reason *out);

/* A person as the queue knows them. pid "" means an in-room speaker the chair added
 * (no account: pid null on the wire). Strings are copied. */
struct queue_person {
	const char *pid;
	const char *name;
	const char *group; /* "" when none */
	enum queue_location location;
};

struct queue_entry {
	int64_t entry; /* id, unique in the room, never reused */
	char pid[QUEUE_PID_MAX];
	char name[QUEUE_NAME_MAX];
	char group[QUEUE_GROUP_MAX];
	enum queue_location location;
	enum queue_kind kind;
	int64_t raised_ms;
	uint64_t raised_seq; /* rank in raising order (queue.raises when raised): restores
				raising order when chair order ends */
};

struct queue_floor {
	bool active;
	int64_t entry;
	char pid[QUEUE_PID_MAX];
	char name[QUEUE_NAME_MAX];
	char group[QUEUE_GROUP_MAX];
	enum queue_location location;
	enum queue_kind kind;
	enum queue_chosen chosen;
	int64_t raised_ms; /* when the entry was raised: the wait is started - raised */
	int64_t started_ms;
	int32_t limit_s; /* 0 = no limit */
};

struct queue_group_turn {
	char group[QUEUE_GROUP_MAX];
	uint64_t last_turn; /* value of queue.turns when this group last got the floor */
};

struct queue {
	bool open;
	enum queue_policy policy;
	int32_t time_limit_s; /* limit given to each new floor; 0 = none */
	bool auto_end;	      /* end the floor by itself when the limit passes */
	bool chair_order;     /* see "Chair order" above */

	struct queue_entry *entries; /* in raising order (policy order), or chair order */
	size_t count, cap;
	int64_t next_entry; /* the id the next raised entry gets */
	uint64_t raises;    /* entries raised so far: the next entry's raised_seq */

	struct queue_floor floor;
	uint64_t turns; /* floors granted so far */
	enum queue_location last_location;
	bool has_last_location;
	struct queue_group_turn *groups; /* groups that have had the floor */
	size_t group_count, group_cap;

	queue_alloc_fn alloc; /* NULL: the C library's; set after queue_init if wanted */
	void *alloc_ctx;
};

/* Defaults: open, fifo, time_limit_s 180, auto_end false, empty, next_entry 1, the C
 * library's allocator. Allocates nothing. queue_fini frees what the queue holds and leaves
 * it as queue_init does. */
void queue_init(struct queue *q);
void queue_fini(struct queue *q);

/* --- deciding (const) --- */

/* May this person raise a hand of this kind now? QUEUE_EQUEUED, QUEUE_EHOLDING,
 * QUEUE_ECLOSED (not for points of order), QUEUE_EFULL, and QUEUE_EINVAL for a NULL or
 * too long pid or an unknown kind. pid "" (in-room speakers added by the chair) is never
 * EQUEUED/EHOLDING, and the chair may add while closed: pass chair_add = true. */
enum queue_err queue_check_raise(const struct queue *q, const char *pid, enum queue_kind kind,
				 bool chair_add) BASE_WUR;

/* The entry the policy gives the floor to next, and why. QUEUE_EEMPTY if none waits. */
enum queue_err queue_pick(const struct queue *q, int64_t *entry, enum queue_chosen *why) BASE_WUR;

/* Waiting entries in the order they would get the floor (see above). Writes up to cap
 * pointers into out and returns how many there are (may exceed cap). */
size_t queue_order(const struct queue *q, const struct queue_entry **out, size_t cap);

/* Lookups among the waiting entries (not the floor); NULL when absent. pid "" finds
 * nothing, since any number of in-room speakers share it. */
const struct queue_entry *queue_find_entry(const struct queue *q, int64_t entry);
const struct queue_entry *queue_find_pid(const struct queue *q, const char *pid);

/* --- applying (the fields of a logged event) --- */

/* Every apply function either succeeds or returns an error and changes nothing. */

/* queue.raised: appends an entry with this id (next_entry becomes at least id + 1).
 * Checks nothing but capacity and arguments (QUEUE_EFULL, QUEUE_ENOMEM, QUEUE_EINVAL for
 * a string too long, an unknown kind or location, or an id that is negative, INT64_MAX,
 * or already waiting or holding the floor); call queue_check_raise first when deciding. */
enum queue_err queue_raise(struct queue *q, int64_t entry, const struct queue_person *who,
			   enum queue_kind kind, int64_t raised_ms) BASE_WUR;
/* queue.lowered / queue.removed. QUEUE_ENOTFOUND. */
enum queue_err queue_remove(struct queue *q, int64_t entry) BASE_WUR;
/* queue.moved: position is 0-based in queue_order(). QUEUE_ENOTFOUND, QUEUE_EINVAL when
 * position >= number waiting. Switches to chair order. */
enum queue_err queue_move(struct queue *q, int64_t entry, size_t position) BASE_WUR;
/* floor.granted: removes the entry from the queue and makes it the floor. A floor that is
 * still active must have been ended first (QUEUE_EINVAL otherwise); limit_s must be
 * 0..QUEUE_MAX_FLOOR_LIMIT_S and why a known value (QUEUE_EINVAL). QUEUE_ENOTFOUND. */
enum queue_err queue_grant(struct queue *q, int64_t entry, int32_t limit_s, enum queue_chosen why,
			   int64_t now_ms) BASE_WUR;
/* floor.ended: clears the floor and reports how long it lasted (never negative, even if
 * the clock stepped back; duration_ms may be NULL). QUEUE_ENOFLOOR. */
enum queue_err queue_end_floor(struct queue *q, int64_t now_ms, int64_t *duration_ms) BASE_WUR;
/* floor.extended: the floor's new total limit in seconds, 1..QUEUE_MAX_FLOOR_LIMIT_S.
 * QUEUE_ENOFLOOR, QUEUE_EINVAL. */
enum queue_err queue_extend(struct queue *q, int32_t limit_s) BASE_WUR;
void queue_set_open(struct queue *q, bool open);
/* queue.policy: leaves chair order (back to raising order). time_limit_s < 0 or > 86400
 * (QUEUE_MAX_LIMIT_S), or an unknown policy, is QUEUE_EINVAL. */
enum queue_err queue_set_policy(struct queue *q, enum queue_policy policy, int32_t time_limit_s,
				bool auto_end) BASE_WUR;

/* --- the floor clock --- */

/* What the clock owes the floor. The warning falls 30 s before the limit (at once for
 * limits of 30 s or less); the end at the limit. */
enum queue_alarm { QUEUE_ALARM_NONE = 0, QUEUE_ALARM_WARNING, QUEUE_ALARM_LIMIT };
/* The next alarm the active floor is owed, given which alarms were already delivered for
 * it (warned, limit_passed), and when it falls in *at_ms: a time at or before now means
 * "deliver it now". Returns QUEUE_ALARM_NONE when there is no floor, no limit, or nothing
 * left to deliver (a warning is not owed once the limit has passed). The caller resets
 * its flags when the floor changes or is extended. */
enum queue_alarm queue_next_alarm(const struct queue *q, bool warned, bool limit_passed,
				  int64_t *at_ms) BASE_WUR;
/* Seconds left on the floor at now_ms, rounded away from zero so that the sign is exact:
 * positive while time is left, 0 exactly at the limit, negative once over time. 0 with no
 * limit or no floor. */
int64_t queue_remaining_s(const struct queue *q, int64_t now_ms);

/* --- speaking-time statistics for the public record --- */

/* Fed one completed floor at a time (from the log, in order), summarised per person, per
 * stakeholder group and per location: interventions, total and median duration, and the
 * mean wait from raising to getting the floor (only for entries that were raised; entries
 * a chair granted at once still count, with their real wait). */
struct queue_stat_row {
	char key[QUEUE_NAME_MAX];    /* pid (person), group name, or "remote" / "room" */
	char name[QUEUE_NAME_MAX];   /* display name for persons; group/location otherwise */
	char group[QUEUE_GROUP_MAX]; /* for persons */
	uint32_t interventions;
	int64_t total_ms;
	int64_t median_ms;
	int64_t mean_wait_ms;
};
struct queue_stats; /* opaque */
/* NULL when out of memory. _with uses alloc (NULL: the C library's). */
struct queue_stats *queue_stats_create(void);
struct queue_stats *queue_stats_create_with(queue_alloc_fn alloc, void *ctx);
void queue_stats_destroy(struct queue_stats *st);
/* pid "" (in-room speakers) are keyed by name (never confused with a pid that happens to
 * equal that name); a row keeps the name and group it was first seen with. Medians of an
 * even count are the mean of the middle two, and means, rounded down. QUEUE_ENOMEM,
 * QUEUE_EFULL after QUEUE_STATS_MAX_FLOORS floors, QUEUE_EINVAL for a NULL or too long
 * string, an unknown location, or a wait or duration over QUEUE_STATS_MAX_MS. A negative
 * wait or duration (a wall clock that stepped back) counts as 0. On error nothing
 * changes. */
enum queue_err queue_stats_add(struct queue_stats *st, const char *pid, const char *name,
			       const char *group, enum queue_location location, int64_t waited_ms,
			       int64_t duration_ms) BASE_WUR;
enum queue_stat_by { QUEUE_STATS_PERSON, QUEUE_STATS_GROUP, QUEUE_STATS_LOCATION };
/* Rows of one summary, in order of first appearance. Valid until the next add/destroy.
 * An unknown `by` gives 0 rows and *rows NULL. */
size_t queue_stats_rows(struct queue_stats *st, enum queue_stat_by by,
			const struct queue_stat_row **rows);

#endif
