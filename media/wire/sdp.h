/*
 * sdp -- the browser's offer in, Plenary's ICE-lite answer out (RFC 8866 syntax, JSEP
 * RFC 8829 rules, RFC 8839 ICE, RFC 8842 DTLS, RFC 8843 BUNDLE, RFC 7587 Opus).
 *
 * sdp_parse reads an offer into struct sdp_offer: fixed-size fields, no allocation, no
 * pointers into the input (the input can be freed as soon as it returns). It is bounded
 * (SDP_MAX_LEN bytes, SDP_MAX_LINES lines of at most SDP_MAX_LINE bytes, SDP_MAX_MEDIA
 * m-sections), takes CRLF or LF line ends, and is strict only where it matters: every
 * line must be "x=...", every m-line must parse, session-level attributes and those of
 * audio m-sections that we use must parse; attributes of other m-sections (which the
 * answer rejects) are skipped, except mid. The offer is rejected unless one audio
 * m-section is usable -- port not 0 (or bundle-only), UDP/TLS/RTP/SAVP(F), Opus
 * 48000/2 -- and has ICE credentials, a usable DTLS fingerprint and rtcp-mux, from its
 * own attributes or the session's.
 *
 * sdp_build_answer writes the answer text from a parsed offer and the local parameters.
 *
 * Errors: one enum; sdp_strerror(err) is a sentence for a person, and
 * sdp_offer.err_line tells on which line (1-based; 0 when no single line is to blame).
 * The gateway answers e.g. "SDP line 12: a=fingerprint is malformed". Pure functions,
 * reentrant, no globals.
 */
#ifndef PLENARY_MEDIA_SDP_H
#define PLENARY_MEDIA_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define SDP_MAX_LEN	   32768 /* whole description, bytes */
#define SDP_MAX_LINE	   1024	 /* one line without its line end, bytes */
#define SDP_MAX_LINES	   512
#define SDP_MAX_MEDIA	   16  /* m-sections */
#define SDP_MAX_TOKEN	   32  /* media type, proto */
#define SDP_MAX_FMTS	   256 /* m-line format list as text */
#define SDP_MAX_MID	   32  /* RFC 8843 sect. 9.1 keeps mids short; so do we */
#define SDP_MAX_ICE	   256 /* ice-ufrag and ice-pwd, RFC 8839 sect. 5.4 */
#define SDP_MAX_FMTP	   256
#define SDP_MAX_CNAME	   255
#define SDP_MAX_MSID	   129 /* "stream track", each at most 64 (RFC 8830 sect. 2) */
#define SDP_MAX_DIGEST	   64  /* sha-512 */
#define SDP_MAX_CANDIDATES 64  /* UDP and ICE-TCP together (media_create checks) */

enum sdp_err {
	SDP_OK = 0,
	SDP_EEMPTY,	      /* no input */
	SDP_ETOO_LARGE,	      /* over SDP_MAX_LEN */
	SDP_ETOO_MANY_LINES,  /* over SDP_MAX_LINES */
	SDP_ELINE_TOO_LONG,   /* a line over SDP_MAX_LINE */
	SDP_EBAD_CHAR,	      /* NUL, a control character, or a CR not before LF */
	SDP_EBAD_LINE,	      /* a line that is not <letter>=<value> */
	SDP_EVERSION,	      /* first line is not v=0 */
	SDP_ETOO_MANY_MEDIA,  /* over SDP_MAX_MEDIA m-sections */
	SDP_EBAD_MLINE,	      /* m=<media> <port> <proto> <fmt>... malformed or too long */
	SDP_EBAD_ICE_UFRAG,   /* not 4..256 ice-chars */
	SDP_EBAD_ICE_PWD,     /* not 22..256 ice-chars */
	SDP_EBAD_FINGERPRINT, /* a=fingerprint not "<hash> XX:XX:..." of the hash's size */
	SDP_EBAD_SETUP,	      /* a=setup not actpass/active/passive/holdconn */
	SDP_EBAD_MID,	      /* a=mid empty, too long or not a token */
	SDP_EDUPLICATE_MID,   /* two m-sections with the same mid */
	SDP_EBAD_GROUP,	      /* a=group:BUNDLE with a bad or too many mids */
	SDP_EBAD_RTPMAP,      /* a=rtpmap malformed (in an audio m-section) */
	SDP_EBAD_FMTP,	      /* a=fmtp malformed or too long (in an audio m-section) */
	SDP_EBAD_EXTMAP,      /* a=extmap id not 1..255 or no URI */
	SDP_EBAD_SSRC,	      /* a=ssrc id not a 32-bit number, or a bad cname */
	SDP_EBAD_MSID,	      /* a=msid not "stream [track]" of short tokens */
	SDP_ENO_AUDIO,	      /* no usable audio m-section (missing, port 0, not DTLS-SRTP) */
	SDP_ENO_OPUS,	      /* the audio m-section offers no Opus 48000/2 */
	SDP_ENO_ICE,	      /* no ice-ufrag/ice-pwd for the audio m-section */
	SDP_ENO_FINGERPRINT,  /* no sha-1/sha-2 fingerprint for the audio m-section */
	SDP_ENO_RTCP_MUX,     /* the audio m-section lacks a=rtcp-mux (one port for all) */
	SDP_ESETUP_ROLE,      /* answer: offer's setup is passive/holdconn; we only listen */
	SDP_EBAD_LOCAL,	      /* answer: a local parameter is missing or malformed */
	SDP_ENOSPACE,	      /* answer: the caller's buffer is too small */
	SDP_EINVAL,	      /* NULL argument, or an offer that did not parse */
};

/* A static English sentence for err; never NULL. */
const char *sdp_strerror(enum sdp_err err);

enum sdp_direction { SDP_SENDRECV = 0, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };
enum sdp_setup {
	SDP_SETUP_NONE = 0,
	SDP_SETUP_ACTPASS,
	SDP_SETUP_ACTIVE,
	SDP_SETUP_PASSIVE,
	SDP_SETUP_HOLDCONN
};

/* a=fingerprint (RFC 8122): hash name in lower case and the digest bytes. */
struct sdp_fingerprint {
	char algo[8]; /* "sha-1", "sha-224", "sha-256", "sha-384", "sha-512"; "" if none */
	uint8_t digest[SDP_MAX_DIGEST];
	size_t len;
};

/* One m-section. The fields after `line` are filled only for audio m-sections; string
 * fields are NUL-terminated and "" when absent. */
struct sdp_media {
	char media[SDP_MAX_TOKEN + 1]; /* "audio", "video", "application", ... */
	char proto[SDP_MAX_TOKEN + 1];
	char fmts[SDP_MAX_FMTS + 1]; /* the format list as offered, e.g. "111 63 9 0" */
	uint16_t port;
	bool bundle_only;
	char mid[SDP_MAX_MID + 1];
	unsigned line; /* line number of the m= line */

	char ice_ufrag[SDP_MAX_ICE + 1];
	char ice_pwd[SDP_MAX_ICE + 1];
	struct sdp_fingerprint fingerprint;
	enum sdp_setup setup;
	bool has_direction;
	enum sdp_direction direction;
	bool rtcp_mux;
	int opus_pt; /* -1 when no Opus 48000/2 among the formats */
	char opus_fmtp[SDP_MAX_FMTP + 1];
	uint8_t audio_level_id; /* extmap id of ssrc-audio-level, 0 when absent */
	bool has_ssrc;
	uint32_t ssrc; /* the first a=ssrc */
	char cname[SDP_MAX_CNAME + 1];
	char msid[SDP_MAX_MSID + 1];
};

/* A parsed offer (or any description with one audio m-section, e.g. our answer). About
 * 26 KiB: allocate it, don't put it on a small stack. Owned by the caller; holds no
 * pointers. After SDP_OK, media[audio] is the audio m-section to accept, with ICE,
 * fingerprint, setup, direction and audio-level id already resolved against the
 * session-level attributes (so read them there, not in the session_ fields). */
struct sdp_offer {
	size_t n_media;
	struct sdp_media media[SDP_MAX_MEDIA];
	int audio; /* index into media, -1 unless SDP_OK */
	size_t n_bundle;
	char bundle[SDP_MAX_MEDIA][SDP_MAX_MID + 1]; /* the first BUNDLE group's mids */
	bool ice_lite;
	bool extmap_allow_mixed;
	/* session-level values, as written */
	char session_ufrag[SDP_MAX_ICE + 1];
	char session_pwd[SDP_MAX_ICE + 1];
	struct sdp_fingerprint session_fingerprint;
	enum sdp_setup session_setup;
	bool session_has_direction;
	enum sdp_direction session_direction;
	uint8_t session_audio_level_id;
	unsigned err_line; /* where parsing failed; 0 if no single line */
};

/* Parses buf[0..len) (not necessarily NUL-terminated) into *out.
 * Returns SDP_OK or the first error found, with out->err_line set: any of SDP_EEMPTY ..
 * SDP_ENO_RTCP_MUX above. On error *out holds what was read so far and audio is -1. */
BASE_WUR enum sdp_err sdp_parse(const char *buf, size_t len, struct sdp_offer *out);

/* One local host candidate: a numeric IPv4 or IPv6 address and a UDP port, or with tcp
 * an ICE-TCP passive one (RFC 6544: "tcp ... typ host tcptype passive") on a TCP port. */
struct sdp_candidate {
	const char *ip;
	uint16_t port;
	bool tcp;
};

struct sdp_local {
	const char *ice_ufrag;	 /* 4..256 ice-chars */
	const char *ice_pwd;	 /* 22..256 ice-chars */
	const char *fingerprint; /* our certificate's SHA-256, "AB:CD:..." (95 characters) */
	const struct sdp_candidate *candidates; /* 1..SDP_MAX_CANDIDATES; the first one, */
	size_t n_candidates;			/* UDP, gives the m= port and c= address */
	uint32_t ssrc;
	const char *cname; /* 1..255 printable characters, no spaces */
	const char *msid;  /* optional "stream track" for a=msid; NULL for none */
	bool send;	   /* whether we send audio on this peer */
	uint64_t session_id;
	uint64_t session_version;
};

/* Writes the answer to a successfully parsed offer into out[0..cap) as a NUL-terminated
 * CRLF text and sets *out_len (without the NUL). m-sections keep the offer's order: the
 * audio one is accepted with ICE-lite, setup:passive, rtcp-mux, the offer's mid (in a
 * BUNDLE group if the offer bundled it), Opus with the offer's payload type and fmtp
 * minptime=10;useinbandfec=1;usedtx=1, the audio-level extmap with the offer's id, and
 * the direction answering the offer's (recvonly -> sendonly, sendrecv -> sendrecv,
 * sendonly -> recvonly; recvonly when we do not send); every other one is rejected with
 * port 0 (JSEP sect. 5.3.1).
 * Returns SDP_OK, SDP_EINVAL, SDP_ESETUP_ROLE, SDP_EBAD_LOCAL or SDP_ENOSPACE; on error
 * out holds no usable text. */
BASE_WUR enum sdp_err sdp_build_answer(const struct sdp_offer *offer, const struct sdp_local *local,
				       char *out, size_t cap, size_t *out_len);

#endif
