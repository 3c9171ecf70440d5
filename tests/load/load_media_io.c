/*
 * load_media_io -- a media thread's turn for its peers: receiving (RTP counted from its
 * clear header, everything else to the client), the speakers' frames, and the clients'
 * timers.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "load_interp.h"
#include "load_media_internal.h"

void load_peer_mirror_state(struct load_peer *p)
{
	enum client_state s = client_state(p->c);
	if ((int)s == atomic_load_explicit(&p->state, memory_order_relaxed))
		return;
	atomic_store(&p->state, (int)s);
	if (s == CLIENT_CONNECTED)
		atomic_store(&p->connected_ms, load_mono_us() / 1000);
}

/* An RTP packet (not RTCP, RFC 5761 sect. 4) to a connected peer: counted from its clear
 * header; sampled peers also decrypt and decode it. */
static bool count_rtp(struct load_peer *p, const uint8_t *buf, size_t len, uint64_t now_us)
{
	if (len < 12 || buf[0] < 128 || buf[0] > 191 || (buf[1] >= 192 && buf[1] <= 223) ||
	    atomic_load_explicit(&p->state, memory_order_relaxed) != CLIENT_CONNECTED)
		return false;
	if (p->speaker) {
		p->t->speaker_rx++;
		return !p->sampled;
	}
	uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
	if (!p->all.started)
		atomic_store(&p->first_audio_ms, now_us / 1000);
	seq_track_add(&p->all, seq);
	if (in_window(p->m, now_us))
		seq_track_add(&p->win, seq);
	return !p->sampled;
}

static uint64_t kernel_time_ns(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(cm), sizeof ts);
			return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	return load_real_ns();
}

static int read_batch(struct rx_thread *t, int fd)
{
	for (int i = 0; i < BATCH; i++) {
		t->iov[i] = (struct iovec){.iov_base = t->buf[i], .iov_len = DGRAM_MAX};
		t->msgs[i].msg_hdr = (struct msghdr){.msg_name = &t->from[i],
						     .msg_namelen = sizeof t->from[i],
						     .msg_iov = &t->iov[i],
						     .msg_iovlen = 1,
						     .msg_control = t->ctrl[i],
						     .msg_controllen = sizeof t->ctrl[i]};
	}
	return recvmmsg(fd, t->msgs, BATCH, MSG_DONTWAIT, NULL);
}

void load_media_receive(struct rx_thread *t, struct load_peer *p)
{
	int n;
	do {
		n = read_batch(t, p->fd);
		uint64_t now_us = load_mono_us();
		for (int i = 0; i < n; i++) {
			size_t len = t->msgs[i].msg_len;
			if (count_rtp(p, t->buf[i], len, now_us))
				continue;
			if (p->sampled)
				p->arrival_ns = kernel_time_ns(&t->msgs[i].msg_hdr);
			client_receive(p->c, t->buf[i], len, &t->from[i], now_us / 1000);
		}
		load_peer_mirror_state(p);
	} while (n == BATCH);
}

/* The timed speaker (the primary) sends the tone; the others the speech, if there is one. */
static enum client_err send_speech(struct load_peer *p, uint64_t k)
{
	const struct load_speech *sp = p->m->speech;
	size_t slot = (size_t)(k % sp->frames);
	return client_send_audio(p->c, sp->pkt[slot], sp->len[slot], (uint32_t)(k * CODEC_FRAME),
				 sp->level[slot], sp->level[slot] < 127);
}

static void send_frame(struct load_peer *p, uint64_t k)
{
	const struct load_tone *tone = p->m->tone;
	size_t slot = (size_t)(k % tone->frames);
	uint64_t period = (uint64_t)tone->cfg.period_frames;
	if (k % period == 0 && p->primary)
		atomic_store(&p->m->burst_ns[(k / period) % MAX_BURSTS], load_real_ns());
	enum client_err err =
	    p->voice ? client_send_audio(p->c, p->voice->pkt, p->voice->len,
					 (uint32_t)(k * CODEC_FRAME), p->voice->level, true)
	    : !p->primary && p->m->speech
		? send_speech(p, k)
		: client_send_audio(p->c, tone->pkt[slot], tone->len[slot],
				    (uint32_t)(k * CODEC_FRAME), tone->level[slot],
				    tone->level[slot] < 127);
	if (err != CLIENT_OK) {
		p->t->send_errors++;
		return;
	}
	p->t->sent++;
	p->t->sent_win += in_window(p->m, load_mono_us());
}

/* Sends every frame of the schedule that is due. A thread that was held up catches up,
 * each frame with its own timestamp, rather than skip ahead: a skip would be frames the
 * server never had, and the room's stream would follow the tool's lateness (issue 14's
 * note). The first frame is the schedule's slot of the moment it connected. */
void load_media_speak(struct load_peer *p, uint64_t now_us)
{
	if (atomic_load_explicit(&p->state, memory_order_relaxed) != CLIENT_CONNECTED)
		return;
	uint64_t t0 = p->m->t0_us;
	if (p->next_send_us == 0)
		p->next_send_us = t0 + (now_us - t0) / FRAME_US * FRAME_US;
	bool measured = in_window(p->m, now_us);
	while (p->next_send_us <= now_us) {
		/* The tool's own send jitter: what the server's jitter buffer has to absorb. */
		if (measured)
			(void)sample_set_add(&p->t->send_late,
					     (double)(now_us - p->next_send_us) / 1000.0);
		send_frame(p, (p->next_send_us - t0) / FRAME_US);
		p->next_send_us += FRAME_US;
	}
}

void load_media_tick(struct rx_thread *t, uint64_t now_us)
{
	for (size_t i = 0; i < t->n; i++) {
		struct load_peer *p = t->peers[i];
		if (now_us / 1000 >= client_next_timeout(p->c)) {
			client_tick(p->c, now_us / 1000);
			load_peer_mirror_state(p);
		}
	}
}
