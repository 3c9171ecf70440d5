/*
 * opus_codec -- thin wrappers over libopus for the mixer: a decoder per open microphone
 * (normal decode, packet-loss concealment, in-band FEC recovery) and the encoder of a mix
 * (48 kHz mono voice, FEC and DTX on).
 *
 * Why wrap at all: one place sets the encoder up the way every listener's SDP answer
 * promised (useinbandfec=1, usedtx=1), one place maps libopus's negative return codes to
 * an error enum, and the frame size is fixed to the mixer's 20 ms so a caller cannot get
 * the buffer sizes wrong. Everything is mono: the mix is one voice channel, and a stereo
 * packet from a browser (opus/48000/2) is downmixed by the decoder.
 *
 * Allocation: create/destroy; libopus's state is allocated once at create (about 18 KiB
 * for a decoder, 30 KiB for an encoder). Decoding and encoding allocate nothing and take
 * no lock; each object belongs to one thread at a time.
 *
 * The decoder's three ways to produce the frame for a tick, chosen from what the jitter
 * buffer says:
 *   - the packet is there:              codec_decode(packet)
 *   - lost, but the next one is there:  codec_decode_fec(next packet) -- the next packet
 *     carries a low-bitrate copy of this one (LBRR) when the sender had FEC on; when it
 *     does not, libopus conceals instead, so calling it is never worse than PLC;
 *   - lost, nothing to recover from:    codec_decode_plc().
 * Call exactly one per 20 ms so the decoder's idea of time matches the stream.
 */
#ifndef PLENARY_MEDIA_OPUS_CODEC_H
#define PLENARY_MEDIA_OPUS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/media.h"

#define CODEC_RATE  48000
#define CODEC_FRAME 960 /* samples per 20 ms frame, mono */
/* Largest Opus packet for one frame (RFC 6716 sect. 3.2.1); an output buffer of this
 * size is always enough for codec_encode. */
#define CODEC_MAX_PACKET 1275

/* --- Decoder --------------------------------------------------------------------------- */

struct codec_decoder;

/* A mono 48 kHz decoder. Errors: MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM, MEDIA_ERR_CODEC. The caller
 * owns *out and frees it with codec_decoder_destroy. */
BASE_WUR enum media_err codec_decoder_create(struct codec_decoder **out);
/* NULL is fine. */
void codec_decoder_destroy(struct codec_decoder *d);

/* Decodes the 20 ms packet pkt[0..len) into pcm. Errors: MEDIA_ERR_PARAM (NULL), MEDIA_ERR_PACKET
 * (len 0, corrupt, or a packet of other than 20 ms); on error pcm is unspecified and the
 * caller should conceal with codec_decode_plc instead. */
BASE_WUR enum media_err codec_decode(struct codec_decoder *d, const uint8_t *pkt, size_t len,
				     int16_t pcm[CODEC_FRAME]);

/* Conceals one lost frame (extrapolation that fades to comfort noise or silence). Also the
 * right call for a DTX gap. Errors: MEDIA_ERR_PARAM, MEDIA_ERR_CODEC. */
BASE_WUR enum media_err codec_decode_plc(struct codec_decoder *d, int16_t pcm[CODEC_FRAME]);

/* Recovers the frame before next[0..len) from next's in-band FEC, or conceals it when next
 * has none. next itself is then decoded normally on the following tick. Errors as for
 * codec_decode. */
BASE_WUR enum media_err codec_decode_fec(struct codec_decoder *d, const uint8_t *next, size_t len,
					 int16_t pcm[CODEC_FRAME]);

/* The duration of the Opus packet pkt[0..len) in 48 kHz samples (from its TOC and frame
 * count, RFC 6716 sect. 3.1), or -1 if it is not a valid packet. Nothing is decoded. */
int codec_packet_samples(const uint8_t *pkt, size_t len);

/* --- Encoder --------------------------------------------------------------------------- */

struct codec_encoder_config {
	int bitrate;	  /* bits/s, 6000..510000; 0 = 32000 */
	int complexity;	  /* 0..10; -1 = 7 (below 7, DTX mistakes steady tones for noise) */
	int loss_percent; /* expected packet loss for FEC, 0..100; -1 = 10 */
	bool disable_fec; /* FEC is on unless this is set */
	bool disable_dtx; /* DTX is on unless this is set */
};

struct codec_encoder;

/* A mono 48 kHz OPUS_APPLICATION_VOIP encoder. cfg may be NULL for the defaults (32 kbit/s,
 * complexity 7, FEC for 10 % loss, DTX). Errors: MEDIA_ERR_PARAM (a value out of range),
 * MEDIA_ERR_NOMEM, MEDIA_ERR_CODEC. The caller owns *out; free with codec_encoder_destroy. */
BASE_WUR enum media_err codec_encoder_create(const struct codec_encoder_config *cfg,
					     struct codec_encoder **out);
/* NULL is fine. */
void codec_encoder_destroy(struct codec_encoder *e);

/* Encodes one frame into out[0..cap) and sets *out_len. *dtx is set when the packet is a
 * DTX placeholder (1-2 bytes: the input is silence and the decoder keeps generating
 * comfort noise) that an RTP sender may skip and a recording keeps. Errors: MEDIA_ERR_PARAM,
 * MEDIA_ERR_TOOBIG (cap < CODEC_MAX_PACKET: libopus would squeeze the frame to fit rather
 * than fail), MEDIA_ERR_CODEC. */
BASE_WUR enum media_err codec_encode(struct codec_encoder *e, const int16_t pcm[CODEC_FRAME],
				     uint8_t *out, size_t cap, size_t *out_len, bool *dtx);

/* The encoder's algorithmic delay in 48 kHz samples (312 for VOIP at 48 kHz): the pre-skip
 * of an Ogg Opus stream made from its packets (RFC 7845 sect. 5.1). */
uint16_t codec_encoder_lookahead(const struct codec_encoder *e);

#endif
