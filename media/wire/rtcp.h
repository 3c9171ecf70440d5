/*
 * rtcp -- compound RTCP packets (RFC 3550 sect. 6) and the receiver statistics that feed
 * report blocks (RFC 3550 appendix A.1, A.3, A.8).
 *
 * Works on plaintext RTCP, after srtcp_unprotect / before srtcp_protect. rtcp_parse walks
 * every packet of a compound, checks every length before reading, and fills a summary
 * with fixed-size arrays -- no allocation; text (CNAME, BYE reason) points into the
 * caller's buffer and is valid as long as it is. On error *out is unspecified and must
 * not be used. Builders append one packet to a caller buffer and never write past cap;
 * to make a compound, call them one after the other at buf + length so far.
 *
 * Reduced-size RTCP (RFC 5506, which browsers offer with a=rtcp-rsize) lets a compound
 * start with something other than SR/RR, e.g. a lone transport-cc feedback, so unlike
 * RFC 3550 A.2 the first packet's type is not checked.
 */
#ifndef PLENARY_MEDIA_RTCP_H
#define PLENARY_MEDIA_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define RTCP_HEADER_LEN	      4
#define RTCP_REPORT_BLOCK_LEN 24
#define RTCP_MAX_BLOCKS	      31 /* per SR/RR (5-bit count), and per compound in the summary */
#define RTCP_MAX_CNAMES	      31 /* SDES chunks with a CNAME, per compound */
#define RTCP_MAX_BYE	      31 /* BYE sources, per compound */

enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205, /* RFC 4585: NACK, and transport-cc (fmt 15) */
	RTCP_PSFB = 206,  /* RFC 4585: PLI, FIR, REMB -- video; skipped */
	RTCP_XR = 207,	  /* RFC 3611 */
};

enum rtcp_err {
	RTCP_OK = 0,
	RTCP_ETRUNCATED, /* less than a 4-byte header left, or a packet's length runs past the end
			  */
	RTCP_EVERSION,	 /* a packet's version is not 2 */
	RTCP_EPADDING,	 /* P on a packet that is not the last, or a pad count of 0 / too big */
	RTCP_ESHORT,	 /* a packet's body is shorter than its type and count require */
	RTCP_ESDES,	 /* an SDES chunk or item runs past its packet */
	RTCP_EBYE,	 /* a BYE reason runs past its packet */
	RTCP_ETOO_MANY,	 /* more report blocks, CNAMEs or BYE sources than the summary holds */
	RTCP_EINVAL,	 /* builder: NULL argument, too many blocks, CNAME empty or > 255 */
	RTCP_ENOSPACE,	 /* builder: the caller's buffer is too small */
};

/* A static English phrase for err; never NULL. */
const char *rtcp_strerror(enum rtcp_err err);

/* RFC 3550 sect. 6.4.1. cumulative_lost is the signed 24-bit field, sign-extended;
 * builders clamp it to -8388608..8388607. */
struct rtcp_report_block {
	uint32_t ssrc; /* the source this block reports on */
	uint8_t fraction_lost;
	int32_t cumulative_lost;
	uint32_t ext_highest_seq;
	uint32_t jitter; /* in RTP timestamp units */
	uint32_t lsr;	 /* middle 32 bits of the last SR's NTP time, 0 if none */
	uint32_t dlsr;	 /* delay since that SR, 1/65536 s */
};

struct rtcp_sender_info {
	uint32_t ssrc;
	uint64_t ntp; /* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;
	uint32_t packet_count;
	uint32_t octet_count;
};

/* A report block and the SSRC of the SR/RR that carried it. */
struct rtcp_report {
	uint32_t reporter;
	struct rtcp_report_block block;
};

struct rtcp_cname {
	uint32_t ssrc;
	const uint8_t *text; /* not NUL-terminated; points into the parsed buffer */
	uint8_t len;
};

/* What a compound held. Only the first SR's sender info is kept; report blocks of every
 * SR and RR are collected in order. */
struct rtcp_compound {
	size_t n_packets;
	bool has_sr;
	struct rtcp_sender_info sr;
	bool has_rr;
	uint32_t rr_ssrc; /* sender SSRC of the first RR */
	size_t n_reports;
	struct rtcp_report reports[RTCP_MAX_BLOCKS];
	size_t n_cnames;
	struct rtcp_cname cnames[RTCP_MAX_CNAMES];
	size_t n_bye;
	uint32_t bye[RTCP_MAX_BYE];
	const uint8_t *bye_reason; /* first BYE's reason, NULL if none */
	uint8_t bye_reason_len;
	size_t n_app;
	size_t n_rtpfb; /* recognised (length checked) and skipped */
	size_t n_psfb;
	size_t n_other; /* XR and unknown packet types, skipped */
};

/* Parses the compound RTCP packet buf[0..len), which must be exactly a sequence of
 * packets (RFC 3550 sect. 6.1). Returns RTCP_OK or the first error met: RTCP_ETRUNCATED,
 * RTCP_EVERSION, RTCP_EPADDING, RTCP_ESHORT, RTCP_ESDES, RTCP_EBYE, RTCP_ETOO_MANY.
 * An empty buffer is RTCP_ETRUNCATED. */
BASE_WUR enum rtcp_err rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_compound *out);

/* Appends a sender report with n (0..31) report blocks to buf[0..cap): 28 + 24n bytes.
 * Returns RTCP_OK, RTCP_EINVAL or RTCP_ENOSPACE (nothing written on error). */
BASE_WUR enum rtcp_err rtcp_build_sr(uint8_t *buf, size_t cap, const struct rtcp_sender_info *si,
				     const struct rtcp_report_block *blocks, size_t n,
				     size_t *out_len);

/* Appends a receiver report from ssrc with n (0..31) blocks: 8 + 24n bytes.
 * Returns RTCP_OK, RTCP_EINVAL or RTCP_ENOSPACE. */
BASE_WUR enum rtcp_err rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
				     const struct rtcp_report_block *blocks, size_t n,
				     size_t *out_len);

/* Appends an SDES packet with one chunk holding one CNAME item (1..255 bytes), NUL
 * terminated and padded to 32 bits as RFC 3550 sect. 6.5 says.
 * Returns RTCP_OK, RTCP_EINVAL or RTCP_ENOSPACE. */
BASE_WUR enum rtcp_err rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc,
					     const char *cname, size_t cname_len, size_t *out_len);

/* The middle 32 bits of an NTP timestamp: what a report block's LSR holds. */
static inline uint32_t rtcp_ntp_mid32(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/*
 * Receiver state for one remote SSRC, owned by the caller (one per peer stream, on the
 * worker thread that owns the peer). Zero-initialise, then rtcp_rx_init with the first
 * packet's sequence number, then for every packet (the first one too) rtcp_rx_update_seq
 * and, when it returns true, rtcp_rx_update_jitter. rtcp_rx_fill_report makes a report
 * block and starts the next reporting interval.
 */
struct rtcp_rx {
	uint16_t max_seq;
	uint32_t cycles; /* shifted count of sequence number cycles */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint32_t received;
	uint32_t expected_prior;
	uint32_t received_prior;
	bool have_transit;
	uint32_t transit;
	uint64_t jitter_q4; /* interarrival jitter << 4, RFC 3550 A.8 */
};

/* RFC 3550 A.1: a source counts as valid after `probation` packets in sequence. Pass 0
 * when the SSRC was signalled in SDP and the packets are SRTP-authenticated, which is
 * what probation's guess at bogus sources is for. */
void rtcp_rx_init(struct rtcp_rx *rx, uint16_t seq, uint32_t probation);

/* RFC 3550 A.1 update_seq: counts the packet and tracks the highest sequence number and
 * its cycles, treating a jump of more than 3000 ahead or 100 behind as a restart after a
 * second packet confirms it. Returns false for a packet that must not be counted (still
 * on probation, or a lone big jump). */
bool rtcp_rx_update_seq(struct rtcp_rx *rx, uint16_t seq);

/* RFC 3550 A.8: updates the interarrival jitter from a packet's RTP timestamp and its
 * arrival time expressed in the same clock (e.g. 48 kHz for Opus). */
void rtcp_rx_update_jitter(struct rtcp_rx *rx, uint32_t rtp_ts, uint32_t arrival);

/* RFC 3550 A.3: fills *rb for source ssrc with fraction lost since the last call,
 * cumulative lost (clamped to 24 bits signed), extended highest sequence number and
 * jitter; lsr and dlsr come from the caller's clock. Starts a new interval. */
void rtcp_rx_fill_report(struct rtcp_rx *rx, uint32_t ssrc, uint32_t lsr, uint32_t dlsr,
			 struct rtcp_report_block *rb);

#endif
