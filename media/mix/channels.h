/*
 * channels -- a room's interpretation channels (issue 14), beside its public mix.
 *
 * A channel is one booth's language, numbered as rooms/ numbers its booths (0..15). Its
 * voice is the one member whose mic feeds it (an interpreter on air); its listeners are
 * the members who chose it (media.channel). Each channel has a fan-out list of its own,
 * kept exactly as the public one is (listening, gate closed, and this channel chosen), so
 * a send walks a compact array and never the members.
 *
 * Per tick, a channel with a voice is encoded ONCE from that voice's frame, whatever the
 * number of its listeners, and sent with the public packet's sequence number and timestamp:
 * every stream of the room shares one RTP timeline, so a listener who moves between the
 * floor and a channel (or between channels) sees no jump; only the payload's source
 * changes. A channel without a voice sends its listeners the public packet (they hear the
 * floor). While any channel has a voice the room mixes rather than forwards (forwarded
 * packets take sequence numbers on arrival, off the tick's grid).
 *
 * Private to the room mixer (room_mixer.c, room_tick.c). Allocation: a channel's list and
 * encoder are made when a member first chooses it or its voice first opens (the worker's
 * message, not the tick); the tick and the sends allocate nothing.
 */
#ifndef PLENARY_MEDIA_MIX_CHANNELS_H
#define PLENARY_MEDIA_MIX_CHANNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/media.h"
#include "media/mix/fanout.h"
#include "media/mix/opus_codec.h"
#include "media/mix/pcm.h"

#define MIXER_CHANNELS 16 /* as rooms/' ROOM_BOOTHS_MAX */
/* Each booth has two listener lists: its voice alone (list b), and its voice over the floor
 * at MIXER_FLOOR_UNDER_DB (list b + MIXER_CHANNELS), which is a second mix and a second
 * encode, made only while someone listens to it. A member's listen_ch is a list + 1. */
#define MIXER_CHANNEL_LISTS   (2 * MIXER_CHANNELS)
#define MIXER_FLOOR_UNDER_DB  (-18)
#define MIXER_FLOOR_UNDER_Q10 129 /* 10^(-18/20) = 0.126, in 1/1024 */

struct room_mixer;
struct mixer_member;
struct mixer_env;
struct rtp_build;

struct mixer_channel {
	struct fanout_dest *dests;
	struct mixer_member **dest_member;
	size_t n_dests, cap_dests;
	size_t chosen; /* members whose listen_ch is this channel: cap_dests covers them */
	struct codec_encoder *enc; /* made with its first voice */
	struct mix_limiter lim;
	bool has_pkt; /* this tick: payload holds the channel's frame */
	bool speaks;  /* ... and it is not DTX */
	bool fresh;   /* payload is this tick's, not yet in the channel's live stream */
	size_t len;
	uint8_t payload[CODEC_MAX_PACKET];
};

struct mixer_channels {
	struct mixer_channel ch[MIXER_CHANNEL_LISTS];
	int16_t pcm[MIX_FRAME];
	int32_t acc[MIX_FRAME];
};

/* Membership of a channel's list (m->listen_ch names the list). reserve makes room for
 * more members choosing it (besides those who have), and the encoder of a floor-under
 * list: false on no memory. */
BASE_WUR bool channels_reserve(struct room_mixer *rm, unsigned ch, size_t more);
void channels_add_dest(struct room_mixer *rm, struct mixer_member *m);
void channels_remove_dest(struct room_mixer *rm, struct mixer_member *m);

/* Whether any channel has a voice with its gate open (the room then mixes every tick). */
bool channels_voiced(const struct room_mixer *rm);
/* The tick: encodes each voiced channel with listeners once. Returns true when any
 * channel's frame is not DTX (worth a datagram). */
bool channels_encode(struct room_mixer *rm, const struct mixer_env *env);
/* Sends each encoded channel's frame with b's seq and timestamp to its listeners. */
void channels_send(struct room_mixer *rm, const struct mixer_env *env, const struct rtp_build *b);
/* The public packet in rm->pkt (len bytes) to the listeners of every channel that has no
 * voice this tick. */
void channels_send_public(struct room_mixer *rm, const struct mixer_env *env, size_t len);
/* Forgets this tick's channel frames (a tick that sends nothing). */
void channels_clear(struct room_mixer *rm);
/* Before a member becomes channel ch's voice: its list and its encoder exist. Errors:
 * MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM, MEDIA_ERR_CODEC. */
BASE_WUR enum media_err channels_voice_ready(struct room_mixer *rm, unsigned ch);
void channels_free(struct room_mixer *rm);

#endif
