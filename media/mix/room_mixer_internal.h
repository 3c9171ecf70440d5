/*
 * The room mixer's own structs, shared by its three files: room_mixer.c (members, gates,
 * arrivals, forwarding), room_tick.c (the 20 ms tick) and room_record.c (recording and
 * the live Ogg stream). Nothing outside them includes this.
 */
#ifndef PLENARY_MEDIA_ROOM_MIXER_INTERNAL_H
#define PLENARY_MEDIA_ROOM_MIXER_INTERNAL_H

#include "media/mix/channels.h"
#include "media/mix/jitter.h"
#include "media/mix/opus_codec.h"
#include "media/mix/pcm.h"
#include "media/mix/room_mixer.h"
#include "media/mix/rtp_rewrite.h"
#include "media/record/record.h"

#define MIXER_ARRIVALS 64 /* arrival times kept per mic, by sequence number */
/* While its voice is forwarded a speaker gets no packets (nothing but itself to hear);
 * one empty packet this often keeps its sequence numbers moving, so that after a long
 * floor the browser's SRTP does not mistake the jump for a rollover (RFC 3711 sect.
 * 3.3.1 guesses the rollover counter from sequence numbers within 2^15). */
#define MIXER_KEEPALIVE		 25
#define MIXER_SAMPLES_PER_US(us) ((us)*48 / 1000)

/* An open (or fading-out) mic: made at the first opening of its member's gate, kept until
 * the member leaves. */
struct mixer_mic {
	struct mixer_member *member;
	struct jitter *jb;
	struct codec_decoder *dec;
	struct codec_encoder *enc; /* its mix-minus */
	struct mix_limiter lim;
	struct mix_gate gate;
	struct talk_voice voice;
	bool listed;	  /* in the room's mics[] (open, or fading out this tick) */
	unsigned quiet;	  /* packets forwarded from it since it was last sent one */
	bool forwardable; /* its last packet was 20 ms of Opus */

	/* This tick. */
	struct jitter_out out;
	bool has_pcm; /* pcm holds audio for the mix */
	bool speaks;  /* a voice frame or a concealed one: its mix-minus is worth an encode */
	bool own;     /* own_pkt is its packet this tick */
	int64_t played_arrival_us; /* when the frame played this tick arrived; 0 if none */
	int16_t pcm[MIX_FRAME];
	uint8_t own_pkt[CODEC_MAX_PACKET];
	size_t own_len;

	int64_t arrival_us[MIXER_ARRIVALS];
	uint16_t arrival_seq[MIXER_ARRIVALS];
};

/* An interpretation channel's live stream (listen.ogg?lang=): page_ring channel b + 1;
 * and its recording (recording.ogg?lang=): a recorder stream of its own. */
struct chan_live {
	struct room_mixer *rm;
	unsigned channel;    /* b + 1 */
	struct oggopus *ogg; /* NULL while the channel has no stream */
	bool started;	     /* its header pages went out as the BEGIN record */
	bool file;	     /* stream is its open recorder stream */
	bool file_due;	     /* recorder_begin was refused (ring full): retry each tick */
	int stream;
	uint64_t lead; /* filler frames its file starts with: the session until it began */
};

/* The session's recording and live stream. */
struct room_record {
	bool live;	     /* session live: every tick records one packet */
	int stream;	     /* recorder stream id, -1 while none */
	bool begin_due;	     /* recorder_begin was refused (ring full): retry each tick */
	uint64_t lead;	     /* filler frames the file starts with */
	struct oggopus *ogg; /* the live stream's writer (listen.ogg) */
	struct page_ring *pages;
	/* The channels' files: env's recorder (NULL: none), and the session's frames so far
	 * (lead_packets + ticks recorded), the lead of a channel's file begun now. */
	struct recorder *recorder;
	uint64_t at;
	struct chan_live chan[MIXER_CHANNELS];
	uint8_t last_toc; /* of the last packet recorded, for filler frames */
	uint32_t serial;
	uint16_t pre_skip;
	char name[RECORDER_NAME_MAX + 1];
	char title[RECORDER_TITLE_MAX + 1];
	char date[RECORDER_DATE_MAX + 1];
};

struct room_mixer {
	char id[MEDIA_ROOM_MAX + 1];
	uint32_t ssrc;
	struct mixer_room_stats *stats;
	size_t n_members;

	/* The public fan-out: listeners whose gate is closed, then (during a send) the open
	 * mics that take the public packet. cap_dests >= n_dests + MIX_MAX_INPUTS. */
	struct fanout_dest *dests;
	struct mixer_member **dest_member;
	size_t n_dests, cap_dests;

	struct mixer_mic *mics[MIX_MAX_INPUTS];
	size_t n_mics;
	struct mixer_mic *fwd; /* the voice being forwarded; NULL while mixing */

	struct codec_encoder *enc;
	struct mix_limiter lim;
	struct rtp_rewrite rw;
	uint16_t last_seq;   /* of the last packet sent (a new listener's SRTP is warmed at it) */
	bool sent_last_tick; /* a tick that sends after one that did not sets the marker */
	bool public_dtx;     /* the last public encode was DTX: silence needs no new encode */
	uint8_t dtx_pkt[4];
	size_t dtx_len;

	/* The stream as RTCP sender reports describe it. */
	uint32_t packets, octets, last_ts;
	int64_t last_us;

	struct room_record rec;
	struct mixer_channels *channels; /* NULL until a member first uses one */
	struct mixer_relay *relay;	 /* NULL: the room mixes its own (room_relay.c) */
	bool held;			 /* kept by an edge's link: never idle */

	int32_t acc[MIX_FRAME], minus[MIX_FRAME];
	int16_t out[MIX_FRAME];
	_Alignas(16) uint8_t pkt[FANOUT_MAX_PACKET];
	uint8_t payload[CODEC_MAX_PACKET];
};

/* room_mixer.c */
/* Sends pkt[0..len) (built by mixer_build) to every listener and to every open mic
 * except skip (NULL: none) and those with their own packet this tick. */
void mixer_send_public(struct room_mixer *rm, const struct mixer_env *env, size_t len,
		       const struct mixer_mic *skip, bool skip_own);
/* The mic's own mix-minus packet, already in rm->pkt, to its member alone. */
void mixer_send_own(struct room_mixer *rm, const struct mixer_env *env, const struct mixer_mic *mic,
		    size_t len);
/* Writes the header b and the payload into rm->pkt; returns the length, 0 on error. */
size_t mixer_build(struct room_mixer *rm, const struct rtp_build *b, const uint8_t *payload,
		   size_t len);
/* The stream's bookkeeping after a send at now_us with RTP timestamp ts. */
void mixer_sent(struct room_mixer *rm, uint16_t seq, uint32_t ts, size_t payload_len,
		int64_t now_us);
void mixer_observe(_Atomic uint64_t *buckets, _Atomic uint64_t *count, _Atomic uint64_t *sum,
		   int64_t ns);
/* Forwards the voice's packet in (arrived at arrival_us) to everyone else. */
void mixer_forward(struct room_mixer *rm, const struct mixer_env *env, const struct rtp_header *in,
		   int64_t arrival_us, int64_t now_us);
/* Takes the mic out of mics[] (its fade has ended) and forgets its buffered audio. */
void mixer_unlist(struct room_mixer *rm, struct mixer_mic *mic);
void mixer_publish(struct room_mixer *rm);

/* room_relay.c */
/* The tap: a frame the room sends its listeners (channel as media_frame's), built with b. */
void mixer_tap(const struct room_mixer *rm, const struct mixer_env *env, unsigned channel,
	       const struct rtp_build *b, const uint8_t *payload, size_t len);
/* ... and each interpretation channel's frame of this tick, before the floor's. */
void mixer_tap_channels(const struct room_mixer *rm, const struct mixer_env *env,
			const struct rtp_build *b);
/* The tick of a relayed room: closed mics leave mics[], the recording takes the relayed
 * floor on the tick's grid. */
void relay_tick(struct room_mixer *rm, const struct mixer_env *env, int64_t tick_us);
/* The relayed frame of channel b that goes with the floor frame this tick's relay_tick
 * took, once; false when it has none (the stream then takes the floor's). */
bool relay_channel_frame(struct room_mixer *rm, unsigned b, const uint8_t **payload, size_t *len);
/* A session begins on a relaying room: nothing buffered for the last one is played. */
void relay_session_begin(struct room_mixer *rm);
void relay_free(struct room_mixer *rm);

/* room_record.c */
void record_begin(struct room_mixer *rm, const struct mixer_env *env, const struct mixer_session *s,
		  enum media_err *err);
void record_end(struct room_mixer *rm, const struct mixer_env *env);
/* The tick's one packet of the public stream (every tick while live). */
void record_packet(struct room_mixer *rm, const struct mixer_env *env, const uint8_t *pkt,
		   size_t len);
/* A tick with nothing to record: a filler frame (decoders conceal it). */
void record_filler(struct room_mixer *rm, const struct mixer_env *env);

/* room_record_channels.c: each channel's live stream and recording, from the session's
 * start or when its first voice was made ready (room_mixer_voice), whichever is later, to
 * the session's end. Each tick a channel's stream and file get the channel's own frame
 * when it was encoded this tick (an interpreter on air), else pub: the floor, as its
 * WebRTC listeners hear it. */
void record_channel_start(struct room_mixer *rm, unsigned b);
void record_channels(struct room_mixer *rm, const uint8_t *pub, size_t len);
void record_channels_end(struct room_mixer *rm, const struct mixer_env *env);

#endif
