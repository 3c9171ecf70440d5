/*
 * venue_rtp -- a room's sound desk over plain RTP, for AV desks that run no browser: one
 * UDP socket that takes the room's microphones in and one address the room's loudspeaker
 * feed goes out to (private to media/).
 *
 * In the mix it is a member like any browser's peer (struct mixer_member), with no SRTP:
 * its gate is open while the room's session is live, so everyone hears it as part of the
 * floor, and what it is sent is its mix-minus -- everyone but itself -- or the public mix
 * when it is silent, exactly as for any open mic. It sits on a LAN between the desk and
 * the server, where the configuration names both ends; nothing here is encrypted or
 * authenticated, which is why the listen address should be a private interface.
 *
 * Two codecs, one per venue, in both directions:
 *   - Opus (RFC 7587): taken as it comes (20 ms packets), sent as the mixer made it;
 *   - L16 (RFC 3551 sect. 4.5.11), 48 kHz mono, big-endian: packets of any whole number of
 *     samples are gathered into 20 ms frames and encoded for the mix; what goes out is
 *     decoded and sent as two 10 ms packets (a 20 ms frame would not fit an Ethernet MTU).
 *
 * Bad input (not RTP version 2, another payload type, an empty payload, an odd L16 length,
 * an Opus packet that is not 20 ms) is dropped and counted, and changes nothing.
 *
 * Threads: venue_rtp_create and venue_rtp_destroy run on whichever thread owns the
 * object (the gateway's at creation, then the worker's once it was posted); everything
 * else runs on the room's worker thread. venue_rtp_receive and the sending side allocate
 * nothing: the codecs are made at creation.
 */
#ifndef PLENARY_MEDIA_VENUE_RTP_H
#define PLENARY_MEDIA_VENUE_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/attr.h"
#include "base/list.h"
#include "media/media.h"
#include "media/mix/mix.h"
#include "media/wire/wire.h"

#define VENUE_L16_FRAME 960 /* 20 ms at 48 kHz: what the mixer takes per tick */

/* --- parsing: bytes in, a verdict out (pure; fuzzed in tests/fuzz/media/net) ---------- */

enum venue_drop {
	VENUE_OK = 0,
	VENUE_EBAD_RTP, /* not an RTP version 2 packet (rtp_parse refused it) */
	VENUE_EPT,	/* another payload type than the configured one */
	VENUE_EEMPTY,	/* no payload */
	VENUE_EL16,	/* an L16 payload of an odd number of bytes, or over 20 ms */
	VENUE_EOPUS,	/* not a valid Opus packet of 20 ms */
};
const char *venue_drop_name(enum venue_drop d);

/* Checks the datagram buf[0..len) as codec's RTP with payload type pt and fills *out
 * (pointing into buf). */
BASE_WUR enum venue_drop venue_rtp_check(const uint8_t *buf, size_t len,
					 enum media_venue_codec codec, uint8_t pt,
					 struct rtp_header *out);

/* Gathers L16 samples into 20 ms frames. */
struct venue_l16 {
	int16_t pcm[VENUE_L16_FRAME];
	size_t n; /* samples gathered in pcm */
};
/* Takes samples from the big-endian payload be[0..len) (len even) starting at sample
 * *from, up to the end of the payload or of the frame; advances *from. True when the frame
 * is full: the caller uses pcm and sets n to 0 before the next call. */
bool venue_l16_gather(struct venue_l16 *f, const uint8_t *be, size_t len, size_t *from);

/* Parses "ADDR:PORT" (an IPv6 address in brackets), numeric, port 1..65535. */
BASE_WUR bool venue_parse_addr(const char *text, struct stun_addr *out);

/* --- the venue ------------------------------------------------------------------------- */

struct venue_rtp_counters {
	_Atomic uint64_t received; /* datagrams taken into the mix */
	_Atomic uint64_t dropped;  /* datagrams refused (enum venue_drop) */
	_Atomic uint64_t sent;	   /* datagrams sent to the desk */
};

struct venue_rtp {
	struct base_list link; /* in its worker's list */
	char room[MEDIA_ROOM_MAX + 1];
	uint32_t ssrc;			/* the room's */
	struct mixer_room_stats *stats; /* the room pin's */
	int fd;
	int family;
	struct stun_addr local, send_to;
	enum media_venue_codec codec;
	uint8_t pt;
	struct venue_rtp_counters *counters; /* the worker's; set when it is added */

	struct mixer_member member; /* srtp NULL: plain RTP through sink */
	struct fanout_sink sink;

	/* L16 only. */
	struct codec_encoder *enc; /* the desk's microphones, for the mix */
	struct codec_decoder *dec; /* what the desk hears, back to L16 */
	struct venue_l16 in;
	uint16_t in_seq; /* of the Opus packets made from L16 frames */
	uint32_t in_ts;
	uint16_t out_seq;
	uint8_t in_pkt[CODEC_MAX_PACKET];		   /* an encoded L16 frame */
	uint8_t out_pkt[RTP_HEADER_LEN + VENUE_L16_FRAME]; /* 10 ms of L16 */
	int16_t out_pcm[VENUE_L16_FRAME];
};

/* Opens the listening socket and makes the codecs. cfg->room must be a valid room id.
 * On error why says what failed. Errors: MEDIA_ERR_PARAM, MEDIA_ERR_SYSTEM (the socket: a
 * bad or busy listen address), MEDIA_ERR_NOMEM, MEDIA_ERR_CODEC. Free with
 * venue_rtp_destroy. */
BASE_WUR enum media_err venue_rtp_create(const struct media_venue_rtp *cfg, uint32_t ssrc,
					 struct mixer_room_stats *stats, struct venue_rtp **out,
					 char *why, size_t why_cap);
/* Closes the socket and frees the codecs; the member must have left its room. NULL is
 * fine. */
void venue_rtp_destroy(struct venue_rtp *v);

/* Reads what waits on the socket (at most a batch; epoll is level-triggered) and gives
 * every good packet to the room's mixer (room_mixer_audio) with the clock now_us. */
void venue_rtp_receive(struct venue_rtp *v, const struct mixer_env *env, int64_t now_us);

#endif
