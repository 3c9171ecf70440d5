/*
 * media -- WebRTC audio for plenary rooms: ICE-lite, DTLS-SRTP, RTP/RTCP on one UDP port
 * per worker thread (DESIGN.md principles 4 and 5), and later the Opus mixer.
 *
 * The module's whole contract with the gateway. media_create starts the workers -- one
 * thread per core by default, each with its own epoll loop, UDP socket, 20 ms tick and
 * peers -- and everything else here runs on the one thread that created it (the
 * gateway's), except media_stats_read, which is safe anywhere. The gateway never touches
 * a worker's data: it posts commands through bounded lock-free rings and learns what
 * happened through events it collects with media_dispatch_all when media_event_fd is
 * readable. media/README.md has the picture.
 *
 * A peer is one WebSocket connection's audio: media_peer_offer takes the browser's SDP
 * offer and returns the answer and a handle, which the gateway owns until it calls
 * media_peer_close (it must, for every handle, before media_destroy or at the latest by
 * media_destroy). Rooms are pinned to a worker, so every peer of a room lives on the same
 * thread and the mixer can see them all without locks.
 *
 * The room's audio (media/MIXER.md): only open mics are decoded (media_peer_mic is the
 * gate); the public mix is encoded once and sent to every peer of the room on one SSRC,
 * the room's, which every answer of the room names; open-mic holders get a mix-minus of
 * their own. While a room's session is live (media_room_session) the same packets are
 * recorded as Ogg Opus under options.recordings_dir and streamed as Ogg pages to the
 * gateway (media_callbacks.stream) for listen.ogg.
 */
#ifndef PLENARY_MEDIA_H
#define PLENARY_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"

#define MEDIA_ROOM_MAX	     64 /* room ids, as rooms/ allows them */
#define MEDIA_MAX_WORKERS    64
#define MEDIA_ANSWER_MAX     16384 /* an answer always fits in this many bytes */
#define MEDIA_MAX_PUBLIC_IPS 8	   /* announced addresses (media_options.public_ips) */

/* Which libsrtp the build linked: "openssl" (built by scripts/build-libsrtp.sh) or
 * "system-nss" (Debian's, slower with many sessions). */
const char *media_srtp_backend(void);

enum media_err {
	MEDIA_OK = 0,
	MEDIA_ERR_PARAM,     /* a bad option or argument (the message says which) */
	MEDIA_ERR_NOMEM,     /* an allocation failed */
	MEDIA_ERR_SYSTEM,    /* a socket, bind, epoll, eventfd or thread call failed */
	MEDIA_ERR_CRYPTO,    /* certificate, random numbers or libsrtp initialisation */
	MEDIA_ERR_SDP,	     /* the offer is malformed or unusable (wire: bad_request) */
	MEDIA_ERR_FORBIDDEN, /* the offer sends audio and the role may not (wire: forbidden) */
	MEDIA_ERR_BUSY,	     /* the worker's queue is full; try again (wire: unavailable) */
	/* The functions of this header return the codes above. Media's own objects (rings,
	 * room mixer, RTP rewrite, fan-out, Opus, Ogg, recorder) share this enum, because
	 * their callers tell no more apart than these; each object's header says which of
	 * them it returns. The parsers keep enums of their own: a rejected input's precise
	 * reason is what their tests and fuzzers pin. */
	MEDIA_ERR_FULL,	  /* no room: a ring, the recorder's streams, MIX_MAX_INPUTS open mics */
	MEDIA_ERR_TOOBIG, /* a packet or an output does not fit its bound */
	MEDIA_ERR_STATE,  /* not now: before start, after finish or stop, no such stream */
	MEDIA_ERR_CODEC,  /* libopus or libogg refused */
	MEDIA_ERR_PACKET, /* an Opus packet is empty, malformed or not 20 ms long */
	MEDIA_ERR_STALE,  /* an RTP packet or time from before the last one sent: drop it */
};

/* A constant English phrase; never NULL. */
const char *media_strerror(enum media_err err);

/* One encoded frame of a room's stream, as its listeners get it before SRTP: the tap's
 * (media_options.on_encoded) and what an edge pushes (media_relay_push). With a pid, it is
 * the owner's own mix for one participant whose open mic is on an edge (their mix-minus:
 * the room without their own voice), sent in place of the room's frame of the same tick,
 * with the same seq and timestamp. */
#define MEDIA_FRAME_MAX 1275 /* an Opus packet's largest size (RFC 6716) */
#define MEDIA_PID_MAX	64   /* participant ids, as rooms/ allows them */
struct media_frame {
	const char *room;
	unsigned channel;   /* 0 the floor; k as media_peer_channel's k (1..2 x MEDIA_CHANNELS) */
	uint32_t ssrc;	    /* the stream's on the node that made it (its room's SSRC) */
	uint16_t seq;	    /* its RTP sequence number and timestamp there: a channel's frame */
	uint32_t timestamp; /* shares the floor frame's of the same tick */
	bool marker;
	const uint8_t *opus;
	size_t len;	 /* 1..MEDIA_FRAME_MAX */
	const char *pid; /* NULL: the room's stream; else that participant's own mix (floor) */
};
/* One RTP packet of an open microphone, as its peer sent it (after SRTP): what an edge
 * hands on (media_options.on_mic_frame) and the owner takes (media_remote_mic_push). */
struct media_mic_frame {
	const char *room;
	const char *pid; /* the participant (media_offer.pid on the edge) */
	uint16_t seq;
	uint32_t timestamp;
	bool marker;
	int level; /* RFC 6464, -dBov 0..127; -1 unknown */
	const uint8_t *opus;
	size_t len; /* 1..MEDIA_FRAME_MAX */
};

struct media_options {
	unsigned workers;    /* 0: one per online CPU; at most MEDIA_MAX_WORKERS */
	uint16_t port;	     /* first UDP port, worker i on port + i; 0: ephemeral each */
	int tcp_port;	     /* ICE-TCP (RFC 6544 passive candidates, RFC 4571 framing):
			      * first TCP port, worker i on tcp_port + i; 0: ephemeral
			      * each; -1: none (answers list UDP candidates only) */
	const char *bind_ip; /* numeric address of the UDP and TCP sockets; NULL or "":
			      * every interface -- "::" (dual-stack) when an announced
			      * address is IPv6, else "0.0.0.0"; "::" takes IPv4 too */
	/* The addresses announced in the candidates (1:1 NAT), the first the most preferred:
	 * public_ips[0..n_public_ips), at most MEDIA_MAX_PUBLIC_IPS, numeric, not wildcards;
	 * an IPv6 one needs an IPv6 bind (default or "::"), an IPv4 one an IPv4 bind or "::".
	 * None: the bound address, or for a wildcard bind the first non-loopback IPv4 address
	 * of the host (127.0.0.1 if there is none). */
	const char *const *public_ips;
	size_t n_public_ips;
	bool echo;		    /* test-only: loop each peer's own audio back to it */
	const char *recordings_dir; /* sessions are recorded in <dir>/<room>/; NULL or "":
				     * not recorded (listen.ogg still works) */
	int mix_bitrate;	    /* the public mix, bits/s; 0: 32000 */
	/* The realtime clock in seconds, for the DTLS certificate's validity and rotation
	 * (MEDIA_CERT_ROTATE_S); NULL: time(). Called on the gateway thread only. */
	int64_t (*clock_s)(void *arg);
	void *clock_arg;
	/* Edges (issue 17; "Relay and taps" in media/README.md). Both run on a media worker
	 * thread, in the middle of its tick or packet path: copy what you need (the frame is
	 * valid during the call only), do not block, do not call back into media. NULL: none.
	 * on_encoded: every Opus frame a room sends its listeners (owner side). on_mic_frame:
	 * an open mic's packet of a peer in a relayed room (edge side). */
	void (*on_encoded)(void *ctx, const struct media_frame *f);
	void (*on_mic_frame)(void *ctx, const struct media_mic_frame *f);
	void *tap_ctx;
};

/* The DTLS certificate (valid 30 days from its making) is replaced by a new one when an
 * offer comes and it is this old: new answers name the new one, while sessions answered
 * with the old one keep it (they handshake and run with it until they end). */
#define MEDIA_CERT_ROTATE_S (7 * 24 * 3600L)

struct media;

/* Initialises libsrtp (once per process), makes the process's DTLS certificate, binds the
 * workers' sockets and starts their threads. On error, why (if not NULL) gets a sentence
 * naming what failed. Errors: MEDIA_ERR_PARAM (among them: an announced address of a
 * family the bind cannot receive, and workers x addresses x 2 (UDP, ICE-TCP) candidates
 * over the answer's SDP_MAX_CANDIDATES -- refused, never truncated), MEDIA_ERR_NOMEM,
 * MEDIA_ERR_SYSTEM, MEDIA_ERR_CRYPTO. The caller owns *out (media_destroy). */
BASE_WUR enum media_err media_create(const struct media_options *opt, struct media **out, char *why,
				     size_t why_cap);
/* Stops and joins the workers, then frees every peer and every handle still open (their
 * events are not delivered). NULL is fine. */
void media_destroy(struct media *m);

/* An eventfd that is readable when events wait for media_dispatch_all; owned by m (the
 * gateway may poll it or a dup of it, e.g. inside the lws loop). */
int media_event_fd(const struct media *m);

unsigned media_worker_count(const struct media *m);
/* The host candidate of worker i: the first announced address and the bound UDP port.
 * Returns false for i out of range. (Its ICE-TCP candidate, when there is one, has the
 * same address and the port of options.tcp_port.) */
bool media_candidate(const struct media *m, unsigned i, const char **ip, uint16_t *port);
/* The j-th announced address (j = 0 is media_candidate's), or NULL past the last. */
const char *media_announced_ip(const struct media *m, size_t j);
/* The current certificate's fingerprint, "sha-256 AB:CD:..." as in a=fingerprint; valid
 * until the next media_peer_offer (which may rotate the certificate). */
const char *media_fingerprint(const struct media *m);

/* Where a peer is, as PROTOCOL.md's private media.state says it. */
enum media_state {
	MEDIA_STATE_CONNECTING = 0,
	MEDIA_STATE_CONNECTED,
	MEDIA_STATE_FAILED,
	MEDIA_STATE_CLOSED,
};
/* "connecting", "connected", "failed", "closed"; never NULL. */
const char *media_state_name(enum media_state s);

struct media_peer;

struct media_offer {
	const char *room; /* the room id: pins the peer to the room's worker */
	const char *sdp;  /* the browser's offer (JSEP), sdp_len bytes, no NUL needed */
	size_t sdp_len;
	bool may_send; /* the role may send audio (chair, participant: PROTOCOL.md) */
	bool mic_open; /* the room's mic gate for this person at the start */
	void *user;    /* passed back with the peer's events */
	/* The participant, named in on_mic_frame (edges); NULL or "": none. */
	const char *pid;
};

/* Answers an offer: parses it (media/wire/sdp.h), checks the direction against may_send, makes
 * ICE credentials and an SRTP SSRC, writes the answer (ICE-lite, one host candidate per
 * worker and announced address, the room's worker first and each worker's addresses in
 * their order, then as many ICE-TCP passive candidates below them unless
 * options.tcp_port is -1, a=setup:passive, our fingerprint, rtcp-mux, Opus
 * with useinbandfec=1;usedtx=1, the audio-level extension; recvonly -> sendonly) into
 * answer[0..cap) NUL-terminated with *answer_len, and posts the peer to the room's
 * worker. The peer starts in MEDIA_STATE_CONNECTING (no event says so).
 * Errors, with a sentence in why:
 *   MEDIA_ERR_SDP        the offer does not parse or cannot be answered ("SDP line 12:
 *                        ...") -- nothing was allocated and no worker was told;
 *   MEDIA_ERR_FORBIDDEN  it offers to send (sendrecv, sendonly) and may_send is false;
 *   MEDIA_ERR_BUSY       the room's worker has too many commands waiting;
 *   MEDIA_ERR_PARAM      NULL, a room id over MEDIA_ROOM_MAX, or an answer buffer too
 *                        small (MEDIA_ANSWER_MAX always suffices);
 *   MEDIA_ERR_NOMEM, MEDIA_ERR_CRYPTO.
 * On success the caller owns *out until media_peer_close. */
BASE_WUR enum media_err media_peer_offer(struct media *m, const struct media_offer *offer,
					 char *answer, size_t cap, size_t *answer_len,
					 struct media_peer **out, char *why, size_t why_cap);

/* Ends the peer (a close_notify to the browser if DTLS can still send one) and gives the
 * handle back: no event about it is delivered afterwards, and it must not be used again.
 * Callable from inside a media_dispatch_all callback. NULL is fine. */
void media_peer_close(struct media_peer *p);

/* The room's mic gate for this peer's person changed (rooms_sink.mic): the worker stores
 * it, and the mixer decodes only open microphones (DESIGN.md principle 3). */
void media_peer_mic(struct media_peer *p, bool open);

/* Interpretation channels (issue 14), numbered as rooms/ numbers its booths: ch 0 is the
 * floor, k is booth k-1 (k <= MEDIA_CHANNELS), and for media_peer_channel k + MEDIA_CHANNELS
 * is booth k-1 with the floor underneath at -18 dB. media_peer_channel: what this peer hears
 * from the next packet on, on the same peer with one RTP timeline (no renegotiation; a
 * channel with nobody on air carries the floor). media_peer_voice: what its mic feeds when
 * open (an interpreter on air: their booth's channel, never the floor); call it before
 * media_peer_mic opens. Both are kept for the peer's life; a bad ch is ignored. */
#define MEDIA_CHANNELS 16
void media_peer_channel(struct media_peer *p, unsigned ch);
void media_peer_voice(struct media_peer *p, unsigned ch);

struct media_peer_stats {
	enum media_state state;
	uint64_t packets_received; /* RTP packets that authenticated */
	uint64_t packets_lost;	   /* RFC 3550 A.3 cumulative */
	uint64_t packets_sent;
	uint64_t srtp_errors; /* packets that failed to authenticate or were replays */
	uint64_t rtcp_received;
	uint32_t jitter_us;  /* RFC 3550 A.8 interarrival jitter */
	uint32_t rtt_ms;     /* from the browser's report blocks about our stream; 0 unknown */
	uint8_t audio_level; /* last RFC 6464 level, -dBov (127 silence) */
	bool voice;
};
/* The peer's statistics as its worker last published them (about once a second). */
void media_peer_stats(const struct media_peer *p, struct media_peer_stats *out);

/* How long ago (ms) this peer's person last talked through an open mic -- voice louder
 * than talk.h's threshold, within its hangover -- or -1 if never. Stored by the worker
 * as each packet arrives, read here with one relaxed atomic load: safe on the gateway
 * thread while the mixer runs. Captions credit the peer that talked most recently
 * (gateway/media_glue.c). */
int64_t media_peer_talked_ms_ago(const struct media_peer *p);

/* A room's live stream, as Ogg Opus for listen.ogg: BEGIN (data: the OpusHead and
 * OpusTags pages, for every client to start with), PAGE (one page, in order), END (the
 * session ended; the pages before it closed the stream). A page can be missing when the
 * gateway fell far behind (the page ring was full). */
enum media_stream_kind { MEDIA_STREAM_BEGIN = 1, MEDIA_STREAM_PAGE, MEDIA_STREAM_END };
#define MEDIA_STREAM_PAGE_MAX 16384 /* no piece of a stream is longer */

struct media_callbacks {
	/* A peer's state changed, in order per peer: user is the offer's. May call
	 * media_peer_close and media_peer_mic. */
	void (*state)(void *ctx, void *user, enum media_state state);
	/* Someone is talking into the peer's closed microphone (RFC 6464 level at least
	 * -40 dBov for 300 ms; at most once every 2 s per peer): PROTOCOL's mic.attempt.
	 * level is the last one, -dBov. */
	void (*attempt)(void *ctx, void *user, uint8_t level);
	/* A piece of a room's live stream: channel 0 the floor, b + 1 interpretation channel
	 * b (media_peer_channel's numbers). data is valid during the call. */
	void (*stream)(void *ctx, const char *room, unsigned channel, enum media_stream_kind kind,
		       const uint8_t *data, size_t len);
};
/* Delivers the events that wait to cb's members (NULL members are skipped). Reads the
 * event fd, so call it when that is readable (or at any time: it is cheap when nothing
 * waits). Returns how many callbacks ran. */
size_t media_dispatch_all(struct media *m, const struct media_callbacks *cb, void *ctx);

/* The room's session started (live, at start_ms of the realtime clock, with this title)
 * or ended. While it is live the room's public mix is recorded to
 * <recordings_dir>/<room>/<start_ms>-<NN>.ogg (NN: 01, or the next free number if the
 * process restarted during the session) with OpusTags ROOM, SESSION and DATE, its
 * timeline starting at start_ms, and streamed through media_callbacks.stream. Errors:
 * MEDIA_ERR_PARAM (a bad room id), MEDIA_ERR_NOMEM. */
BASE_WUR enum media_err media_room_session(struct media *m, const char *room, bool live,
					   const char *title, int64_t start_ms);

/* The path of the room's latest recording (the greatest file name in its directory), or
 * false if there is none. ch 0 is the floor's; ch k (1..MEDIA_CHANNELS) booth k-1's,
 * <start_ms>-<NN>.ch<k>.ogg beside the floor's file, recorded from the session's start
 * or the booth's first interpreter with audio in it, with filler before, so it has the
 * floor's timeline. */
bool media_recording_latest(const struct media *m, const char *room, unsigned ch, char *path,
			    size_t cap);

/* A room's sound desk over plain RTP (net/venue_rtp.h): the room's microphones arrive on
 * listen (ADDR:PORT, numeric), the room's mix-minus goes to send_to, in one codec both
 * ways: Opus, or L16 at 48 kHz mono. The desk is the room's venue in the mix: its input
 * is open while the session is live. */
enum media_venue_codec { MEDIA_VENUE_OPUS = 0, MEDIA_VENUE_L16 };
struct media_venue_rtp {
	const char *room;
	const char *listen;  /* "127.0.0.1:5004", "[::1]:5004" */
	const char *send_to; /* the same form */
	enum media_venue_codec codec;
	uint8_t payload_type; /* 96..127, the same both ways */
};
/* Parses "ADDR:PORT" (IPv6 in brackets) as the venue's addresses are written; false when
 * it is not one (port 1..65535). Used by the configuration to refuse a bad one early. */
bool media_venue_addr_valid(const char *text);
/* Opens the venue's socket and puts it on the room's worker for good (the room is pinned
 * there from now on). Errors: MEDIA_ERR_PARAM (bad room or address; why says which),
 * MEDIA_ERR_SYSTEM (the listen address cannot be bound), MEDIA_ERR_NOMEM, MEDIA_ERR_CODEC. */
BASE_WUR enum media_err media_venue_rtp_add(struct media *m, const struct media_venue_rtp *v,
					    char *why, size_t why_cap);

/* What a room's mixer last published, for /metrics. */
struct media_room_info {
	const char *room; /* valid until the next media_* call */
	uint64_t listeners;
	uint64_t open_mics;
	uint64_t packets_sent;
	bool forwarding;
	bool recording;
};
bool media_room_at(const struct media *m, size_t i, struct media_room_info *out);

/* Counters for /metrics, summed over the workers. */
#define MEDIA_TICK_BUCKETS 12
extern const double media_tick_bucket_bounds[MEDIA_TICK_BUCKETS]; /* seconds */
/* Server-added latency: a packet's arrival to the packet it became starting to leave
 * (mixed, or forwarded as it came); the fan-out to N listeners then takes N times the
 * per-listener cost (media_stats.fanout_s / fanout_packets). */
#define MEDIA_LATENCY_BUCKETS 19
extern const double media_latency_bucket_bounds[MEDIA_LATENCY_BUCKETS]; /* seconds */
struct media_stats {
	uint64_t peers_connected;
	uint64_t rtp_packets_received;
	uint64_t rtp_packets_sent;
	uint64_t srtp_errors;
	uint64_t tick_buckets[MEDIA_TICK_BUCKETS + 1]; /* last: +Inf */
	uint64_t tick_count;
	double tick_sum_s;
	/* The 20 ms grid: frames every worker passed (50 a second each, however late it ran),
	 * and those it was too late to mix (more than 100 ms behind: a starved process). */
	uint64_t frames;
	uint64_t frames_skipped;
	/* Latency, by how the packet left: mixed (jitter buffer + decode + mix + encode) or
	 * forwarded as it came. */
	uint64_t latency_mix_buckets[MEDIA_LATENCY_BUCKETS + 1];
	uint64_t latency_mix_count;
	double latency_mix_sum_s;
	uint64_t latency_fwd_buckets[MEDIA_LATENCY_BUCKETS + 1];
	uint64_t latency_fwd_count;
	double latency_fwd_sum_s;
	uint64_t mixes_encoded;	    /* public mixes encoded (once for every listener) */
	uint64_t channel_encodes;   /* interpretation channels' frames encoded (once per channel) */
	uint64_t packets_forwarded; /* speakers' packets forwarded without transcoding */
	uint64_t send_errors;	    /* datagrams of the rooms' streams not sent */
	uint64_t gate_errors;	    /* mic gates that could not open */
	double fanout_s;	    /* time in the public packets' fan-out (SRTP + send) */
	uint64_t fanout_packets;    /* ... and the packets it protected and sent */
	uint64_t stream_pages_dropped; /* live Ogg pages the gateway was too slow for */
	uint64_t recording_dropped;    /* packets the recorder's writer was too slow for */
	uint64_t tcp_accepted;	       /* ICE-TCP connections accepted */
	uint64_t tcp_dropped;	       /* packets a full ICE-TCP connection dropped */
	uint64_t venue_received;       /* plain-RTP venues: datagrams taken into the mix */
	uint64_t venue_dropped;	       /* ... refused (not RTP, wrong type, bad payload) */
	uint64_t venue_sent;	       /* ... sent to the desks */
	uint64_t relay_dropped;	 /* edges: pushed frames a full ring dropped (media_relay_push) */
	uint64_t relay_own_sent; /* edges: the owner's own mixes sent to open mics here */
};
/* m may be NULL (no media side yet): all zeros. Safe from any thread. */
void media_stats_read(const struct media *m, struct media_stats *out);

/* Edges (issue 17): a node that serves a room it does not own relays the owner's encoded
 * stream to its own listeners, and hands its participants' open mics to the owner. The
 * transport between the nodes (NATS) is the caller's; media/README.md, "Relay and taps".
 *
 * media_room_relay (gateway thread): the room's stream comes from media_relay_push
 * instead of its own mixer (on), or from its mixer again (off). While relayed, the open
 * mics of the room's peers go to options.on_mic_frame instead of the mix; listeners and
 * listen.ogg get the pushed frames, with the room's own SSRC and one continuous
 * seq/timestamp line across gaps and changes of source (a new owner). The room stays on
 * its worker for good from the first call. Errors: MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM. */
BASE_WUR enum media_err media_room_relay(struct media *m, const char *room, bool on);
/* Any thread (serialised inside), until media_destroy begins (the caller stops its
 * transport first): one frame of the owner's stream for f->room, as the owner's
 * on_encoded gave it (channel frames before the floor frame of their tick). It is
 * copied into the room's ring; the worker sends it on at once. A frame with a pid goes to
 * that participant's peer here alone, if its mic is open, in place of the room's frame
 * of its tick (which an open mic in a relayed room is not sent). Errors: MEDIA_ERR_PARAM
 * (bad frame), MEDIA_ERR_STATE (media_room_relay was never called for the room),
 * MEDIA_ERR_FULL (the ring is full: the frame is dropped and counted in
 * media_stats.relay_dropped). */
BASE_WUR enum media_err media_relay_push(struct media *m, const struct media_frame *f);

/* The owner's side of an edge's microphones. media_remote_mic (gateway thread) is the
 * room's mic gate for a participant connected to another node, like media_peer_mic: the
 * first opening makes them a member of the room's mix that hears nothing here (kept until
 * media_destroy; closing the gate is how they stop). media_remote_mic_push (any thread,
 * as media_relay_push) feeds their packets to the mixer, which treats them as a local
 * open mic's (jitter buffer, decode, forwarding, mix-minus for the others); a closed gate
 * drops them. While the gate is open the member also hears the room as a local open mic
 * would (its own mix, without its voice, when it speaks): those frames go to on_encoded
 * with its pid, for the edge to pass on. Errors: MEDIA_ERR_PARAM, MEDIA_ERR_NOMEM; push also
 * MEDIA_ERR_STATE (no media_remote_mic for the room yet) and MEDIA_ERR_FULL. */
BASE_WUR enum media_err media_remote_mic(struct media *m, const char *room, const char *pid,
					 bool open);
BASE_WUR enum media_err media_remote_mic_push(struct media *m, const struct media_mic_frame *f);

#endif
