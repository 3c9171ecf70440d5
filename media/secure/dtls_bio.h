/*
 * dtls_bio -- the datagram-preserving OpenSSL BIO under a dtls_session (private to dtls.c).
 *
 * OpenSSL's DTLS code assumes its BIO is a datagram socket: one read returns exactly one
 * datagram; writes append records to the datagram being built, BIO_CTRL_WPENDING says how
 * full it is (dtls1_do_write fragments handshake messages to fit what is left of the MTU)
 * and BIO_flush sends it. A plain memory BIO breaks both halves: reads run datagrams
 * together, and since its "pending" count never falls until someone reads, fragmentation
 * is computed against the wrong size. This BIO keeps the boundaries: input is the one
 * datagram being fed (borrowed, never copied); output goes to a queue of whole datagrams
 * that are closed on flush, at the end of every call into OpenSSL, and before a record
 * that would push the datagram past the MTU (OpenSSL 3.0 does not count the AEAD explicit
 * nonce and tag when it packs the Finished record, so this last rule matters).
 *
 * Every datagram written is also mirrored into a second queue holding the last flight, so
 * dtls.c can retransmit it on its own clock (see dtls.c for why it cannot ask OpenSSL).
 */
#ifndef PLENARY_MEDIA_DTLS_BIO_H
#define PLENARY_MEDIA_DTLS_BIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>

/* Ceilings: a DTLS 1.2 flight with a P-256 certificate is about 1.5 KB; thirty-two
 * datagrams or 32 KiB means the caller stopped taking output, and the session fails
 * rather than grow. */
#define DTLS_QUEUE_SLOTS 32
#define DTLS_QUEUE_BYTES (32 * 1024)

/* FIFO of datagrams in one buffer. The buffer is allocated on first use and freed when
 * the queue drains, so an idle session holds none. */
struct dtls_queue {
	uint8_t *buf;
	size_t cap;
	size_t head_off; /* byte offset of the oldest closed datagram */
	size_t used;	 /* bytes from offset 0 to the end of the open datagram */
	size_t open;	 /* bytes in the open (unflushed) datagram; 0 = none */
	uint16_t len[DTLS_QUEUE_SLOTS];
	unsigned head;	/* slot of the oldest closed datagram */
	unsigned count; /* closed datagrams */
};

void dtls_queue_clear(struct dtls_queue *q);
/* Closed datagrams waiting. */
size_t dtls_queue_count(const struct dtls_queue *q);
/* Size of the oldest closed datagram; 0 if none. */
size_t dtls_queue_peek_len(const struct dtls_queue *q);
/* Copies the oldest closed datagram into out (which must hold dtls_queue_peek_len) and
 * drops it; returns its length, 0 if none. */
size_t dtls_queue_pop(struct dtls_queue *q, uint8_t *out);
/* Appends copies of all closed datagrams of src to dst as closed datagrams. Returns
 * false at a ceiling (dst may then hold some of them). */
bool dtls_queue_push_all(struct dtls_queue *dst, const struct dtls_queue *src);

/* What one BIO sees: the datagram being fed and where output goes. Embedded in the
 * session; the BIO points at it. */
struct dtls_bio_io {
	const uint8_t *in; /* borrowed for the duration of one call into OpenSSL */
	size_t in_len;
	bool in_taken;
	struct dtls_queue out;	  /* for the caller to take */
	struct dtls_queue flight; /* copy of the last flight, for retransmission */
	bool new_call;		  /* next write starts a new flight */
	bool wrote;		  /* something was written since dtls_bio_begin */
	bool overflow;		  /* a write hit a ceiling */
	size_t mtu;
};

/* The BIO_METHOD; one per dtls_context, shared read-only by all sessions. NULL on
 * failure. Free with BIO_meth_free. */
BIO_METHOD *dtls_bio_method_create(void);
/* A BIO of that method over io (which must outlive it). NULL on failure. */
BIO *dtls_bio_new(const BIO_METHOD *method, struct dtls_bio_io *io);

/* Brackets one call into OpenSSL: begin lends it the datagram (or none), end closes the
 * open output datagram and takes the input back. */
void dtls_bio_begin(struct dtls_bio_io *io, const uint8_t *in, size_t in_len);
void dtls_bio_end(struct dtls_bio_io *io);
/* Frees both queues. */
void dtls_bio_io_fini(struct dtls_bio_io *io);

#endif
