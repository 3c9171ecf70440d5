/*
 * load_interp -- see load_interp.h.
 */
#include "load_interp.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define METRICS_MAX (256 * 1024)

static bool lang_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

bool interp_parse_langs(const char *arg, struct interp_langs *out)
{
	memset(out, 0, sizeof *out);
	size_t k = 0;
	for (const char *p = arg;; p++) {
		if (*p == ',' || *p == '\0') {
			if (k == 0 || out->n == INTERP_MAX_CHANNELS)
				return false;
			out->lang[out->n++][k] = '\0';
			k = 0;
			if (*p == '\0')
				return true;
			continue;
		}
		if (!lang_char(*p) || k + 1 >= INTERP_LANG_MAX || out->n == INTERP_MAX_CHANNELS)
			return false;
		out->lang[out->n][k++] = *p;
	}
}

int interp_freq_hz(unsigned ch)
{
	return INTERP_BASE_HZ + (int)ch * INTERP_STEP_HZ;
}

int interp_listener_channel(unsigned i, unsigned n)
{
	return (int)(i % (n + 1)) - 1;
}

static double goertzel(const int16_t *pcm, size_t len, int hz)
{
	double w = 2.0 * M_PI * hz / CODEC_RATE, coeff = 2.0 * cos(w), s1 = 0, s2 = 0;
	for (size_t i = 0; i < len; i++) {
		double s = pcm[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

int interp_dominant(const int16_t *pcm, size_t len, unsigned n)
{
	/* A quarter of the tone's amplitude over the frame is "heard"; less is quiet. */
	double floor_power = pow(2000.0 * (double)len / 4, 2);
	int best = -1;
	double best_p = floor_power;
	for (unsigned c = 0; c < n; c++) {
		double p = goertzel(pcm, len, interp_freq_hz(c));
		if (p > best_p) {
			best_p = p;
			best = (int)c;
		}
	}
	return best;
}

bool interp_voice_make(unsigned ch, const struct tone_config *cfg, struct interp_voice *out,
		       char *why, size_t cap)
{
	struct codec_encoder_config ec = {.bitrate = cfg->bitrate,
					  .complexity = cfg->complexity,
					  .loss_percent = -1,
					  .disable_dtx = true};
	struct codec_encoder *enc = NULL;
	if (codec_encoder_create(&ec, &enc) != MEDIA_OK) {
		snprintf(why, cap, "opus encoder for channel %u failed", ch);
		return false;
	}
	int16_t pcm[CODEC_FRAME];
	int hz = interp_freq_hz(ch);
	for (size_t i = 0; i < CODEC_FRAME; i++)
		pcm[i] =
		    (int16_t)lrint(cfg->amplitude * sin(2.0 * M_PI * hz * (double)i / CODEC_RATE));
	/* The same frame over and over: the encoder settles, and the last packet is kept. */
	bool ok = true, dtx;
	for (int f = 0; f < 10 && ok; f++)
		ok = codec_encode(enc, pcm, out->pkt, sizeof out->pkt, &out->len, &dtx) == MEDIA_OK;
	codec_encoder_destroy(enc);
	out->level = tone_frame_level(pcm);
	if (!ok)
		snprintf(why, cap, "opus encode for channel %u failed", ch);
	return ok;
}

static size_t http_get(const char *host, int port, const char *path, char *buf, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 2};
	size_t n = 0;
	if (fd < 0)
		return 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	char req[256];
	int len = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (inet_pton(AF_INET, host, &sa.sin_addr) == 1 &&
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    write(fd, req, (size_t)len) == len) {
		ssize_t k;
		while (n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) > 0)
			n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	return n;
}

/* The value of the first line that starts with name and a space. */
static bool metric(const char *text, const char *name, double *out)
{
	size_t k = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, k) == 0 && p[k] == ' ') {
			*out = strtod(p + k + 1, NULL);
			return true;
		}
	return false;
}

bool interp_read_metrics(const char *host, int port, const char *room, struct interp_metrics *out)
{
	char *buf = malloc(METRICS_MAX), name[160];
	snprintf(name, sizeof name, "plenary_room_packets_sent_total{room=\"%s\"}", room);
	bool ok = buf && http_get(host, port, "/metrics", buf, METRICS_MAX) > 0 &&
		  metric(buf, "plenary_mixer_channel_encodes_total", &out->encodes) &&
		  metric(buf, name, &out->ticks) &&
		  metric(buf, "plenary_mixer_frames_total", &out->frames) &&
		  metric(buf, "plenary_mixer_frames_skipped_total", &out->frames_skipped);
	free(buf);
	return ok;
}
