/*
 * SDP offer parsing and ICE-lite answer generation.
 *
 * Three passes over the offer, each simple:
 *   1. lexical: size, line count, line length, characters, "<letter>=" -- so that no
 *      later code meets a surprise and every error has a line number;
 *   2. structure: m-lines and the attributes we use, through a table of
 *      {name, handler, where it is allowed}; an attribute outside the scopes we care
 *      about (say, a video m-section's rtpmap) is skipped unread;
 *   3. fmtp: a=fmtp may come before the a=rtpmap that says which payload type is Opus
 *      (Firefox sorts attributes by name), so it is picked up once Opus is known.
 * Then the audio m-section is chosen and its transport attributes are resolved against
 * the session level (Firefox puts a=fingerprint there, Chrome in the m-section).
 *
 * The answer is printed with a bounded writer that turns overflow into SDP_ENOSPACE.
 * The offer struct holds copies, never pointers into the input, so the gateway can
 * free the WebSocket message as soon as sdp_parse returns.
 */
#include "media/sdp.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define OPUS_FMTP	"minptime=10;useinbandfec=1;usedtx=1"
#define SHA256_TEXT_LEN 95 /* 32 hex pairs and 31 colons */

struct span {
	const char *p;
	size_t n;
};

const char *sdp_strerror(enum sdp_err err)
{
	static const char *const msgs[] = {
	    [SDP_OK] = "ok",
	    [SDP_EEMPTY] = "SDP is empty",
	    [SDP_ETOO_LARGE] = "SDP is larger than allowed",
	    [SDP_ETOO_MANY_LINES] = "SDP has more lines than allowed",
	    [SDP_ELINE_TOO_LONG] = "SDP line is longer than allowed",
	    [SDP_EBAD_CHAR] = "SDP contains a NUL, a control character or a stray CR",
	    [SDP_EBAD_LINE] = "SDP line is not of the form <letter>=<value>",
	    [SDP_EVERSION] = "SDP does not start with v=0",
	    [SDP_ETOO_MANY_MEDIA] = "SDP has more m-sections than allowed",
	    [SDP_EBAD_MLINE] = "m= line is malformed",
	    [SDP_EBAD_ICE_UFRAG] = "a=ice-ufrag is not 4 to 256 ICE characters",
	    [SDP_EBAD_ICE_PWD] = "a=ice-pwd is not 22 to 256 ICE characters",
	    [SDP_EBAD_FINGERPRINT] = "a=fingerprint is malformed",
	    [SDP_EBAD_SETUP] = "a=setup is not actpass, active, passive or holdconn",
	    [SDP_EBAD_MID] = "a=mid is empty, too long or not a token",
	    [SDP_EDUPLICATE_MID] = "two m-sections have the same a=mid",
	    [SDP_EBAD_GROUP] = "a=group:BUNDLE is malformed",
	    [SDP_EBAD_RTPMAP] = "a=rtpmap is malformed",
	    [SDP_EBAD_FMTP] = "a=fmtp is malformed or too long",
	    [SDP_EBAD_EXTMAP] = "a=extmap is malformed",
	    [SDP_EBAD_SSRC] = "a=ssrc is malformed",
	    [SDP_EBAD_MSID] = "a=msid is malformed",
	    [SDP_ENO_AUDIO] = "no usable audio m-section (UDP/TLS/RTP/SAVPF, port not 0)",
	    [SDP_ENO_OPUS] = "the audio m-section does not offer opus/48000/2",
	    [SDP_ENO_ICE] = "no a=ice-ufrag and a=ice-pwd for the audio m-section",
	    [SDP_ENO_FINGERPRINT] = "no usable a=fingerprint for the audio m-section",
	    [SDP_ENO_RTCP_MUX] = "the audio m-section does not offer a=rtcp-mux",
	    [SDP_ESETUP_ROLE] = "the offer's a=setup leaves us no passive DTLS role",
	    [SDP_EBAD_LOCAL] = "a local answer parameter is missing or malformed",
	    [SDP_ENOSPACE] = "answer buffer too small",
	    [SDP_EINVAL] = "invalid argument",
	};
	if ((unsigned)err >= sizeof msgs / sizeof msgs[0])
		return "unknown SDP error";
	return msgs[err];
}

/* --- spans ---------------------------------------------------------------------------- */

static bool eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s.p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return true;
}

/* Takes the next space-separated token off the front of *s. */
static bool next_token(struct span *s, struct span *tok)
{
	while (s->n > 0 && *s->p == ' ') {
		s->p++;
		s->n--;
	}
	if (s->n == 0)
		return false;
	size_t i = 0;
	while (i < s->n && s->p[i] != ' ')
		i++;
	*tok = (struct span){s->p, i};
	s->p += i;
	s->n -= i;
	return true;
}

static struct span trim(struct span s)
{
	while (s.n > 0 && (*s.p == ' ' || *s.p == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

/* Splits s at the first c; false (and *before = s) if there is none. */
static bool split(struct span s, char c, struct span *before, struct span *after)
{
	const char *at = s.n ? memchr(s.p, c, s.n) : NULL;
	if (at == NULL) {
		*before = s;
		*after = (struct span){s.p + s.n, 0};
		return false;
	}
	*before = (struct span){s.p, (size_t)(at - s.p)};
	*after = (struct span){at + 1, s.n - before->n - 1};
	return true;
}

static bool to_uint(struct span s, uint32_t max, uint32_t *out)
{
	if (s.n == 0 || s.n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool copy(char *dst, size_t cap, struct span s)
{
	if (s.n >= cap)
		return false;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return true;
}

static bool is_ice_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* RFC 8866 sect. 9 token-char. */
static bool is_token_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2a || u == 0x2b || u == 0x2d ||
	       u == 0x2e || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) ||
	       (u >= 0x5e && u <= 0x7e);
}

static bool all(struct span s, bool (*ok)(char))
{
	for (size_t i = 0; i < s.n; i++)
		if (!ok(s.p[i]))
			return false;
	return true;
}

static bool is_token(struct span s, size_t max)
{
	return s.n >= 1 && s.n <= max && all(s, is_token_char);
}

/* --- pass 1: lines -------------------------------------------------------------------- */

struct cursor {
	const char *buf;
	size_t len;
	size_t pos;
	unsigned no; /* line number of the line last returned */
};

/* Returns the next non-empty line without its CRLF or LF; pass 1 has vetted it. */
static bool next_line(struct cursor *c, struct span *line)
{
	while (c->pos < c->len) {
		const char *start = c->buf + c->pos;
		const char *nl = memchr(start, '\n', c->len - c->pos);
		size_t n = nl ? (size_t)(nl - start) : c->len - c->pos;
		c->pos += n + (nl ? 1 : 0);
		c->no++;
		if (nl && n > 0 && start[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		*line = (struct span){start, n};
		return true;
	}
	return false;
}

static enum sdp_err check_line(struct span l, bool terminated)
{
	/* A CR is allowed only as the CR of CRLF; it is not part of the line. */
	size_t n = (terminated && l.n > 0 && l.p[l.n - 1] == '\r') ? l.n - 1 : l.n;
	if (n > SDP_MAX_LINE)
		return SDP_ELINE_TOO_LONG;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return SDP_EBAD_CHAR;
	}
	if (n > 0 && (n < 2 || l.p[0] < 'a' || l.p[0] > 'z' || l.p[1] != '='))
		return SDP_EBAD_LINE;
	return SDP_OK;
}

static enum sdp_err check_lines(const char *buf, size_t len, unsigned *err_line)
{
	size_t pos = 0;
	unsigned no = 0;
	while (pos < len) {
		if (++no > SDP_MAX_LINES) {
			*err_line = no;
			return SDP_ETOO_MANY_LINES;
		}
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		enum sdp_err err = check_line((struct span){start, n}, nl != NULL);
		if (err != SDP_OK) {
			*err_line = no;
			return err;
		}
		pos += n + (nl ? 1 : 0);
	}
	return SDP_OK;
}

/* --- pass 2: m-lines and attributes ------------------------------------------------- */

struct parser {
	struct sdp_offer *o;
	struct sdp_media *m; /* current m-section, NULL at session level */
};

static bool is_audio(const struct sdp_media *m)
{
	return m != NULL && strcmp(m->media, "audio") == 0;
}

static enum sdp_err parse_mline(struct parser *p, struct span v, unsigned line)
{
	if (p->o->n_media == SDP_MAX_MEDIA)
		return SDP_ETOO_MANY_MEDIA;
	struct sdp_media *m = &p->o->media[p->o->n_media];
	memset(m, 0, sizeof *m);
	m->opus_pt = -1;
	m->line = line;
	struct span media, port, proto, count, fmts;
	uint32_t port_num, n;
	if (!next_token(&v, &media) || !is_token(media, SDP_MAX_TOKEN) || !next_token(&v, &port) ||
	    !next_token(&v, &proto) || proto.n > SDP_MAX_TOKEN)
		return SDP_EBAD_MLINE;
	if (split(port, '/', &port, &count) && !to_uint(count, 65535, &n))
		return SDP_EBAD_MLINE;
	if (!to_uint(port, 65535, &port_num))
		return SDP_EBAD_MLINE;
	for (size_t i = 0; i < proto.n; i++)
		if (!is_token_char(proto.p[i]) && proto.p[i] != '/')
			return SDP_EBAD_MLINE;
	fmts = trim(v);
	if (fmts.n == 0 || !copy(m->fmts, sizeof m->fmts, fmts))
		return SDP_EBAD_MLINE;
	for (struct span f, rest = fmts; next_token(&rest, &f);)
		if (!is_token(f, SDP_MAX_FMTS))
			return SDP_EBAD_MLINE;
	copy(m->media, sizeof m->media, media);
	copy(m->proto, sizeof m->proto, proto);
	m->port = (uint16_t)port_num;
	p->o->n_media++;
	p->m = m;
	return SDP_OK;
}

static enum sdp_err at_ice_ufrag(struct parser *p, struct span name, struct span v)
{
	(void)name;
	char *dst = p->m ? p->m->ice_ufrag : p->o->session_ufrag;
	if (v.n < 4 || v.n > SDP_MAX_ICE || !all(v, is_ice_char))
		return SDP_EBAD_ICE_UFRAG;
	copy(dst, SDP_MAX_ICE + 1, v);
	return SDP_OK;
}

static enum sdp_err at_ice_pwd(struct parser *p, struct span name, struct span v)
{
	(void)name;
	char *dst = p->m ? p->m->ice_pwd : p->o->session_pwd;
	if (v.n < 22 || v.n > SDP_MAX_ICE || !all(v, is_ice_char))
		return SDP_EBAD_ICE_PWD;
	copy(dst, SDP_MAX_ICE + 1, v);
	return SDP_OK;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "XX:XX:...:XX", exactly len bytes. */
static bool parse_hex_pairs(struct span s, uint8_t *out, size_t len)
{
	if (s.n != len * 3 - 1)
		return false;
	for (size_t i = 0; i < len; i++) {
		const char *h = s.p + i * 3;
		int hi = hex_value(h[0]), lo = hex_value(h[1]);
		if (hi < 0 || lo < 0 || (i + 1 < len && h[2] != ':'))
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* RFC 8122 sect. 5. We keep one: a sha-256 if any, else the first SHA. md5/md2 and
 * unknown hashes are skipped (RFC 8122 deprecates md5/md2; DTLS cannot check others). */
static enum sdp_err at_fingerprint(struct parser *p, struct span name, struct span v)
{
	(void)name;
	static const struct {
		const char *algo;
		size_t len;
	} hashes[] = {
	    {"sha-1", 20}, {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64}};
	struct sdp_fingerprint *fp = p->m ? &p->m->fingerprint : &p->o->session_fingerprint;
	struct span algo, hex;
	if (!next_token(&v, &algo) || !next_token(&v, &hex) || trim(v).n != 0 ||
	    !is_token(algo, SDP_MAX_TOKEN))
		return SDP_EBAD_FINGERPRINT;
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
		if (!ieq(algo, hashes[i].algo))
			continue;
		struct sdp_fingerprint f = {.len = hashes[i].len};
		if (!parse_hex_pairs(hex, f.digest, f.len))
			return SDP_EBAD_FINGERPRINT;
		strcpy(f.algo, hashes[i].algo);
		if (strcmp(fp->algo, "sha-256") != 0 && (fp->len == 0 || f.len == 32))
			*fp = f;
		return SDP_OK;
	}
	if (hex.n == 0 || hex.n % 3 != 2) /* unknown hash: still check the shape */
		return SDP_EBAD_FINGERPRINT;
	return SDP_OK;
}

static enum sdp_err at_setup(struct parser *p, struct span name, struct span v)
{
	(void)name;
	static const char *const roles[] = {"", "actpass", "active", "passive", "holdconn"};
	enum sdp_setup *dst = p->m ? &p->m->setup : &p->o->session_setup;
	for (int i = SDP_SETUP_ACTPASS; i <= SDP_SETUP_HOLDCONN; i++) {
		if (eq(v, roles[i])) {
			*dst = (enum sdp_setup)i;
			return SDP_OK;
		}
	}
	return SDP_EBAD_SETUP;
}

static enum sdp_err at_direction(struct parser *p, struct span name, struct span v)
{
	(void)v;
	enum sdp_direction d = eq(name, "sendrecv")   ? SDP_SENDRECV
			       : eq(name, "sendonly") ? SDP_SENDONLY
			       : eq(name, "recvonly") ? SDP_RECVONLY
						      : SDP_INACTIVE;
	if (p->m) {
		p->m->has_direction = true;
		p->m->direction = d;
	} else {
		p->o->session_has_direction = true;
		p->o->session_direction = d;
	}
	return SDP_OK;
}

static enum sdp_err at_flag(struct parser *p, struct span name, struct span v)
{
	(void)v;
	if (eq(name, "rtcp-mux"))
		p->m->rtcp_mux = true;
	else if (eq(name, "bundle-only"))
		p->m->bundle_only = true;
	else if (eq(name, "ice-lite"))
		p->o->ice_lite = true;
	else /* extmap-allow-mixed, session or media level (RFC 8285 sect. 6) */
		p->o->extmap_allow_mixed = true;
	return SDP_OK;
}

static enum sdp_err at_mid(struct parser *p, struct span name, struct span v)
{
	(void)name;
	if (!is_token(v, SDP_MAX_MID))
		return SDP_EBAD_MID;
	for (size_t i = 0; i + 1 < p->o->n_media; i++)
		if (eq(v, p->o->media[i].mid))
			return SDP_EDUPLICATE_MID;
	copy(p->m->mid, sizeof p->m->mid, v);
	return SDP_OK;
}

/* RFC 5888 a=group:<semantics> <mid>...; only the first BUNDLE group is kept. */
static enum sdp_err at_group(struct parser *p, struct span name, struct span v)
{
	(void)name;
	struct span sem, mid;
	if (!next_token(&v, &sem) || !is_token(sem, SDP_MAX_TOKEN))
		return SDP_EBAD_GROUP;
	if (!eq(sem, "BUNDLE") || p->o->n_bundle > 0)
		return SDP_OK;
	size_t n = 0;
	while (next_token(&v, &mid)) {
		if (n == SDP_MAX_MEDIA || !is_token(mid, SDP_MAX_MID))
			return SDP_EBAD_GROUP;
		copy(p->o->bundle[n++], SDP_MAX_MID + 1, mid);
	}
	p->o->n_bundle = n;
	return SDP_OK;
}

static bool in_fmts(const struct sdp_media *m, struct span pt)
{
	struct span rest = {m->fmts, strlen(m->fmts)}, f;
	while (next_token(&rest, &f))
		if (f.n == pt.n && memcmp(f.p, pt.p, pt.n) == 0)
			return true;
	return false;
}

/* a=rtpmap:<pt> <encoding>/<clock>[/<channels>] (RFC 8866 sect. 6.6). Opus must be
 * opus/48000/2 whatever it carries (RFC 7587 sect. 7). */
static enum sdp_err at_rtpmap(struct parser *p, struct span name, struct span v)
{
	(void)name;
	struct span pt, enc, enc_name, rest, clock, channels;
	uint32_t pt_num, clock_num, ch_num = 1;
	if (!next_token(&v, &pt) || !to_uint(pt, 127, &pt_num) || !next_token(&v, &enc) ||
	    trim(v).n != 0)
		return SDP_EBAD_RTPMAP;
	if (!split(enc, '/', &enc_name, &rest) || !is_token(enc_name, SDP_MAX_TOKEN))
		return SDP_EBAD_RTPMAP;
	if (split(rest, '/', &clock, &channels) && !to_uint(channels, 255, &ch_num))
		return SDP_EBAD_RTPMAP;
	if (!to_uint(clock, UINT32_MAX, &clock_num))
		return SDP_EBAD_RTPMAP;
	if (ieq(enc_name, "opus") && clock_num == 48000 && ch_num == 2 && p->m->opus_pt < 0 &&
	    in_fmts(p->m, pt))
		p->m->opus_pt = (int)pt_num;
	return SDP_OK;
}

/* a=fmtp:<pt> <params>: checked here, copied in pass 3 once Opus's pt is known. */
static enum sdp_err at_fmtp(struct parser *p, struct span name, struct span v)
{
	(void)p;
	(void)name;
	struct span pt, params;
	uint32_t pt_num;
	split(v, ' ', &pt, &params);
	if (!to_uint(pt, 127, &pt_num) || trim(params).n > SDP_MAX_FMTP)
		return SDP_EBAD_FMTP;
	return SDP_OK;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 sect. 7). */
static enum sdp_err at_extmap(struct parser *p, struct span name, struct span v)
{
	(void)name;
	struct span idd, id, dir, uri;
	uint32_t id_num;
	if (!next_token(&v, &idd) || !next_token(&v, &uri))
		return SDP_EBAD_EXTMAP;
	split(idd, '/', &id, &dir);
	if (!to_uint(id, 255, &id_num) || id_num == 0)
		return SDP_EBAD_EXTMAP;
	uint8_t *dst = p->m ? &p->m->audio_level_id : &p->o->session_audio_level_id;
	if (eq(uri, AUDIO_LEVEL_URI) && *dst == 0)
		*dst = (uint8_t)id_num;
	return SDP_OK;
}

/* a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576 sect. 4.1); we keep the first SSRC and
 * its cname. */
static enum sdp_err at_ssrc(struct parser *p, struct span name, struct span v)
{
	(void)name;
	struct span id, attr, aname, aval;
	uint32_t ssrc;
	if (!next_token(&v, &id) || !to_uint(id, UINT32_MAX, &ssrc))
		return SDP_EBAD_SSRC;
	attr = trim(v);
	if (attr.n == 0)
		return SDP_EBAD_SSRC;
	struct sdp_media *m = p->m;
	if (!m->has_ssrc) {
		m->has_ssrc = true;
		m->ssrc = ssrc;
	}
	if (split(attr, ':', &aname, &aval) && eq(aname, "cname") && ssrc == m->ssrc) {
		if (aval.n == 0 || !copy(m->cname, sizeof m->cname, aval))
			return SDP_EBAD_SSRC;
	}
	return SDP_OK;
}

/* a=msid:<stream id> [<track id>] (RFC 8830 sect. 2), each 1..64 token chars. */
static enum sdp_err at_msid(struct parser *p, struct span name, struct span v)
{
	(void)name;
	struct span stream, track = {NULL, 0}, rest;
	if (!next_token(&v, &stream) || !is_token(stream, 64))
		return SDP_EBAD_MSID;
	if (next_token(&v, &track) && !is_token(track, 64))
		return SDP_EBAD_MSID;
	if (next_token(&v, &rest))
		return SDP_EBAD_MSID;
	struct span all_ids = {stream.p,
			       track.n ? (size_t)(track.p + track.n - stream.p) : stream.n};
	copy(p->m->msid, sizeof p->m->msid, all_ids);
	return SDP_OK;
}

enum { IN_SESSION = 1, IN_AUDIO = 2, IN_ANY_MEDIA = 4 };

typedef enum sdp_err (*attr_fn)(struct parser *p, struct span name, struct span value);

static const struct {
	const char *name;
	attr_fn fn;
	unsigned where;
} attr_table[] = {
    {"ice-ufrag", at_ice_ufrag, IN_SESSION | IN_AUDIO},
    {"ice-pwd", at_ice_pwd, IN_SESSION | IN_AUDIO},
    {"fingerprint", at_fingerprint, IN_SESSION | IN_AUDIO},
    {"setup", at_setup, IN_SESSION | IN_AUDIO},
    {"sendrecv", at_direction, IN_SESSION | IN_AUDIO},
    {"sendonly", at_direction, IN_SESSION | IN_AUDIO},
    {"recvonly", at_direction, IN_SESSION | IN_AUDIO},
    {"inactive", at_direction, IN_SESSION | IN_AUDIO},
    {"rtcp-mux", at_flag, IN_AUDIO},
    {"bundle-only", at_flag, IN_ANY_MEDIA},
    {"ice-lite", at_flag, IN_SESSION},
    {"extmap-allow-mixed", at_flag, IN_SESSION | IN_AUDIO},
    {"mid", at_mid, IN_ANY_MEDIA},
    {"group", at_group, IN_SESSION},
    {"rtpmap", at_rtpmap, IN_AUDIO},
    {"fmtp", at_fmtp, IN_AUDIO},
    {"extmap", at_extmap, IN_SESSION | IN_AUDIO},
    {"ssrc", at_ssrc, IN_AUDIO},
    {"msid", at_msid, IN_AUDIO},
};

static enum sdp_err parse_attribute(struct parser *p, struct span v)
{
	struct span name, value;
	split(v, ':', &name, &value);
	unsigned scope = p->m == NULL	  ? IN_SESSION
			 : is_audio(p->m) ? IN_AUDIO | IN_ANY_MEDIA
					  : IN_ANY_MEDIA;
	for (size_t i = 0; i < sizeof attr_table / sizeof attr_table[0]; i++) {
		if (!eq(name, attr_table[i].name))
			continue;
		if ((attr_table[i].where & scope) == 0)
			return SDP_OK; /* not one we read here */
		return attr_table[i].fn(p, name, value);
	}
	return SDP_OK;
}

static enum sdp_err parse_structure(const char *buf, size_t len, struct sdp_offer *o)
{
	struct cursor c = {buf, len, 0, 0};
	struct parser p = {o, NULL};
	struct span line;
	bool first = true;
	while (next_line(&c, &line)) {
		o->err_line = c.no;
		struct span v = {line.p + 2, line.n - 2};
		enum sdp_err err = SDP_OK;
		if (first && !eq(line, "v=0"))
			return SDP_EVERSION;
		first = false;
		if (line.p[0] == 'm')
			err = parse_mline(&p, v, c.no);
		else if (line.p[0] == 'a')
			err = parse_attribute(&p, v);
		if (err != SDP_OK)
			return err;
	}
	if (first) {
		o->err_line = 0;
		return SDP_EEMPTY; /* only blank lines */
	}
	return SDP_OK;
}

/* --- pass 3: Opus fmtp ---------------------------------------------------------------- */

static void collect_fmtp(const char *buf, size_t len, struct sdp_offer *o)
{
	struct cursor c = {buf, len, 0, 0};
	struct span line;
	int section = -1;
	while (next_line(&c, &line)) {
		if (line.p[0] == 'm') {
			section++;
			continue;
		}
		if (section < 0 || line.n < 7 || memcmp(line.p, "a=fmtp:", 7) != 0)
			continue;
		struct sdp_media *m = &o->media[section];
		if (!is_audio(m) || m->opus_pt < 0 || m->opus_fmtp[0] != '\0')
			continue;
		struct span pt, params;
		uint32_t pt_num;
		split((struct span){line.p + 7, line.n - 7}, ' ', &pt, &params);
		if (to_uint(pt, 127, &pt_num) && (int)pt_num == m->opus_pt)
			copy(m->opus_fmtp, sizeof m->opus_fmtp,
			     trim(params)); /* checked in pass 2 */
	}
}

/* --- choosing and resolving the audio m-section ---------------------------------------- */

static bool usable_transport(const struct sdp_media *m)
{
	return is_audio(m) && (m->port != 0 || m->bundle_only) &&
	       (strcmp(m->proto, "UDP/TLS/RTP/SAVPF") == 0 ||
		strcmp(m->proto, "UDP/TLS/RTP/SAVP") == 0);
}

static enum sdp_err choose_audio(struct sdp_offer *o)
{
	int first_usable = -1;
	for (size_t i = 0; i < o->n_media; i++) {
		if (!usable_transport(&o->media[i]))
			continue;
		if (o->media[i].opus_pt >= 0) {
			o->audio = (int)i;
			return SDP_OK;
		}
		if (first_usable < 0)
			first_usable = (int)i;
	}
	if (first_usable < 0) {
		o->err_line = 0;
		return SDP_ENO_AUDIO;
	}
	o->err_line = o->media[first_usable].line;
	return SDP_ENO_OPUS;
}

/* Media-level values win over session-level ones (RFC 8839 sect. 5.4, RFC 8122). */
static enum sdp_err resolve_audio(struct sdp_offer *o)
{
	struct sdp_media *m = &o->media[o->audio];
	o->err_line = m->line;
	if (m->ice_ufrag[0] == '\0')
		strcpy(m->ice_ufrag, o->session_ufrag);
	if (m->ice_pwd[0] == '\0')
		strcpy(m->ice_pwd, o->session_pwd);
	if (m->fingerprint.len == 0)
		m->fingerprint = o->session_fingerprint;
	if (m->setup == SDP_SETUP_NONE)
		m->setup = o->session_setup;
	if (!m->has_direction) {
		m->has_direction = true;
		m->direction = o->session_has_direction ? o->session_direction : SDP_SENDRECV;
	}
	if (m->audio_level_id == 0)
		m->audio_level_id = o->session_audio_level_id;
	if (m->ice_ufrag[0] == '\0' || m->ice_pwd[0] == '\0')
		return SDP_ENO_ICE;
	if (m->fingerprint.len == 0)
		return SDP_ENO_FINGERPRINT;
	if (!m->rtcp_mux)
		return SDP_ENO_RTCP_MUX;
	o->err_line = 0;
	return SDP_OK;
}

enum sdp_err sdp_parse(const char *buf, size_t len, struct sdp_offer *out)
{
	if (out == NULL)
		return SDP_EINVAL;
	memset(out, 0, sizeof *out);
	out->audio = -1;
	if (buf == NULL || len == 0)
		return SDP_EEMPTY;
	if (len > SDP_MAX_LEN)
		return SDP_ETOO_LARGE;
	enum sdp_err err = check_lines(buf, len, &out->err_line);
	if (err == SDP_OK)
		err = parse_structure(buf, len, out);
	if (err != SDP_OK)
		return err;
	collect_fmtp(buf, len, out);
	err = choose_audio(out);
	if (err == SDP_OK)
		err = resolve_audio(out);
	if (err != SDP_OK)
		out->audio = -1;
	return err;
}

/* --- the answer ----------------------------------------------------------------------- */

struct writer {
	char *buf;
	size_t cap;
	size_t len;
	bool full;
};

static void put(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct writer *w, const char *fmt, ...)
{
	if (w->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len) {
		w->full = true;
		return;
	}
	w->len += (size_t)n;
}

static bool valid_str(const char *s, size_t min, size_t max, bool (*ok)(char))
{
	if (s == NULL)
		return false;
	size_t n = strnlen(s, max + 1);
	return n >= min && n <= max && all((struct span){s, n}, ok);
}

static bool is_cname_char(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f;
}

static bool valid_sha256(const char *s)
{
	uint8_t digest[32];
	return s != NULL && strnlen(s, SHA256_TEXT_LEN + 1) == SHA256_TEXT_LEN &&
	       parse_hex_pairs((struct span){s, SHA256_TEXT_LEN}, digest, sizeof digest);
}

/* AF_INET or AF_INET6 for a numeric address, 0 otherwise. */
static int ip_family(const char *ip)
{
	unsigned char tmp[16];
	if (ip == NULL || strnlen(ip, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN)
		return 0;
	if (inet_pton(AF_INET, ip, tmp) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, ip, tmp) == 1)
		return AF_INET6;
	return 0;
}

static bool valid_msid(const char *s)
{
	if (s == NULL)
		return true;
	size_t n = strnlen(s, SDP_MAX_MSID + 1);
	if (n > SDP_MAX_MSID)
		return false;
	struct span v = {s, n}, a, b, c;
	return next_token(&v, &a) && is_token(a, 64) && (!next_token(&v, &b) || is_token(b, 64)) &&
	       !next_token(&v, &c) && s[0] != ' ' && (n == 0 || s[n - 1] != ' ');
}

static bool valid_local(const struct sdp_local *l)
{
	if (!valid_str(l->ice_ufrag, 4, SDP_MAX_ICE, is_ice_char) ||
	    !valid_str(l->ice_pwd, 22, SDP_MAX_ICE, is_ice_char) || !valid_sha256(l->fingerprint) ||
	    !valid_str(l->cname, 1, SDP_MAX_CNAME, is_cname_char) || !valid_msid(l->msid))
		return false;
	if (l->candidates == NULL || l->n_candidates == 0 || l->n_candidates > SDP_MAX_CANDIDATES)
		return false;
	for (size_t i = 0; i < l->n_candidates; i++)
		if (ip_family(l->candidates[i].ip) == 0 || l->candidates[i].port == 0)
			return false;
	return true;
}

/* RFC 3264 sect. 6.1 as JSEP applies it; recvonly when we have nothing to send. */
static enum sdp_direction answer_direction(enum sdp_direction offered, bool send)
{
	switch (offered) {
	case SDP_SENDRECV:
		return send ? SDP_SENDRECV : SDP_RECVONLY;
	case SDP_RECVONLY:
		return send ? SDP_SENDONLY : SDP_INACTIVE;
	case SDP_SENDONLY:
		return SDP_RECVONLY;
	case SDP_INACTIVE:
		break;
	}
	return SDP_INACTIVE;
}

static const char *direction_name(enum sdp_direction d)
{
	static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
	return names[d];
}

static bool mid_bundled(const struct sdp_offer *o, const char *mid)
{
	for (size_t i = 0; i < o->n_bundle; i++)
		if (mid[0] != '\0' && strcmp(o->bundle[i], mid) == 0)
			return true;
	return false;
}

/* JSEP sect. 5.3.1: a rejected m-section keeps its media type, proto and formats, with
 * port 0, and its mid. */
static void put_rejected(struct writer *w, const struct sdp_media *m)
{
	put(w, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto, m->fmts);
	if (m->mid[0] != '\0')
		put(w, "a=mid:%s\r\n", m->mid);
}

static void put_candidates(struct writer *w, const struct sdp_local *l)
{
	for (size_t i = 0; i < l->n_candidates; i++) {
		/* RFC 8445 sect. 5.1.2.1: host type preference 126, distinct local
		 * preferences in the order given, component 1. */
		uint32_t prio = (126u << 24) | ((uint32_t)(65535 - i) << 8) | 255u;
		put(w, "a=candidate:%zu 1 udp %u %s %u typ host\r\n", i + 1, prio,
		    l->candidates[i].ip, l->candidates[i].port);
	}
	put(w, "a=end-of-candidates\r\n");
}

static void put_audio(struct writer *w, const struct sdp_media *m, const struct sdp_local *l)
{
	const struct sdp_candidate *c0 = &l->candidates[0];
	enum sdp_direction dir = answer_direction(m->direction, l->send);
	bool sending = dir == SDP_SENDRECV || dir == SDP_SENDONLY;
	put(w, "m=audio %u %s %d\r\n", c0->port, m->proto, m->opus_pt);
	put(w, "c=IN %s %s\r\n", ip_family(c0->ip) == AF_INET6 ? "IP6" : "IP4", c0->ip);
	if (m->mid[0] != '\0')
		put(w, "a=mid:%s\r\n", m->mid);
	put(w, "a=%s\r\n", direction_name(dir));
	put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", l->ice_ufrag, l->ice_pwd);
	put(w, "a=fingerprint:sha-256 %s\r\n", l->fingerprint);
	put(w, "a=setup:passive\r\na=rtcp-mux\r\n");
	put(w, "a=rtpmap:%d opus/48000/2\r\n", m->opus_pt);
	put(w, "a=fmtp:%d %s\r\n", m->opus_pt, OPUS_FMTP);
	if (m->audio_level_id != 0)
		put(w, "a=extmap:%u %s\r\n", m->audio_level_id, AUDIO_LEVEL_URI);
	if (sending && l->msid != NULL)
		put(w, "a=msid:%s\r\n", l->msid);
	if (sending)
		put(w, "a=ssrc:%u cname:%s\r\n", l->ssrc, l->cname);
	put_candidates(w, l);
}

enum sdp_err sdp_build_answer(const struct sdp_offer *offer, const struct sdp_local *local,
			      char *out, size_t cap, size_t *out_len)
{
	if (offer == NULL || local == NULL || out == NULL || out_len == NULL || cap == 0 ||
	    offer->audio < 0 || (size_t)offer->audio >= offer->n_media)
		return SDP_EINVAL;
	out[0] = '\0';
	const struct sdp_media *audio = &offer->media[offer->audio];
	/* We are ICE-lite and always the DTLS server (RFC 8842 sect. 5.3). */
	if (audio->setup == SDP_SETUP_PASSIVE || audio->setup == SDP_SETUP_HOLDCONN)
		return SDP_ESETUP_ROLE;
	if (!valid_local(local))
		return SDP_EBAD_LOCAL;
	struct writer w = {out, cap, 0, false};
	put(&w, "v=0\r\no=- %llu %llu IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
	    (unsigned long long)local->session_id, (unsigned long long)local->session_version);
	put(&w, "a=ice-lite\r\n");
	if (mid_bundled(offer, audio->mid))
		put(&w, "a=group:BUNDLE %s\r\n", audio->mid);
	if (offer->extmap_allow_mixed)
		put(&w, "a=extmap-allow-mixed\r\n");
	for (size_t i = 0; i < offer->n_media; i++) {
		if ((int)i == offer->audio)
			put_audio(&w, audio, local);
		else
			put_rejected(&w, &offer->media[i]);
	}
	if (w.full) {
		out[0] = '\0';
		return SDP_ENOSPACE;
	}
	*out_len = w.len;
	return SDP_OK;
}
