/*
 * libopus behind the mixer's fixed frame; see opus_codec.h for the contract.
 *
 * The only logic here is configuration and error mapping. The encoder is asked for its
 * lookahead once, at create, because OPUS_GET_LOOKAHEAD goes through the variadic ctl
 * and the Ogg writer wants it as a plain number.
 *
 * DTX is reported from the packet size, not from OPUS_GET_IN_DTX: libopus says "in DTX"
 * already for the last real frame before silence (a comfort-noise frame of ~17 bytes that
 * must be sent) and emits a full frame every 400 ms while in DTX to refresh the noise;
 * only the 1-2 byte packets in between are placeholders a sender can skip.
 */
#include "media/mix/opus_codec.h"

#include <stdlib.h>

#include <opus/opus.h>

#define DEFAULT_BITRATE 32000
/* 7, not libopus's cheaper 5: below 7 libopus decides speech activity with SILK's simple
 * VAD, which takes a steady tone (a test tone, hold music, a sung note) for background
 * noise and after a second switches to DTX, so the tone drops to comfort noise (measured
 * here with libopus 1.3.1: a 440 Hz tone fell from -13 to -37 dBFS). From 7 on the
 * encoder's signal analysis decides, and keeps it. It is one encode per room and tick. */
#define DEFAULT_COMPLEXITY   7
#define DEFAULT_LOSS_PERCENT 10
#define DTX_MAX_BYTES	     2

struct codec_decoder {
	OpusDecoder *dec;
};

struct codec_encoder {
	OpusEncoder *enc;
	uint16_t lookahead;
};

static enum media_err from_opus(int rc)
{
	switch (rc) {
	case OPUS_BAD_ARG:
		return MEDIA_ERR_PARAM;
	case OPUS_BUFFER_TOO_SMALL:
		return MEDIA_ERR_TOOBIG;
	case OPUS_INVALID_PACKET:
		return MEDIA_ERR_PACKET;
	case OPUS_ALLOC_FAIL:
		return MEDIA_ERR_NOMEM;
	default:
		return MEDIA_ERR_CODEC;
	}
}

enum media_err codec_decoder_create(struct codec_decoder **out)
{
	if (!out)
		return MEDIA_ERR_PARAM;
	struct codec_decoder *d = malloc(sizeof *d);
	if (!d)
		return MEDIA_ERR_NOMEM;
	int rc;
	d->dec = opus_decoder_create(CODEC_RATE, 1, &rc);
	if (!d->dec) {
		free(d);
		return rc == OPUS_OK ? MEDIA_ERR_NOMEM : from_opus(rc);
	}
	*out = d;
	return MEDIA_OK;
}

void codec_decoder_destroy(struct codec_decoder *d)
{
	if (!d)
		return;
	opus_decoder_destroy(d->dec);
	free(d);
}

/* Every decode path: exactly one 20 ms frame, or an error. */
static enum media_err decode_frame(struct codec_decoder *d, const uint8_t *pkt, size_t len,
				   int16_t *pcm, int fec)
{
	if (!d || !pcm)
		return MEDIA_ERR_PARAM;
	if (pkt && (len == 0 || len > CODEC_MAX_PACKET * 6))
		return MEDIA_ERR_PACKET; /* 6 frames of 20 ms is the most a 120 ms packet holds */
	/* A packet longer than 20 ms would not fit the frame: libopus says BUFFER_TOO_SMALL,
	 * which for us means the sender's packetisation is wrong, not our buffer. */
	int n = opus_decode(d->dec, pkt, (opus_int32)len, pcm, CODEC_FRAME, fec);
	if (n == OPUS_BUFFER_TOO_SMALL || n == OPUS_BAD_ARG)
		return pkt ? MEDIA_ERR_PACKET : MEDIA_ERR_CODEC;
	if (n < 0)
		return from_opus(n);
	if (n != CODEC_FRAME)
		return MEDIA_ERR_PACKET;
	return MEDIA_OK;
}

enum media_err codec_decode(struct codec_decoder *d, const uint8_t *pkt, size_t len,
			    int16_t pcm[CODEC_FRAME])
{
	if (!pkt)
		return MEDIA_ERR_PARAM;
	return decode_frame(d, pkt, len, pcm, 0);
}

int codec_packet_samples(const uint8_t *pkt, size_t len)
{
	if (!pkt || len == 0 || len > 1500) /* a UDP payload's worth; libopus checks the rest */
		return -1;
	int n = opus_packet_get_nb_samples(pkt, (opus_int32)len, CODEC_RATE);
	return n > 0 ? n : -1;
}

enum media_err codec_decode_plc(struct codec_decoder *d, int16_t pcm[CODEC_FRAME])
{
	return decode_frame(d, NULL, 0, pcm, 0);
}

enum media_err codec_decode_fec(struct codec_decoder *d, const uint8_t *next, size_t len,
				int16_t pcm[CODEC_FRAME])
{
	if (!next)
		return MEDIA_ERR_PARAM;
	return decode_frame(d, next, len, pcm, 1);
}

static enum media_err resolve_config(const struct codec_encoder_config *cfg,
				     struct codec_encoder_config *c)
{
	*c = cfg ? *cfg : (struct codec_encoder_config){.complexity = -1, .loss_percent = -1};
	if (c->bitrate == 0)
		c->bitrate = DEFAULT_BITRATE;
	if (c->complexity == -1)
		c->complexity = DEFAULT_COMPLEXITY;
	if (c->loss_percent == -1)
		c->loss_percent = DEFAULT_LOSS_PERCENT;
	if (c->bitrate < 6000 || c->bitrate > 510000 || c->complexity < 0 || c->complexity > 10 ||
	    c->loss_percent < 0 || c->loss_percent > 100)
		return MEDIA_ERR_PARAM;
	return MEDIA_OK;
}

static enum media_err configure(OpusEncoder *enc, const struct codec_encoder_config *c)
{
	int rc = opus_encoder_ctl(enc, OPUS_SET_BITRATE(c->bitrate));
	if (rc == OPUS_OK)
		rc = opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(c->complexity));
	if (rc == OPUS_OK)
		rc = opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	if (rc == OPUS_OK)
		rc = opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(c->disable_fec ? 0 : 1));
	if (rc == OPUS_OK)
		rc = opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(c->loss_percent));
	if (rc == OPUS_OK)
		rc = opus_encoder_ctl(enc, OPUS_SET_DTX(c->disable_dtx ? 0 : 1));
	return rc == OPUS_OK ? MEDIA_OK : from_opus(rc);
}

enum media_err codec_encoder_create(const struct codec_encoder_config *cfg,
				    struct codec_encoder **out)
{
	struct codec_encoder_config c;
	if (!out)
		return MEDIA_ERR_PARAM;
	enum media_err err = resolve_config(cfg, &c);
	if (err)
		return err;
	struct codec_encoder *e = malloc(sizeof *e);
	if (!e)
		return MEDIA_ERR_NOMEM;
	int rc;
	e->enc = opus_encoder_create(CODEC_RATE, 1, OPUS_APPLICATION_VOIP, &rc);
	if (!e->enc) {
		err = rc == OPUS_OK ? MEDIA_ERR_NOMEM : from_opus(rc);
		goto fail;
	}
	err = configure(e->enc, &c);
	opus_int32 lookahead = 0;
	if (!err && opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&lookahead)) != OPUS_OK)
		err = MEDIA_ERR_CODEC;
	if (err)
		goto fail;
	e->lookahead = (uint16_t)lookahead;
	*out = e;
	return MEDIA_OK;
fail:
	if (e->enc)
		opus_encoder_destroy(e->enc);
	free(e);
	return err;
}

void codec_encoder_destroy(struct codec_encoder *e)
{
	if (!e)
		return;
	opus_encoder_destroy(e->enc);
	free(e);
}

enum media_err codec_encode(struct codec_encoder *e, const int16_t pcm[CODEC_FRAME], uint8_t *out,
			    size_t cap, size_t *out_len, bool *dtx)
{
	if (!e || !pcm || !out || !out_len || !dtx)
		return MEDIA_ERR_PARAM;
	/* Given less room, libopus does not fail: it squeezes the frame into cap bytes, down
	 * to a bare TOC byte -- a silently dropped frame. Refuse instead. */
	if (cap < CODEC_MAX_PACKET)
		return MEDIA_ERR_TOOBIG;
	opus_int32 n = opus_encode(e->enc, pcm, CODEC_FRAME, out, CODEC_MAX_PACKET);
	if (n < 0)
		return from_opus(n);
	*out_len = (size_t)n;
	*dtx = n <= DTX_MAX_BYTES;
	return MEDIA_OK;
}

uint16_t codec_encoder_lookahead(const struct codec_encoder *e)
{
	return e ? e->lookahead : 0;
}
