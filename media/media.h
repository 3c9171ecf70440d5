/*
 * media -- WebRTC audio for plenary rooms: ICE-lite, DTLS-SRTP, RTP/RTCP on one UDP port
 * per worker thread, and the Opus mixer. (Grows with the transport and mixer issues.)
 */
#ifndef PLENARY_MEDIA_H
#define PLENARY_MEDIA_H

/* Which libsrtp the build linked: "openssl" (built by scripts/build-libsrtp.sh) or
 * "system-nss" (Debian's, slower with many sessions). */
const char *media_srtp_backend(void);

#endif
