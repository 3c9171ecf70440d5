/*
 * media/mix_world.h -- the room mixer's test world: one room mixer, the server's socket
 * and fan-out, and fake peers. Each member is a real SRTP session and a loopback UDP
 * socket the test reads (and unprotects with the mirror session); a member with a tone
 * has its own microphone: Opus encoded here and handed to room_mixer_audio as the worker
 * would after SRTP. Optionally the world taps the mixer's encoded frames (room relays) or
 * records into a temporary directory (channel recordings). Used by test_room_mixer.c,
 * test_channels.c, test_room_relay.c and test_channel_recording.c.
 */
#ifndef PLENARY_TEST_MEDIA_MIX_WORLD_H
#define PLENARY_TEST_MEDIA_MIX_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/mix/opus_codec.h"
#include "media/mix/room_mixer.h"

#define ROOM_SSRC 0x51a7e5u
#define MAX_RX	  1200
#define TICK_US	  20000
#define MAX_FAKES 8
#define MAX_TAP	  600

/* One RTP packet a member received, decrypted. */
struct rx {
	uint16_t seq;
	uint32_t ts, ssrc;
	uint8_t payload[CODEC_MAX_PACKET];
	size_t len;
};

/* A fake peer: the mixer's member, its socket, and what it received. */
struct fake {
	struct mixer_member m;
	struct media_srtp *send, *recv; /* the server's session; the browser's mirror */
	int fd;
	struct rx *rx;
	size_t n_rx;
	/* Its own microphone. */
	double hz;
	uint32_t mic_ssrc; /* the SSRC its packets arrive with */
	struct codec_encoder *enc;
	uint16_t seq;
	uint32_t ts;
	size_t sample;
	uint8_t last[CODEC_MAX_PACKET];
	size_t last_len;
};

/* One frame the mixer's tap gave. */
struct tapped {
	unsigned channel;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	uint8_t opus[CODEC_MAX_PACKET];
	size_t len;
};

/* The room mixer's settings, and what the world adds to it. */
struct world_config {
	const char *room;
	uint32_t ssrc;
	uint16_t first_seq;
	uint32_t first_ts;
	bool tap;    /* collect every encoded frame into w->taps */
	bool record; /* a real recorder writing into w->dir */
};

struct world {
	char dir[64]; /* with record: the recorder's directory, removed by world_free */
	struct recorder *rec;
	bool stopped;
	struct tapped *taps; /* with tap: MAX_TAP of them */
	size_t n_taps;
	struct mixer_tap tap;
	int server_fd;
	struct fanout *fanout;
	struct mixer_counters counters;
	struct mixer_room_stats stats;
	struct mixer_env env;
	struct room_mixer *rm;
	int64_t now_us;
	struct fake f[MAX_FAKES];
	size_t n;
};

/* A room mixer whose sequence numbers and timestamps wrap during the tests; no members. */
struct world *world_new(void);
/* A room mixer as c says; no members. */
struct world *world_new_with(const struct world_config *c);
/* Every member leaves, the mixer and the recorder stop (its files are complete); the
 * struct and the directory stay for the test to read. Done once; world_free does it too. */
void world_stop(struct world *w);
/* Stops the world, removes its directory, frees it. */
void world_free(struct world *w);
/* A member, joined and keyed, with Opus on payload type pt; hz 0 for a listener, else the
 * tone its microphone sends. Its mic's SSRC is 0xabc00000 + pt (f->mic_ssrc). */
struct fake *world_add(struct world *w, double hz, uint8_t pt);
/* The member's mic sends its next 20 ms (level: its RFC 6464 level, -dBov). */
void world_speak(struct world *w, struct fake *f, uint8_t level);
/* Reads and decrypts every packet waiting on the member's socket into f->rx. */
void world_drain(struct fake *f);

#endif
