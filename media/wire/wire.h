/*
 * media/wire -- the bottom layer: pure parsers and builders for what arrives on and leaves
 * the media port (the RFC 7983 first-byte demux, STUN, SDP, RTP, RTCP). No sockets, threads,
 * clocks or allocation. This is the header the layers above include; README.md has the
 * overview, and each object's own header is its contract.
 */
#ifndef PLENARY_MEDIA_WIRE_H
#define PLENARY_MEDIA_WIRE_H

#include "media/wire/demux.h"
#include "media/wire/rfc4571.h"
#include "media/wire/rtcp.h"
#include "media/wire/rtp.h"
#include "media/wire/sdp.h"
#include "media/wire/stun.h"

#endif
