/*
 * media/secure -- handshakes and keys: the ICE-lite decision over the peer table, DTLS
 * (OpenSSL) for the handshake and key export, SRTP/SRTCP (libsrtp) for every packet. It
 * sits on media/wire and has no sockets or threads: the worker gives it datagrams and
 * the time. This is the header the layers above include; README.md has the overview.
 */
#ifndef PLENARY_MEDIA_SECURE_H
#define PLENARY_MEDIA_SECURE_H

#include "media/secure/dtls.h"
#include "media/secure/ice_lite.h"
#include "media/secure/peer_table.h"
#include "media/secure/srtp_session.h"

#endif
