/*
 * load_tone -- see load_tone.h.
 */
#include "load_tone.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "load_onset.h"
#include "load_speech.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void tone_config_defaults(struct tone_config *cfg)
{
	*cfg = (struct tone_config){.freq_hz = 1000,
				    .amplitude = 8000,
				    .bitrate = 32000,
				    .complexity = 7,
				    .period_frames = 50,
				    .burst_frames = 10,
				    .burst_ids = 4};
}

int tone_burst_freq(const struct tone_config *cfg, uint64_t burst)
{
	return cfg->freq_hz + (int)(burst % (uint64_t)cfg->burst_ids) * TONE_ID_STEP_HZ;
}

int tone_id_of_crossings(const struct tone_config *cfg, uint32_t crossings)
{
	/* A tone of f Hz crosses zero 2f times a second. */
	double per_hz = 2.0 * TONE_ID_WINDOW / CODEC_RATE;
	double x = (double)crossings / per_hz - cfg->freq_hz;
	long id = lrint(x / TONE_ID_STEP_HZ);
	if (id < 0 || id >= cfg->burst_ids ||
	    fabs(x - (double)id * TONE_ID_STEP_HZ) > TONE_ID_STEP_HZ / 4.0)
		return -1;
	return (int)id;
}

uint64_t tone_match_burst(const struct tone_config *cfg, const uint64_t *sent, uint64_t first,
			  size_t n, int id, uint64_t heard)
{
	uint64_t horizon_ns =
	    (uint64_t)cfg->burst_ids * (uint64_t)cfg->period_frames * 20u * 1000000u;
	if (id < 0)
		return 0;
	for (size_t i = n; i-- > 0;) {
		uint64_t b = first + i, t = sent[i];
		if (t == 0 || t > heard || b % (uint64_t)cfg->burst_ids != (uint64_t)id)
			continue;
		return heard - t < horizon_ns ? t : 0;
	}
	return 0;
}

void tone_pcm(const struct tone_config *cfg, uint64_t frame, int16_t pcm[CODEC_FRAME])
{
	uint64_t in_period = frame % (uint64_t)cfg->period_frames;
	if (in_period >= (uint64_t)cfg->burst_frames) {
		memset(pcm, 0, CODEC_FRAME * sizeof pcm[0]);
		return;
	}
	/* The phase restarts at 0 with every burst, so each onset looks the same. */
	double w =
	    2.0 * M_PI * tone_burst_freq(cfg, frame / (uint64_t)cfg->period_frames) / CODEC_RATE;
	uint64_t t0 = in_period * CODEC_FRAME;
	for (int i = 0; i < CODEC_FRAME; i++)
		pcm[i] = (int16_t)lrint(cfg->amplitude * sin(w * (double)(t0 + (uint64_t)i)));
}

uint8_t tone_frame_level(const int16_t pcm[CODEC_FRAME])
{
	double sum = 0;
	for (int i = 0; i < CODEC_FRAME; i++)
		sum += (double)pcm[i] * pcm[i];
	double rms = sqrt(sum / CODEC_FRAME);
	if (rms < 1)
		return 127;
	double dbov = -20.0 * log10(rms / 32768.0);
	return dbov > 127 ? 127 : dbov < 0 ? 0 : (uint8_t)lrint(dbov);
}

static bool encode_period(const struct tone_config *cfg, struct load_tone *t, char *why, size_t cap)
{
	struct codec_encoder_config ec = {.bitrate = cfg->bitrate,
					  .complexity = cfg->complexity,
					  .loss_percent = 10,
					  .disable_dtx = true};
	struct codec_encoder *enc;
	enum media_err err = codec_encoder_create(&ec, &enc);
	if (err != MEDIA_OK) {
		snprintf(why, cap, "opus encoder: %s", media_strerror(err));
		return false;
	}
	int16_t pcm[CODEC_FRAME];
	for (size_t f = 0; f < 2 * t->frames && err == MEDIA_OK; f++) {
		size_t slot = f % t->frames;
		bool dtx;
		tone_pcm(cfg, f, pcm);
		t->level[slot] = tone_frame_level(pcm);
		err =
		    codec_encode(enc, pcm, t->pkt[slot], sizeof t->pkt[slot], &t->len[slot], &dtx);
	}
	codec_encoder_destroy(enc);
	if (err != MEDIA_OK)
		snprintf(why, cap, "opus encode: %s", media_strerror(err));
	return err == MEDIA_OK;
}

/* Decodes three loops of the period and takes the last onset's offset from its burst. */
static bool measure_baseline(struct load_tone *t, char *why, size_t cap)
{
	struct codec_decoder *dec;
	if (codec_decoder_create(&dec) != MEDIA_OK) {
		snprintf(why, cap, "opus decoder could not be made");
		return false;
	}
	struct onset_detector od;
	onset_init(&od, t->onset_threshold, t->onset_quiet_level, t->onset_quiet_samples);
	struct highpass hp;
	highpass_init(&hp, SPEECH_HIGHPASS_HZ);
	int16_t pcm[CODEC_FRAME];
	bool found = false;
	for (size_t f = 0; f < 3 * t->frames; f++) {
		if (codec_decode(dec, t->pkt[f % t->frames], t->len[f % t->frames], pcm) !=
		    MEDIA_OK)
			break;
		if (t->cfg.highpass)
			highpass_run(&hp, pcm, CODEC_FRAME);
		long at = onset_feed(&od, pcm, CODEC_FRAME);
		if (at >= 0) {
			/* The nearest burst start: pre-echo may put the onset just before it. */
			long period = (long)t->cfg.period_frames * CODEC_FRAME,
			     abs = (long)f * CODEC_FRAME + at;
			t->baseline = abs - (abs + period / 2) / period * period;
			found = true;
		}
	}
	codec_decoder_destroy(dec);
	if (!found)
		snprintf(why, cap, "the encoded tone has no detectable onset");
	return found;
}

bool tone_make(const struct tone_config *cfg, struct load_tone *out, char *why, size_t cap)
{
	if (cfg->period_frames < 2 || cfg->period_frames > TONE_MAX_FRAMES ||
	    cfg->burst_frames < 1 || cfg->burst_frames >= cfg->period_frames ||
	    cfg->amplitude < 100 || cfg->amplitude > 32767 || cfg->freq_hz < 50 ||
	    cfg->freq_hz > 20000 || cfg->burst_ids < 1 || cfg->burst_ids > 8 ||
	    cfg->period_frames * cfg->burst_ids > TONE_MAX_FRAMES) {
		snprintf(why, cap, "tone: bad period, burst, ids, amplitude or frequency");
		return false;
	}
	memset(out, 0, sizeof *out);
	out->cfg = *cfg;
	out->frames = (size_t)cfg->period_frames * (size_t)cfg->burst_ids;
	out->onset_threshold = cfg->amplitude / 4;
	out->onset_quiet_level = cfg->amplitude / 16;
	/* Half the silence between bursts: long enough to skip codec ringing after a burst,
	 * short enough to arm well before the next one. */
	out->onset_quiet_samples =
	    (uint32_t)(cfg->period_frames - cfg->burst_frames) * CODEC_FRAME / 2;
	return encode_period(cfg, out, why, cap) && measure_baseline(out, why, cap);
}
