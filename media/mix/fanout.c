/*
 * Copy, protect, batch, sendmmsg; see fanout.h for why the buffers are per batch.
 *
 * The mmsghdr and iovec arrays are set up once at create, each message pointing at its own
 * buffer; a send only fills in the destination and the length. sendmmsg returns how many
 * messages went out before the first failure: the failing one is counted and skipped and
 * the call repeated for the rest, except on EAGAIN (socket buffer full), where the rest of
 * the batch is dropped -- retrying a full buffer in a loop is the blocking we must avoid.
 */
#include "media/mix/fanout.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "media/wire/wire.h"

/* How far ahead of the listener being protected its successors' sessions are fetched:
 * at 2,000 listeners every session is cold again 20 ms later, and the first touches of
 * our wrapper and of libsrtp's context were a tenth of the fan-out's profile (perf). A
 * listener takes a microsecond or more, so a few ahead is enough. */
#define PREFETCH_AHEAD 4

/* One packet buffer: the largest packet plus the largest trailer, rounded up to 64 bytes so
 * every buffer starts on its own cache line (libsrtp wants 4-byte alignment at least). */
#define SLOT_BYTES (((FANOUT_MAX_PACKET + MEDIA_SRTP_MAX_TRAILER) + 63) / 64 * 64)

struct fanout {
	size_t batch;
	uint8_t *bufs; /* batch * SLOT_BYTES, 64-byte aligned */
	struct iovec *iov;
	struct mmsghdr *msgs;
};

enum media_err fanout_create(size_t batch, struct fanout **out)
{
	if (!out || batch > FANOUT_MAX_BATCH)
		return MEDIA_ERR_PARAM;
	if (batch == 0)
		batch = FANOUT_DEFAULT_BATCH;
	struct fanout *f = calloc(1, sizeof *f);
	if (!f)
		return MEDIA_ERR_NOMEM;
	f->batch = batch;
	f->bufs = aligned_alloc(64, batch * SLOT_BYTES);
	f->iov = calloc(batch, sizeof *f->iov);
	f->msgs = calloc(batch, sizeof *f->msgs);
	if (!f->bufs || !f->iov || !f->msgs) {
		fanout_destroy(f);
		return MEDIA_ERR_NOMEM;
	}
	for (size_t i = 0; i < batch; i++) {
		f->iov[i].iov_base = f->bufs + i * SLOT_BYTES;
		f->msgs[i].msg_hdr.msg_iov = &f->iov[i];
		f->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	*out = f;
	return MEDIA_OK;
}

void fanout_destroy(struct fanout *f)
{
	if (!f)
		return;
	free(f->bufs);
	free(f->iov);
	free(f->msgs);
	free(f);
}

/* Copies and protects the packet for d into message m; false when protect failed or the
 * packet already went to d's stream sink (the message slot is then free again). */
static bool prepare(struct fanout *f, size_t m, const uint8_t *pkt, size_t len,
		    const struct fanout_dest *d, struct fanout_result *res)
{
	uint8_t *buf = f->iov[m].iov_base;
	memcpy(buf, pkt, len);
	buf[1] = (uint8_t)((pkt[1] & 0x80) | (d->payload_type & 0x7f));
	size_t out_len = len;
	/* No session: a plain-RTP venue on its LAN (net/venue_rtp.h), always through a sink. */
	enum media_srtp_err err =
	    d->srtp ? media_srtp_protect_rtp(d->srtp, buf, len, SLOT_BYTES, &out_len) : 0;
	if (err) {
		res->protect_errors++;
		res->srtp_err = err;
		return false;
	}
	if (d->sink) {
		/* A stream: queued on its connection now; the slot is free again. */
		if (d->sink->send(d->sink, buf, out_len))
			res->sent++;
		else
			res->send_errors++;
		return false;
	}
	f->iov[m].iov_len = out_len;
	struct msghdr *h = &f->msgs[m].msg_hdr;
	h->msg_name = (void *)&d->addr;
	h->msg_namelen = d->addr_len;
	return true;
}

static void flush(struct fanout *f, int fd, size_t count, struct fanout_result *res)
{
	size_t off = 0;
	while (off < count) {
		int r = sendmmsg(fd, f->msgs + off, (unsigned)(count - off), MSG_DONTWAIT);
		if (r > 0) {
			res->sent += (size_t)r;
			off += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		res->send_errno = r < 0 ? errno : EIO;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			res->send_errors += count - off;
			return;
		}
		res->send_errors++; /* this destination failed; go on with the next */
		off++;
	}
}

enum media_err fanout_send(struct fanout *f, int fd, const uint8_t *pkt, size_t len,
			   const struct fanout_dest *dests, size_t n, struct fanout_result *res)
{
	if (!f || !pkt || !res || (n && !dests) || len < RTP_HEADER_LEN)
		return MEDIA_ERR_PARAM;
	if (len > FANOUT_MAX_PACKET)
		return MEDIA_ERR_TOOBIG;
	memset(res, 0, sizeof *res);
	size_t i = 0;
	while (i < n) {
		size_t m = 0;
		for (; i < n && m < f->batch; i++) {
			if (i + 2 * PREFETCH_AHEAD < n)
				__builtin_prefetch(dests[i + 2 * PREFETCH_AHEAD].srtp);
			if (i + PREFETCH_AHEAD < n)
				media_srtp_prefetch(dests[i + PREFETCH_AHEAD].srtp);
			if (prepare(f, m, pkt, len, &dests[i], res))
				m++;
		}
		flush(f, fd, m, res);
	}
	return MEDIA_OK;
}
