/*
 * A room's sound between nodes as bytes (nats_media_wire.h).
 */
#include <string.h>

#include "gateway/nats_media_wire.h"

#define KIND_FRAME  'F'
#define KIND_OWN    'O'
#define KIND_MIC    'M'
#define FLAG_MARKER 0x01
#define LEVEL_NONE  255

const char *gw_media_wire_strerror(enum gw_media_wire_err err)
{
	switch (err) {
	case GW_MEDIA_WIRE_OK:
		return "ok";
	case GW_MEDIA_WIRE_SHORT:
		return "shorter than a header and one byte of Opus";
	case GW_MEDIA_WIRE_KIND:
		return "not the kind of message expected on this subject";
	case GW_MEDIA_WIRE_FIELD:
		return "a header field is out of its range";
	case GW_MEDIA_WIRE_PID:
		return "the participant id holds a NUL byte";
	case GW_MEDIA_WIRE_PAYLOAD:
		return "no Opus packet, or one longer than 1275 bytes";
	}
	return "unknown error";
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static size_t write_msg(uint8_t kind, uint8_t b1, bool marker, const char *pid, size_t pid_len,
			uint16_t seq, uint32_t ts, uint32_t ssrc, const uint8_t *opus, size_t len,
			uint8_t *out, size_t cap)
{
	size_t total = GW_MEDIA_WIRE_HEAD + pid_len + len;
	if (!opus || len == 0 || len > MEDIA_FRAME_MAX || total > cap)
		return 0;
	out[0] = kind;
	out[1] = b1;
	out[2] = marker ? FLAG_MARKER : 0;
	out[3] = (uint8_t)pid_len;
	put16(out + 4, seq);
	put32(out + 6, ts);
	put32(out + 10, ssrc);
	if (pid_len)
		memcpy(out + GW_MEDIA_WIRE_HEAD, pid, pid_len);
	memcpy(out + GW_MEDIA_WIRE_HEAD + pid_len, opus, len);
	return total;
}

size_t gw_media_wire_frame(const struct media_frame *f, uint8_t *out, size_t cap)
{
	size_t pid_len = f && f->pid ? strlen(f->pid) : 0;
	if (!f || f->channel > 2 * MEDIA_CHANNELS ||
	    (f->pid && (pid_len == 0 || pid_len > MEDIA_PID_MAX || f->channel != 0)))
		return 0;
	return write_msg(f->pid ? KIND_OWN : KIND_FRAME, (uint8_t)f->channel, f->marker, f->pid,
			 pid_len, f->seq, f->timestamp, f->ssrc, f->opus, f->len, out, cap);
}

size_t gw_media_wire_mic(const struct media_mic_frame *f, uint8_t *out, size_t cap)
{
	size_t pid_len = f && f->pid ? strlen(f->pid) : 0;
	if (!f || pid_len == 0 || pid_len > MEDIA_PID_MAX || f->level > 127)
		return 0;
	uint8_t level = f->level < 0 ? LEVEL_NONE : (uint8_t)f->level;
	return write_msg(KIND_MIC, level, f->marker, f->pid, pid_len, f->seq, f->timestamp, 0,
			 f->opus, f->len, out, cap);
}

/* The header every message has: its kind, flags and the payload's bounds. */
static enum gw_media_wire_err read_head(const uint8_t *d, size_t len, uint8_t kind, uint8_t or_kind,
					size_t *payload_at)
{
	if (!d || len < GW_MEDIA_WIRE_HEAD + 1)
		return GW_MEDIA_WIRE_SHORT;
	if (d[0] != kind && d[0] != or_kind)
		return GW_MEDIA_WIRE_KIND;
	if (d[2] & ~FLAG_MARKER)
		return GW_MEDIA_WIRE_FIELD;
	size_t at = GW_MEDIA_WIRE_HEAD + d[3];
	if (at >= len)
		return d[3] ? GW_MEDIA_WIRE_SHORT : GW_MEDIA_WIRE_PAYLOAD;
	if (len - at > MEDIA_FRAME_MAX)
		return GW_MEDIA_WIRE_PAYLOAD;
	*payload_at = at;
	return GW_MEDIA_WIRE_OK;
}

/* The pid of a mic packet or an own mix into pid: its length and bytes checked. */
static enum gw_media_wire_err read_pid(const uint8_t *data, char pid[MEDIA_PID_MAX + 1])
{
	size_t pid_len = data[3];
	if (pid_len == 0 || pid_len > MEDIA_PID_MAX)
		return GW_MEDIA_WIRE_FIELD;
	if (memchr(data + GW_MEDIA_WIRE_HEAD, '\0', pid_len))
		return GW_MEDIA_WIRE_PID;
	memcpy(pid, data + GW_MEDIA_WIRE_HEAD, pid_len);
	pid[pid_len] = '\0';
	return GW_MEDIA_WIRE_OK;
}

enum gw_media_wire_err gw_media_wire_read_frame(const uint8_t *data, size_t len,
						struct media_frame *f, char pid[MEDIA_PID_MAX + 1])
{
	size_t at;
	enum gw_media_wire_err err = read_head(data, len, KIND_FRAME, KIND_OWN, &at);
	if (err != GW_MEDIA_WIRE_OK)
		return err;
	bool own = data[0] == KIND_OWN;
	if (data[1] > 2 * MEDIA_CHANNELS || (!own && data[3] != 0) || (own && data[1] != 0))
		return GW_MEDIA_WIRE_FIELD;
	if (own && (err = read_pid(data, pid)) != GW_MEDIA_WIRE_OK)
		return err;
	f->pid = own ? pid : NULL;
	f->channel = data[1];
	f->marker = data[2] & FLAG_MARKER;
	f->seq = get16(data + 4);
	f->timestamp = get32(data + 6);
	f->ssrc = get32(data + 10);
	f->opus = data + at;
	f->len = len - at;
	return GW_MEDIA_WIRE_OK;
}

enum gw_media_wire_err gw_media_wire_read_mic(const uint8_t *data, size_t len,
					      struct media_mic_frame *f,
					      char pid[MEDIA_PID_MAX + 1])
{
	size_t at;
	enum gw_media_wire_err err = read_head(data, len, KIND_MIC, KIND_MIC, &at);
	if (err != GW_MEDIA_WIRE_OK)
		return err;
	if ((data[1] > 127 && data[1] != LEVEL_NONE) || get32(data + 10) != 0)
		return GW_MEDIA_WIRE_FIELD;
	if ((err = read_pid(data, pid)) != GW_MEDIA_WIRE_OK)
		return err;
	f->pid = pid;
	f->level = data[1] == LEVEL_NONE ? -1 : data[1];
	f->marker = data[2] & FLAG_MARKER;
	f->seq = get16(data + 4);
	f->timestamp = get32(data + 6);
	f->opus = data + at;
	f->len = len - at;
	return GW_MEDIA_WIRE_OK;
}
