/*
 * RFC 7983 sect. 7 first-byte demultiplexing, and RFC 5761 sect. 4 RTP/RTCP separation.
 *
 *                  +----------------+
 *                  |        [0..3] -+--> STUN
 *                  |      [16..19] -+--> ZRTP       (not used: unknown)
 *   datagram  ---> |      [20..63] -+--> DTLS
 *                  |      [64..79] -+--> TURN channel (not used: unknown)
 *                  |    [128..191] -+--> RTP / RTCP (second byte decides)
 *                  +----------------+
 *
 * RFC 5761 sect. 4: when RTP and RTCP share a port, RTP payload types 64..95 are not
 * used, because with the marker bit set they would collide with RTCP packet types
 * 192..223. So the second byte with its top (marker) bit masked off falls in 64..95 for
 * RTCP and outside it for RTP.
 */
#include "media/wire/demux.h"

enum demux_kind demux_classify(const uint8_t *buf, size_t len)
{
	if (len == 0 || buf == NULL)
		return DEMUX_UNKNOWN;
	uint8_t b = buf[0];
	if (b <= 3)
		return DEMUX_STUN;
	if (b >= 20 && b <= 63)
		return DEMUX_DTLS;
	if (b >= 128 && b <= 191) {
		if (len < 2)
			return DEMUX_UNKNOWN;
		uint8_t pt = buf[1] & 0x7f;
		return (pt >= 64 && pt <= 95) ? DEMUX_RTCP : DEMUX_RTP;
	}
	return DEMUX_UNKNOWN;
}

const char *demux_kind_name(enum demux_kind kind)
{
	switch (kind) {
	case DEMUX_STUN:
		return "stun";
	case DEMUX_DTLS:
		return "dtls";
	case DEMUX_RTP:
		return "rtp";
	case DEMUX_RTCP:
		return "rtcp";
	case DEMUX_UNKNOWN:
		break;
	}
	return "unknown";
}
