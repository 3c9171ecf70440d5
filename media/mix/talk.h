/*
 * talk -- who is talking in a room, judged from what arrives and never from decoded
 * audio: the RFC 6464 level a browser writes into each packet, the packet's size (a DTX
 * frame is 1-2 bytes), and when it came. Three small pure pieces the room mixer uses:
 *
 *   talk_voice    one open mic: has it sent voice lately?          -> forward or mix
 *   talk_attempt  one closed mic: is someone talking into it?      -> mic.attempt
 *   talk_choose   the room: forward which mic's packets, or mix
 *
 * Why not decode and measure? A closed microphone is never decoded (DESIGN.md principle
 * 3), and deciding the room's mode before pulling the jitter buffers keeps the tick
 * simple. The level is what the browser measured before encoding (RFC 6464 sect. 3:
 * 0 is the loudest, 127 silence, in -dBov), so it is exact and free. A sender without the
 * extension counts as talking whenever it sends a non-DTX frame: that costs a mix instead
 * of a forward, never a lost word.
 *
 * Hysteresis. A voice stays "active" for TALK_HANGOVER_US after its last loud packet, so
 * the breath between two words does not flip the room between forwarding and mixing. The
 * switch to mixing when a second voice starts is immediate (its first loud packet); the
 * switch back waits the hangover and for the other mics' jitter buffers to run dry, so
 * the last syllable of the voice that stopped is still mixed, not cut.
 *
 * An attempt is a closed mic that has been louder than TALK_ATTEMPT_LEVEL for
 * TALK_ATTEMPT_HOLD_US (gaps shorter than TALK_ATTEMPT_GAP_US do not restart the hold), at
 * most once per TALK_ATTEMPT_EVERY_US: a cough is not an attempt, someone talking is.
 *
 * Time is any monotonic microsecond clock, passed in. Plain structs, no allocation.
 */
#ifndef PLENARY_MEDIA_TALK_H
#define PLENARY_MEDIA_TALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TALK_VOICE_LEVEL      50      /* -dBov: louder than -50 dBov is voice */
#define TALK_HANGOVER_US      300000  /* a voice is active this long after its last packet */
#define TALK_ATTEMPT_LEVEL    40      /* -dBov: louder than -40 dBov into a closed mic */
#define TALK_ATTEMPT_HOLD_US  300000  /* ... for this long is an attempt */
#define TALK_ATTEMPT_GAP_US   200000  /* a quieter stretch this long restarts the hold */
#define TALK_ATTEMPT_EVERY_US 2000000 /* at most one report per mic this often */
#define TALK_DTX_BYTES	      2	      /* an Opus packet this short is DTX (no speech) */

/* What one received packet says. */
struct talk_packet {
	int64_t now_us;
	size_t payload_len;
	bool has_level; /* the packet carried an RFC 6464 level */
	uint8_t level;	/* 0..127 -dBov */
};

/* --- an open mic ------------------------------------------------------------------------ */

struct talk_voice {
	int64_t last_voice_us; /* private */
	bool heard;
};

void talk_voice_init(struct talk_voice *v);
/* Notes one packet of the mic. */
void talk_voice_packet(struct talk_voice *v, const struct talk_packet *p);
/* True while the mic sent voice within TALK_HANGOVER_US of now. */
bool talk_voice_active(const struct talk_voice *v, int64_t now_us);

/* --- a closed mic ----------------------------------------------------------------------- */

struct talk_attempt {
	int64_t since_us, last_loud_us, reported_us; /* private */
	bool loud, reported_any;
};

void talk_attempt_init(struct talk_attempt *a);
/* Notes one packet of a closed mic; true when it completes an attempt that should be
 * reported now (then not again for TALK_ATTEMPT_EVERY_US). */
bool talk_attempt_packet(struct talk_attempt *a, const struct talk_packet *p);
/* Forgets the hold (the mic opened, or closed again): the next attempt starts afresh, but
 * the report throttle is kept. */
void talk_attempt_reset(struct talk_attempt *a);

/* --- the room's mode -------------------------------------------------------------------- */

/* One open mic as talk_choose sees it. */
struct talk_mic {
	bool active;	  /* talk_voice_active now */
	bool forwardable; /* its packets can go to listeners as they are (20 ms Opus) */
	bool draining;	  /* its jitter buffer still holds audio that has not been played */
};

/* Which mic's packets to forward, given the mode now (current: the forwarded mic's index,
 * or -1 while mixing); -1 to mix. Forward exactly one voice:
 *   - while forwarding m, keep m as long as no other mic is active, even through m's
 *     pauses; another active mic means mixing, unless m has fallen silent and the other
 *     is the only voice (then forward it instead);
 *   - while mixing, forward m when m is the only active mic, it is forwardable, and no
 *     other mic has audio still to play.
 * n may be 0 (mix, which is silence). */
int talk_choose(const struct talk_mic *mics, size_t n, int current);

#endif
