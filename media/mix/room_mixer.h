/*
 * room_mixer -- one room's audio on its media worker: the mic gate, the open mics' jitter
 * buffers and decoders, the public mix encoded once for every listener, mix-minus for the
 * open-mic holders, "one voice, no transcoding" forwarding, the recording and the live
 * Ogg stream (DESIGN.md principle 3). Private to media/; the worker owns one per room
 * that has peers or a live session, and calls it from its own thread only.
 *
 *   on RTP (after SRTP unprotect)  room_mixer_audio
 *      closed gate  -> dropped here, never decoded; a loud one may be a mic.attempt
 *      open gate    -> jitter buffer; if it is the voice being forwarded, also sent on at
 *                      once (rtp_rewrite_forward + fan-out): no decode, no encode
 *   every 20 ms                    room_mixer_tick
 *      decide   forward one voice or mix (talk.h), switching at the tick
 *      pull     every open mic's jitter buffer -> decode / FEC / PLC -> gate fade
 *      mix      sum -> limit -> encode ONCE -> the same packet to every listener (fan-out:
 *               own SRTP session and payload type each, sendmmsg batches); an open mic
 *               that spoke gets its own mix-minus encode with the same seq/ts
 *      record   the tick's public packet -> recorder (writer thread) and the live Ogg
 *               writer -> page ring -> the gateway's listen.ogg clients
 *
 * One outbound stream. Every member hears one SSRC (the room's, which every answer of the
 * room names) whose sequence numbers and timestamps rtp_rewrite keeps continuous across
 * mixing, forwarding and changes of speaker. A tick that sends gives every member a packet
 * with the same seq and timestamp -- the public one, or the member's own mix-minus -- so
 * a member moving between the public stream and its own never sees a jump.
 *
 * Forwarding runs ahead of the jitter timeline (the packet goes out on arrival; the tick
 * plays it a jitter-buffer delay later). So at the switch to forwarding, what the voice's
 * jitter buffer holds unplayed is forwarded at once, and nothing is skipped; at the
 * switch back to mixing, the mix resumes from the jitter timeline, so listeners may hear
 * up to one jitter delay (typically one 20 ms frame) of the voice twice. The recording
 * always follows the jitter timeline (the forwarded voice's own packets, one per tick), so
 * it never skips or repeats and sample t is session time t.
 *
 * Allocation: create, join (the fan-out list grows), the first opening of a member's gate
 * (its jitter buffer, decoder and mix-minus encoder, kept until it leaves) and a session's
 * start (the live Ogg writer). room_mixer_tick and room_mixer_audio allocate nothing, take
 * no lock and free nothing; libsrtp's one allocation per listener is done at
 * room_mixer_keyed by protecting a throw-away packet.
 */
#ifndef PLENARY_MEDIA_ROOM_MIXER_H
#define PLENARY_MEDIA_ROOM_MIXER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/media.h"
#include "media/mix/fanout.h"
#include "media/mix/talk.h"
#include "media/record/record.h"
#include "media/wire/wire.h"

/* Worker-wide counters (relaxed atomics, read by media_stats_read from any thread). */
struct mixer_counters {
	_Atomic uint64_t packets_sent; /* datagrams of the rooms' streams the kernel took */
	_Atomic uint64_t send_errors, protect_errors;
	_Atomic uint64_t forwarded;	  /* packets forwarded as they came (no transcoding) */
	_Atomic uint64_t encoded;	  /* public mixes encoded */
	_Atomic uint64_t channel_encoded; /* interpretation channels' frames encoded (channels.h) */
	_Atomic uint64_t gate_errors;	  /* gates that could not open (no memory, too many) */
	_Atomic uint64_t relay_own;	  /* edges: owners' own mixes sent to open mics here */
	_Atomic uint64_t fanout_us;	  /* time in the public packets' fan-out (protect + send) */
	_Atomic uint64_t fanout_dests;	  /* ... and the listeners it served */
	_Atomic uint64_t latency_mix[MEDIA_LATENCY_BUCKETS + 1];
	_Atomic uint64_t latency_mix_count, latency_mix_sum_ns;
	_Atomic uint64_t latency_fwd[MEDIA_LATENCY_BUCKETS + 1];
	_Atomic uint64_t latency_fwd_count, latency_fwd_sum_ns;
};

/* What one room publishes for /metrics (relaxed atomics; the gateway's room pin owns it). */
struct mixer_room_stats {
	_Atomic uint64_t listeners; /* members receiving the room's stream */
	_Atomic uint64_t open_mics;
	_Atomic uint64_t packets_sent;
	_Atomic uint32_t forwarding; /* 1 while one voice is forwarded */
	_Atomic uint32_t recording;  /* 1 while the session is live and recorded */
};

/* The node's taps for edges (media_options.on_encoded, on_mic_frame; room_relay.c). */
struct mixer_tap {
	void (*encoded)(void *ctx, const struct media_frame *f);
	void (*mic)(void *ctx, const struct media_mic_frame *f);
	void *ctx;
};

/* What the worker lends the room for one call. */
struct mixer_env {
	int fd;			   /* the worker's UDP socket */
	struct fanout *fanout;	   /* the worker's batch buffers */
	struct recorder *recorder; /* NULL: no recordings */
	struct page_ring *pages;   /* NULL: no live stream */
	struct mixer_counters *counters;
	int64_t (*clock_us)(void);   /* monotonic microseconds: when a packet left */
	int64_t wall_ms;	     /* realtime milliseconds now (a session's late start) */
	const struct mixer_tap *tap; /* NULL: no taps */
};

struct room_mixer;
struct mixer_mic;

/* One peer as its room's mixer sees it, embedded in struct peer. The owner fills the
 * first block before room_mixer_keyed and keeps it valid until room_mixer_leave. */
struct mixer_member {
	struct media_srtp *srtp; /* the peer's session (protects what it is sent); NULL: plain
				  * RTP to sink (a venue's desk, net/venue_rtp.h) */
	union fanout_addr addr;
	socklen_t addr_len;
	uint8_t payload_type;	  /* its Opus payload type */
	struct fanout_sink *sink; /* NULL: addr over UDP; else its ICE-TCP connection */
	/* The participant, on an edge: whom the owner's own mix for them names
	 * (room_mixer_relay_own). NULL: none. */
	const char *pid;

	/* Interpretation (channels.h): 0 the floor, k channel k-1; 0 after a join. */
	uint8_t listen_ch; /* what it hears (room_mixer_channel) */
	uint8_t voice_ch;  /* what its open mic feeds (room_mixer_voice) */

	/* Private to the room mixer. */
	struct room_mixer *room;
	bool listening; /* keyed: receives the room's stream */
	bool gate;	/* its mic is open */
	size_t dest;	/* its index in the public fan-out list (listening, gate closed) */
	struct mixer_mic *mic;
	struct talk_attempt attempt;
	uint32_t base_packets, base_octets; /* the stream's counters when it started to listen */
};

struct room_mixer_config {
	const char *room; /* 1..MEDIA_ROOM_MAX bytes */
	uint32_t ssrc;	  /* the room's, as its answers say */
	uint16_t first_seq;
	uint32_t first_ts;
	int bitrate;			/* the public mix's; 0 = 32 kbit/s */
	struct mixer_room_stats *stats; /* NULL: none */
};

/* Errors: MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM, MEDIA_ERR_CODEC. Free with room_mixer_destroy. */
BASE_WUR enum media_err room_mixer_create(const struct room_mixer_config *cfg,
					  struct room_mixer **out);
/* Every member must have left. Ends a session still live (its files are completed).
 * NULL is fine. */
void room_mixer_destroy(struct room_mixer *rm, const struct mixer_env *env);

const char *room_mixer_id(const struct room_mixer *rm);
/* Whether the room's session is live (a venue's gate follows it). */
bool room_mixer_live(const struct room_mixer *rm);
/* Whether the room may be destroyed: no members, no live session. */
bool room_mixer_idle(const struct room_mixer *rm);

/* m joins (not yet keyed: it hears nothing). Errors: MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM. */
BASE_WUR enum media_err room_mixer_join(struct room_mixer *rm, struct mixer_member *m);
/* m leaves: out of the fan-out and the mix; its mic's objects are freed. Idempotent. */
void room_mixer_leave(struct mixer_member *m);
/* m's SRTP is keyed and its address known: it starts to hear the room's stream. */
void room_mixer_keyed(struct mixer_member *m);
/* m no longer hears anything (its peer failed), but stays a member until it leaves. */
void room_mixer_unkeyed(struct mixer_member *m);

/* The room's mic gate for m (DESIGN.md principle 3: only open mics are decoded). Opening
 * fades the voice in, closing fades it out (mix.h), over the next tick. Errors (the gate
 * then stays closed): MEDIA_ERR_NOMEM, MEDIA_ERR_CODEC, MEDIA_ERR_FULL. */
BASE_WUR enum media_err room_mixer_gate(struct mixer_member *m, bool open);

/* Interpretation channels (channels.h). ch is 0 for the floor, k for channel k-1 (k up to
 * MIXER_CHANNELS). room_mixer_channel: what m hears from the next send on (k above
 * MIXER_CHANNELS: channel k-1-MIXER_CHANNELS over the floor at -18 dB), with the same
 * SRTP session and one RTP timeline (seq and timestamp continue). room_mixer_voice: what
 * m's mic feeds when open (0: the floor's mix; k: channel k-1, never the floor); opening
 * a channel's voice closes any other open voice of that channel first, so a channel never
 * has two. Errors: MEDIA_ERR_PARAM (no room, ch out of range), MEDIA_ERR_NOMEM,
 * MEDIA_ERR_CODEC; m is then unchanged. */
BASE_WUR enum media_err room_mixer_channel(struct mixer_member *m, unsigned ch);
BASE_WUR enum media_err room_mixer_voice(struct mixer_member *m, unsigned ch);

/* Whether m's mic is open and has sent voice (talk.h's hangover) as of now_us: what
 * makes it the room's talker for captions (worker_rooms.c publishes it). */
bool room_mixer_talking(const struct mixer_member *m, int64_t now_us);

/* One RTP packet from m, authenticated and parsed, arrived at tp->now_us. Returns true
 * when m's gate is closed and the packet completes a mic attempt (talk.h) to report. */
bool room_mixer_audio(struct mixer_member *m, const struct rtp_header *h,
		      const struct talk_packet *tp, const struct mixer_env *env);

/* The 20 ms tick at tick_us (monotonic, on the worker's 20 ms grid). A room with no open
 * mic and no live session returns at once. */
void room_mixer_tick(struct room_mixer *rm, const struct mixer_env *env, int64_t tick_us);

/* A tick that came too late to be worth mixing (the worker was held up for more than a
 * few ticks): the recording gets a filler frame, so its timeline stays the session's. */
void room_mixer_skip(struct room_mixer *rm, const struct mixer_env *env);

/* A session starts (live) or ends. */
struct mixer_session {
	bool live;
	const char *name;      /* the recording's file name, without .ogg (recorder.h rules) */
	const char *title;     /* the session's title (OpusTags SESSION=) */
	const char *date;      /* ISO 8601 start (OpusTags DATE=) */
	uint64_t lead_packets; /* 20 ms frames between the session's start and now */
	uint32_t serial;       /* the Ogg stream's serial number */
};
/* Starts or ends the recording and the live stream. Starting while live, or ending while
 * not, does nothing. Errors: MEDIA_ERR_NOMEM (the live stream could not start; the recording
 * still does). */
BASE_WUR enum media_err room_mixer_session(struct room_mixer *rm, const struct mixer_env *env,
					   const struct mixer_session *s);

/* For m's RTCP sender report: what the room's stream sent m since it started to listen,
 * and the RTP timestamp that corresponds to now_ms. False when nothing was sent yet. */
bool room_mixer_sender_info(const struct mixer_member *m, uint64_t now_ms, uint32_t *packets,
			    uint32_t *octets, uint32_t *rtp_ts);

/* room_relay.c: edges (issue 17; media/README.md, "Relay and taps").
 * room_mixer_relay: the room's stream comes from room_mixer_relay_frame instead of its
 * mix (on; allocates the recording's jitter buffer), or from the mix again (off). While
 * relayed the tick mixes nothing: it only records the relayed floor on the tick's grid.
 * Errors: MEDIA_ERR_NOMEM. room_mixer_hold: something outside the members (an edge's
 * link) keeps the room: it is never idle again. */
BASE_WUR enum media_err room_mixer_relay(struct room_mixer *rm, bool on);
bool room_mixer_relaying(const struct room_mixer *rm);
void room_mixer_hold(struct room_mixer *rm);
/* One pushed frame (media.h's struct media_frame; f->room is not looked at), arrived at
 * now_us: a channel's frame waits for its tick's floor frame; the floor frame goes out at
 * once to every listener under the room's SSRC, its seq/ts mapped onto the room's one
 * line by rtp_rewrite (a new source, or a jump in sequence numbers, starts a new
 * stretch that continues the line), the waiting channel frames of the same tick with it.
 * Allocates nothing. Returns false when the frame was not used (not relaying, stale, bad). */
bool room_mixer_relay_frame(struct room_mixer *rm, const struct mixer_env *env,
			    const struct media_frame *f, int64_t now_us);
/* The owner's own mix for one participant (f->pid: its member's pid) whose mic is open
 * here: sent to that member alone, with the seq and timestamp the room's frame of the
 * same tick got (that frame was not sent to it). Allocates nothing. Returns false when
 * not used: no such open mic, or its tick's room frame was not relayed. */
bool room_mixer_relay_own(struct room_mixer *rm, const struct mixer_env *env,
			  const struct media_frame *f);
/* An open mic's packet in a relayed room, mixed elsewhere: only its voice is noted, so
 * room_mixer_talking (captions) still knows who talks here. */
void room_mixer_relay_voice(struct mixer_member *m, const struct talk_packet *tp);

#endif
