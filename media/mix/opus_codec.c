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

const char *codec_strerror(enum codec_err err)
{
	switch (err) {
	case CODEC_OK:
		return "ok";
	case CODEC_EINVAL:
		return "invalid argument to the Opus wrapper";
	case CODEC_ENOMEM:
		return "out of memory creating an Opus codec";
	case CODEC_EPACKET:
		return "Opus packet is empty, corrupt or not 20 ms long";
	case CODEC_ENOSPACE:
		return "output buffer too small for the Opus packet";
	case CODEC_EINTERNAL:
		return "libopus failed";
	}
	return "unknown Opus wrapper error";
}

static enum codec_err from_opus(int rc)
{
	switch (rc) {
	case OPUS_BAD_ARG:
		return CODEC_EINVAL;
	case OPUS_BUFFER_TOO_SMALL:
		return CODEC_ENOSPACE;
	case OPUS_INVALID_PACKET:
		return CODEC_EPACKET;
	case OPUS_ALLOC_FAIL:
		return CODEC_ENOMEM;
	default:
		return CODEC_EINTERNAL;
	}
}

enum codec_err codec_decoder_create(struct codec_decoder **out)
{
	if (!out)
		return CODEC_EINVAL;
	struct codec_decoder *d = malloc(sizeof *d);
	if (!d)
		return CODEC_ENOMEM;
	int rc;
	d->dec = opus_decoder_create(CODEC_RATE, 1, &rc);
	if (!d->dec) {
		free(d);
		return rc == OPUS_OK ? CODEC_ENOMEM : from_opus(rc);
	}
	*out = d;
	return CODEC_OK;
}

void codec_decoder_destroy(struct codec_decoder *d)
{
	if (!d)
		return;
	opus_decoder_destroy(d->dec);
	free(d);
}

/* Every decode path: exactly one 20 ms frame, or an error. */
static enum codec_err decode_frame(struct codec_decoder *d, const uint8_t *pkt, size_t len,
				   int16_t *pcm, int fec)
{
	if (!d || !pcm)
		return CODEC_EINVAL;
	if (pkt && (len == 0 || len > CODEC_MAX_PACKET * 6))
		return CODEC_EPACKET; /* 6 frames of 20 ms is the most a 120 ms packet holds */
	/* A packet longer than 20 ms would not fit the frame: libopus says BUFFER_TOO_SMALL,
	 * which for us means the sender's packetisation is wrong, not our buffer. */
	int n = opus_decode(d->dec, pkt, (opus_int32)len, pcm, CODEC_FRAME, fec);
	if (n == OPUS_BUFFER_TOO_SMALL || n == OPUS_BAD_ARG)
		return pkt ? CODEC_EPACKET : CODEC_EINTERNAL;
	if (n < 0)
		return from_opus(n);
	if (n != CODEC_FRAME)
		return CODEC_EPACKET;
	return CODEC_OK;
}

enum codec_err codec_decode(struct codec_decoder *d, const uint8_t *pkt, size_t len,
			    int16_t pcm[CODEC_FRAME])
{
	if (!pkt)
		return CODEC_EINVAL;
	return decode_frame(d, pkt, len, pcm, 0);
}

int codec_packet_samples(const uint8_t *pkt, size_t len)
{
	if (!pkt || len == 0 || len > 1500) /* a UDP payload's worth; libopus checks the rest */
		return -1;
	int n = opus_packet_get_nb_samples(pkt, (opus_int32)len, CODEC_RATE);
	return n > 0 ? n : -1;
}

enum codec_err codec_decode_plc(struct codec_decoder *d, int16_t pcm[CODEC_FRAME])
{
	return decode_frame(d, NULL, 0, pcm, 0);
}

enum codec_err codec_decode_fec(struct codec_decoder *d, const uint8_t *next, size_t len,
				int16_t pcm[CODEC_FRAME])
{
	if (!next)
		return CODEC_EINVAL;
	return decode_frame(d, next, len, pcm, 1);
}

static enum codec_err resolve_config(const struct codec_encoder_config *cfg,
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
		return CODEC_EINVAL;
	return CODEC_OK;
}

static enum codec_err configure(OpusEncoder *enc, const struct codec_encoder_config *c)
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
	return rc == OPUS_OK ? CODEC_OK : from_opus(rc);
}

enum codec_err codec_encoder_create(const struct codec_encoder_config *cfg,
				    struct codec_encoder **out)
{
	struct codec_encoder_config c;
	if (!out)
		return CODEC_EINVAL;
	enum codec_err err = resolve_config(cfg, &c);
	if (err)
		return err;
	struct codec_encoder *e = malloc(sizeof *e);
	if (!e)
		return CODEC_ENOMEM;
	int rc;
	e->enc = opus_encoder_create(CODEC_RATE, 1, OPUS_APPLICATION_VOIP, &rc);
	if (!e->enc) {
		err = rc == OPUS_OK ? CODEC_ENOMEM : from_opus(rc);
		goto fail;
	}
	err = configure(e->enc, &c);
	opus_int32 lookahead = 0;
	if (!err && opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&lookahead)) != OPUS_OK)
		err = CODEC_EINTERNAL;
	if (err)
		goto fail;
	e->lookahead = (uint16_t)lookahead;
	*out = e;
	return CODEC_OK;
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

enum codec_err codec_encode(struct codec_encoder *e, const int16_t pcm[CODEC_FRAME], uint8_t *out,
			    size_t cap, size_t *out_len, bool *dtx)
{
	if (!e || !pcm || !out || !out_len || !dtx)
		return CODEC_EINVAL;
	/* Given less room, libopus does not fail: it squeezes the frame into cap bytes, down
	 * to a bare TOC byte -- a silently dropped frame. Refuse instead. */
	if (cap < CODEC_MAX_PACKET)
		return CODEC_ENOSPACE;
	opus_int32 n = opus_encode(e->enc, pcm, CODEC_FRAME, out, CODEC_MAX_PACKET);
	if (n < 0)
		return from_opus(n);
	*out_len = (size_t)n;
	*dtx = n <= DTX_MAX_BYTES;
	return CODEC_OK;
}

uint16_t codec_encoder_lookahead(const struct codec_encoder *e)
{
	return e ? e->lookahead : 0;
}

enum codec_err codec_encoder_set_bitrate(struct codec_encoder *e, int bitrate)
{
	if (!e || bitrate < 6000 || bitrate > 510000)
		return CODEC_EINVAL;
	int rc = opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate));
	return rc == OPUS_OK ? CODEC_OK : from_opus(rc);
}
