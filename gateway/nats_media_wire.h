/*
 * nats_media_wire -- a room's sound between nodes as bytes (issue 17, edges;
 * docs/scale.md "Sound between nodes"). Three messages, each one NATS message on a room's
 * subject (the subject names the room, so the bytes do not):
 *
 *   plenary.room.<id>.media  a frame of the owner's stream (media_frame), for its edges:
 *                            'F' the room's, 'O' the owner's own mix for one participant
 *                            whose open mic is on an edge (media_frame.pid)
 *   plenary.room.<id>.mic    an edge participant's open-mic packet (media_mic_frame)
 *
 *   offset  size  field
 *   0       1     kind: 'F' a stream frame, 'O' an own mix, 'M' a mic packet
 *   1       1     F: channel (0 the floor, 1..2 x MEDIA_CHANNELS); O: 0; M: level,
 *                 -dBov 0..127, or 255 unknown
 *   2       1     flags: bit 0 the RTP marker; the other bits 0
 *   3       1     O, M: the pid's length (1..MEDIA_PID_MAX); F: 0
 *   4       2     RTP sequence number (big-endian, as every field)
 *   6       4     RTP timestamp
 *   10      4     F, O: the source SSRC; M: 0
 *   14      n     O, M: the pid (the token's sub: any bytes but NUL)
 *   14+n    rest  the Opus packet, 1..MEDIA_FRAME_MAX bytes
 *
 * Pure: no NATS, no allocation. The decoders take any bytes and either fill the frame
 * (pointers into the input; the pid copied into the caller's buffer) or say why not.
 */
#ifndef PLENARY_GATEWAY_NATS_MEDIA_WIRE_H
#define PLENARY_GATEWAY_NATS_MEDIA_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "media/media.h"

#define GW_MEDIA_WIRE_HEAD 14
#define GW_MEDIA_WIRE_MAX  (GW_MEDIA_WIRE_HEAD + MEDIA_PID_MAX + MEDIA_FRAME_MAX)

enum gw_media_wire_err {
	GW_MEDIA_WIRE_OK = 0,
	GW_MEDIA_WIRE_SHORT,   /* fewer bytes than the header and one byte of Opus */
	GW_MEDIA_WIRE_KIND,    /* not the kind asked for */
	GW_MEDIA_WIRE_FIELD,   /* a field out of its range (channel, level, flags, pid length) */
	GW_MEDIA_WIRE_PID,     /* the pid holds a NUL byte */
	GW_MEDIA_WIRE_PAYLOAD, /* no Opus bytes, or more than MEDIA_FRAME_MAX */
};
const char *gw_media_wire_strerror(enum gw_media_wire_err err);

/* Into out (cap >= GW_MEDIA_WIRE_MAX is always enough): the message's length, or 0 when
 * f does not fit the format (a field out of range, no payload, a pid too long or empty,
 * an own mix on a channel). A media_frame with a pid is an 'O'. */
size_t gw_media_wire_frame(const struct media_frame *f, uint8_t *out, size_t cap);
size_t gw_media_wire_mic(const struct media_mic_frame *f, uint8_t *out, size_t cap);

/* 'F' or 'O'. f->room is left as it was (the subject's); f->opus points into data; f->pid
 * is NULL ('F') or points at pid, which receives the NUL-terminated pid ('O'). */
BASE_WUR enum gw_media_wire_err gw_media_wire_read_frame(const uint8_t *data, size_t len,
							 struct media_frame *f,
							 char pid[MEDIA_PID_MAX + 1]);
/* pid receives the NUL-terminated pid and f->pid points at it. */
BASE_WUR enum gw_media_wire_err gw_media_wire_read_mic(const uint8_t *data, size_t len,
						       struct media_mic_frame *f,
						       char pid[MEDIA_PID_MAX + 1]);

#endif
