/*
 * load_interp -- the interpretation channels of plenary-load (--channels fr,es,zh): one
 * interpreter per booth, each saying a steady tone of its own frequency, and the
 * listeners spread over the floor and the channels.
 *
 * The channel tones sit well below the floor's bursts (1 kHz and up, load_tone.h), at a
 * whole number of cycles per 20 ms frame, so one encoded frame loops seamlessly. A sampled
 * channel listener does not time onsets: it checks, frame by frame, that what it decodes is
 * its own booth's tone (Goertzel power at that frequency above every other booth's), which
 * is the proof that the server sent it its channel and not the floor or another booth.
 *
 * The server's side comes from its /metrics, read at both ends of the window:
 * plenary_mixer_channel_encodes_total, and the room's ticks as the packets of its stream
 * (plenary_room_packets_sent_total{room}: one per 20 ms tick while anyone is heard, and
 * the booths' tones never pause). plenary_mixer_tick_seconds_count is no measure of them:
 * it counts every media worker's ticks, rooms or not.
 */
#ifndef PLENARY_LOAD_INTERP_H
#define PLENARY_LOAD_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load_tone.h"

#define INTERP_MAX_CHANNELS 4
#define INTERP_LANG_MAX	    16
#define INTERP_BASE_HZ	    300
#define INTERP_STEP_HZ	    150

struct interp_langs {
	unsigned n;
	char lang[INTERP_MAX_CHANNELS][INTERP_LANG_MAX];
};

/* "fr,es,zh" into out: 1..INTERP_MAX_CHANNELS tags of letters, digits and '-'. Pure. */
bool interp_parse_langs(const char *arg, struct interp_langs *out);

/* Channel ch's tone frequency. Pure. */
int interp_freq_hz(unsigned ch);

/* Listener i's channel when n channels share the listeners with the floor: -1 for the
 * floor, else 0..n-1 (round robin, so every share is within one of the others). Pure. */
int interp_listener_channel(unsigned i, unsigned n);

/* Which of n channels' tones dominates a decoded frame: 0..n-1, or -1 for none (quiet).
 * Pure. */
int interp_dominant(const int16_t *pcm, size_t len, unsigned n);

/* One channel's voice: a single frame of its tone, encoded once and looped. */
struct interp_voice {
	uint8_t pkt[CODEC_MAX_PACKET];
	size_t len;
	uint8_t level;
};

/* Encodes channel ch's tone with cfg's bitrate and complexity (DTX off). */
bool interp_voice_make(unsigned ch, const struct tone_config *cfg, struct interp_voice *out,
		       char *why, size_t cap);

/* What the server's /metrics say of the mixer: plenary_mixer_channel_encodes_total, the
 * room's packets (its ticks that sent), and the workers' 20 ms frames passed and skipped
 * (plenary_mixer_frames_total, plenary_mixer_frames_skipped_total: a skipped frame is one
 * the server was too starved of CPU to mix). */
struct interp_metrics {
	double encodes, ticks, frames, frames_skipped;
};

/* Reads them from http://host:port/metrics (blocking, 2 s at most). */
bool interp_read_metrics(const char *host, int port, const char *room, struct interp_metrics *out);

#endif
