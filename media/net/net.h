/*
 * media/net -- the runtime: one worker thread per core with its UDP socket, epoll loop,
 * 20 ms tick and the SPSC rings to and from the gateway thread, and the peers it owns (a
 * peer's state machine, its DTLS and SRTP, its RTP and RTCP). It puts the layers below
 * together; media.c, the top, is its only user. README.md has a datagram's path.
 */
#ifndef PLENARY_MEDIA_NET_H
#define PLENARY_MEDIA_NET_H

#include "media/net/peer.h"
#include "media/net/relay_link.h"
#include "media/net/ring.h"
#include "media/net/tcp.h"
#include "media/net/udp.h"
#include "media/net/venue_rtp.h"
#include "media/net/worker.h"

#endif
