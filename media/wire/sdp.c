/*
 * SDP offer parsing (the answer is in sdp_answer.c, shared text helpers in sdp_text.h).
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
 * The offer struct holds copies, never pointers into the input, so the gateway can
 * free the WebSocket message as soon as sdp_parse returns.
 */
#include "media/wire/sdp.h"
#include "media/wire/sdp_text.h"

#include <string.h>

#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

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
