/*
 * dtls_bio -- a datagram-preserving BIO and a small datagram FIFO; see dtls_bio.h for why
 * a plain memory BIO is not good enough under DTLS.
 *
 * The queue keeps datagrams back to back in one buffer with their lengths in a ring of
 * slots. The caller takes from the front, OpenSSL appends at the back, and in practice the
 * caller drains the queue after every call, which resets it to empty and frees the
 * buffer; so there is no compaction, just the ceilings in dtls_bio.h.
 */
#include "media/secure/dtls_bio.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>

void dtls_queue_clear(struct dtls_queue *q)
{
	free(q->buf);
	memset(q, 0, sizeof *q);
}

static bool queue_reserve(struct dtls_queue *q, size_t need)
{
	if (need > DTLS_QUEUE_BYTES)
		return false;
	if (need <= q->cap)
		return true;
	size_t cap = q->cap ? q->cap : 2048;
	while (cap < need)
		cap *= 2;
	if (cap > DTLS_QUEUE_BYTES)
		cap = DTLS_QUEUE_BYTES;
	uint8_t *grown = realloc(q->buf, cap);
	if (!grown)
		return false;
	q->buf = grown;
	q->cap = cap;
	return true;
}

static void dtls_queue_close(struct dtls_queue *q)
{
	if (q->open == 0)
		return;
	q->len[(q->head + q->count) % DTLS_QUEUE_SLOTS] = (uint16_t)q->open;
	q->count++;
	q->open = 0;
}

static bool dtls_queue_append(struct dtls_queue *q, const uint8_t *data, size_t n, size_t mtu)
{
	if (n == 0)
		return true;
	if (q->open > 0 && q->open + n > mtu)
		dtls_queue_close(q);
	/* A new datagram needs a free slot; its length must fit the 16-bit slot. */
	if (q->open == 0 && q->count == DTLS_QUEUE_SLOTS)
		return false;
	if (q->open + n > UINT16_MAX || !queue_reserve(q, q->used + n))
		return false;
	memcpy(q->buf + q->used, data, n);
	q->used += n;
	q->open += n;
	return true;
}

size_t dtls_queue_count(const struct dtls_queue *q)
{
	return q->count;
}

size_t dtls_queue_peek_len(const struct dtls_queue *q)
{
	return q->count ? q->len[q->head] : 0;
}

size_t dtls_queue_pop(struct dtls_queue *q, uint8_t *out)
{
	if (q->count == 0)
		return 0;
	size_t n = q->len[q->head];
	memcpy(out, q->buf + q->head_off, n);
	q->head_off += n;
	q->head = (q->head + 1) % DTLS_QUEUE_SLOTS;
	q->count--;
	if (q->count == 0 && q->open == 0)
		dtls_queue_clear(q); /* drained: hold no memory while idle */
	return n;
}

bool dtls_queue_push_all(struct dtls_queue *dst, const struct dtls_queue *src)
{
	dtls_queue_close(dst);
	size_t off = src->head_off;
	for (unsigned i = 0; i < src->count; i++) {
		size_t n = src->len[(src->head + i) % DTLS_QUEUE_SLOTS];
		/* An mtu of n makes each copy a datagram of its own. */
		if (!dtls_queue_append(dst, src->buf + off, n, n))
			return false;
		dtls_queue_close(dst);
		off += n;
	}
	return true;
}

/* --- The BIO ---------------------------------------------------------------------------- */

static int bio_write(BIO *bio, const char *data, int n)
{
	struct dtls_bio_io *io = BIO_get_data(bio);
	BIO_clear_retry_flags(bio);
	if (!io || n < 0)
		return -1;
	if (io->new_call) {
		/* The first write of a call starts a new flight; the old one is answered. */
		dtls_queue_clear(&io->flight);
		io->new_call = false;
	}
	const uint8_t *bytes = (const uint8_t *)data;
	if (!dtls_queue_append(&io->out, bytes, (size_t)n, io->mtu) ||
	    !dtls_queue_append(&io->flight, bytes, (size_t)n, io->mtu)) {
		/* Not a retry: the caller is not draining, and OpenSSL must give up. */
		io->overflow = true;
		return -1;
	}
	io->wrote = true;
	return n;
}

static int bio_read(BIO *bio, char *buf, int cap)
{
	struct dtls_bio_io *io = BIO_get_data(bio);
	BIO_clear_retry_flags(bio);
	if (!io || cap < 0)
		return -1;
	if (!io->in || io->in_taken) {
		BIO_set_retry_read(bio);
		return -1;
	}
	/* One read, one datagram. A buffer too small truncates it, as recvfrom() would;
	 * OpenSSL's DTLS read buffer always holds a maximal record, so this does not
	 * happen. */
	size_t n = io->in_len < (size_t)cap ? io->in_len : (size_t)cap;
	memcpy(buf, io->in, n);
	io->in_taken = true;
	return (int)n;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	(void)ptr;
	struct dtls_bio_io *io = BIO_get_data(bio);
	if (!io)
		return 0;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		dtls_queue_close(&io->out);
		dtls_queue_close(&io->flight);
		return 1;
	case BIO_CTRL_WPENDING:
		/* How full the datagram being built is: dtls1_do_write fragments to fit the
		 * rest of the MTU. */
		return (long)io->out.open;
	case BIO_CTRL_PENDING:
		return io->in && !io->in_taken ? (long)io->in_len : 0;
	case BIO_CTRL_DGRAM_SET_MTU:
		if (num > 0)
			io->mtu = (size_t)num;
		return (long)io->mtu;
	case BIO_CTRL_DGRAM_GET_MTU:
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return (long)io->mtu;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 0; /* the configured MTU is already the UDP payload size */
	case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
		return 1; /* timers are dtls.c's business */
	default:
		return 0;
	}
}

static int bio_create(BIO *bio)
{
	BIO_set_init(bio, 1);
	return 1;
}

static int bio_destroy(BIO *bio)
{
	BIO_set_data(bio, NULL);
	return 1;
}

BIO_METHOD *dtls_bio_method_create(void)
{
	int index = BIO_get_new_index();
	if (index < 0)
		return NULL;
	BIO_METHOD *m = BIO_meth_new(index | BIO_TYPE_SOURCE_SINK, "plenary datagram");
	if (!m)
		return NULL;
	if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
	    !BIO_meth_set_destroy(m, bio_destroy)) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

BIO *dtls_bio_new(const BIO_METHOD *method, struct dtls_bio_io *io)
{
	BIO *bio = BIO_new(method);
	if (bio)
		BIO_set_data(bio, io);
	return bio;
}

void dtls_bio_begin(struct dtls_bio_io *io, const uint8_t *in, size_t in_len)
{
	io->in = in;
	io->in_len = in_len;
	io->in_taken = false;
	io->new_call = true;
	io->wrote = false;
}

void dtls_bio_end(struct dtls_bio_io *io)
{
	dtls_queue_close(&io->out);
	dtls_queue_close(&io->flight);
	io->in = NULL;
	io->in_len = 0;
	io->new_call = false;
}

void dtls_bio_io_fini(struct dtls_bio_io *io)
{
	dtls_queue_clear(&io->out);
	dtls_queue_clear(&io->flight);
}
