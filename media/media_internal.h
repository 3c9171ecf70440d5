/*
 * The media object's own structs, shared by media.c (workers, addresses, certificate),
 * media_offer.c (offers, peers), media_events.c (events), media_stats.c (statistics) and
 * media_rooms.c (rooms pinned to workers, sessions, recordings). Gateway thread only,
 * like the rest of media.h's calls.
 */
#ifndef PLENARY_MEDIA_INTERNAL_H
#define PLENARY_MEDIA_INTERNAL_H

#include <netinet/in.h>

#include "base/list.h"
#include "media/media.h"
#include "media/mix/mix.h"
#include "media/net/net.h"
#include "media/wire/wire.h"

struct room_pin {
	char room[MEDIA_ROOM_MAX + 1];
	unsigned worker;
	size_t peers;
	bool live;     /* its session is live: the recording keeps it on its worker */
	uint32_t ssrc; /* the room's stream, in every answer of the room */
	struct mixer_room_stats stats; /* written by the worker's mixer */
};

struct media {
	struct dtls_context *dtls;   /* the current certificate; sessions hold older ones */
	const char *fingerprint_hex; /* the "AB:CD:..." part of its fingerprint */
	int64_t (*clock_s)(void *arg);
	void *clock_arg;
	unsigned n_workers;
	bool tcp; /* the workers listen for ICE-TCP too */
	struct worker *workers[MEDIA_MAX_WORKERS];
	size_t worker_peers[MEDIA_MAX_WORKERS];
	char candidate_ips[MEDIA_MAX_PUBLIC_IPS][INET6_ADDRSTRLEN]; /* announced, in order */
	size_t n_candidate_ips;					    /* at least 1 */
	char cname[PEER_CNAME_MAX + 1];
	int event_fd;
	struct base_list handles; /* every handle not yet GONE (media_peer.link) */
	struct room_pin **pins;
	size_t n_pins, cap_pins;
	char *recordings_dir;	/* NULL: no recordings */
	struct sdp_offer offer; /* scratch for media_peer_offer: 26 KiB, not on the stack */
	/* Rooms fed from other nodes (media_relay.c): read by pushes on any thread, under
	 * media_relay.c's lock. */
	struct relay_link **links;
	size_t n_links, cap_links;
	_Atomic uint64_t relay_dropped;
};

struct media_peer {
	struct media *m;
	struct peer *wpeer; /* the worker's: a name for commands, never dereferenced here */
	unsigned worker;
	void *user;
	bool closed;
	struct peer_shared shared; /* written by the worker */
	char room[MEDIA_ROOM_MAX + 1];
	struct base_list link; /* on media.handles */
};

/* Writes fmt (with arg) into why, when there is one, and returns err. */
enum media_err media_fail(char *why, size_t cap, enum media_err err, const char *fmt,
			  const char *arg);
/* On the gateway thread, before an offer is answered: a certificate MEDIA_CERT_ROTATE_S
 * old is replaced, long before its DTLS_CERT_LIFETIME_S run out. Should making the new one
 * fail, the old one serves on and the next offer tries again. */
void media_rotate_certificate(struct media *m);

/* The room's pin, made (with its SSRC) if the room never had audio; NULL when out of
 * memory or random numbers. */
struct room_pin *media_pin_get(struct media *m, const char *room);
/* The room's worker; a room with no peer and no live session has nothing on any worker,
 * so it may move to the least loaded one first. */
unsigned media_pin_worker(struct media *m, struct room_pin *pin);
/* A peer of the room on that worker is gone. */
void media_pin_remove(struct media *m, const char *room, unsigned worker);
/* media_relay.c: frees the links, after the workers were finished. */
void media_links_free(struct media *m);

#endif
