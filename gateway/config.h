/*
 * config -- what plenaryd is told: the command line of PROTOCOL.md, an optional JSON
 * configuration file, and the environment. The command line wins over the file, the
 * file over the defaults. Parsing never exits the process: errors come back as text.
 */
#ifndef PLENARY_GATEWAY_CONFIG_H
#define PLENARY_GATEWAY_CONFIG_H

#include "gateway/forwarded.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_MAX_DECLARED_ROOMS 256
#define GW_MAX_PUBLIC_IPS     8 /* media.h's MEDIA_MAX_PUBLIC_IPS */

/* A room's sound desk over plain RTP (media.h's media_venue_rtp): "venue_rtp" in the room's
 * declaration. */
struct gw_venue_rtp {
	bool on;
	char listen[64];  /* ADDR:PORT */
	char send_to[64]; /* ADDR:PORT */
	bool l16;	  /* "codec": "L16" (48 kHz mono); else "opus" */
	int payload_type; /* 96..127; default 97 */
};

struct gw_room_decl {
	char id[65];
	char title[201];
	bool public_observers;
	bool reveal_hum_counts;
	bool private_room;  /* "visibility": "private" (rooms.h's room_visibility) */
	char time_zone[64]; /* IANA name, "UTC" by default (rooms.h's room_settings) */
	struct gw_venue_rtp venue_rtp;
};
struct json_t;
/* config_venue.c: the room's "venue_rtp" object (NULL: none) into *out. */
bool gw_config_venue_rtp(const char *room, struct json_t *obj, struct gw_venue_rtp *out, char *err,
			 size_t err_cap);

/* A TURN server handed to browsers in the join ack (turn.h). urls: turn:, turns: or stun:
 * URIs as RTCIceServer takes them; secret: coturn's static-auth-secret (never logged or
 * served); ttl_s: how long a credential is valid, 60..86400 (default 600). */
#define GW_MAX_TURN	 4
#define GW_TURN_MAX_URLS 8
struct gw_turn_server {
	char urls[GW_TURN_MAX_URLS][256];
	size_t n_urls;
	char secret[256];
	int ttl_s;
};

/* A token bucket's rate: per_s tokens a second, up to burst (docs/protocol.md "Limits"). */
struct gw_rate {
	int per_s;
	int burst;
};
/* The WebSocket rate-limit classes, in rooms.h's enum room_cmd_class order: session,
 * queue, sense, chair, caption (configuration key "ws_limits"). */
#define GW_WS_LIMIT_CLASSES 5
/* What one client address may take (gateway/http_limits.h); 0 turns a limit off. */
struct gw_http_limits {
	int body_max_kb;      /* http_body_max_kb: an HTTP request body, default 64 */
	int rate_per_s;	      /* http_rate_per_s: API requests a second, default 50 */
	int rate_burst;	      /* http_rate_burst: and in a burst, default 200 */
	int conns_per_addr;   /* max_conns_per_addr: open HTTP + WebSocket, default 500 */
	int header_timeout_s; /* http_header_timeout_s: to send the headers, default 10 */
	int body_min_rate;    /* http_body_min_rate: bytes/s a body must average, default 100 */
	bool limit_loopback;  /* limit_loopback: 127.0.0.0/8 and ::1 too (not a local proxy) */
	/* trusted_proxies: peers whose X-Forwarded-For names the client (forwarded.h). */
	struct gw_proxies trusted_proxies;
};

struct gw_config {
	char listen_addr[64]; /* IPv4/IPv6 literal, or "" for every address */
	int listen_port;      /* 0 = ephemeral (the chosen port is logged) */
	char data_dir[1024];
	char config_path[1024];
	char web_root[1024];
	/* TLS (PROTOCOL.md, second version): both or neither. With them, the listen address
	 * serves HTTPS and WSS only, and SIGHUP re-reads them (gateway/tls.h). */
	char tls_cert[1024]; /* PEM: the certificate, then its chain (fullchain.pem) */
	char tls_key[1024];  /* PEM: its private key */
	/* --redirect-http: a plain-HTTP listener that answers every request with a 301 to
	 * the HTTPS address; needs TLS. redirect_port -1: none. */
	char redirect_addr[64];
	int redirect_port;
	int media_port;	    /* first UDP port; worker i uses media_port + i; 0 = ephemeral */
	int media_tcp_port; /* first ICE-TCP port, worker i on + i; 0 = ephemeral; -1 = none;
			     * GW_MEDIA_TCP_AUTO (the default): the UDP ports' numbers */
	/* --media-bind: the media sockets' (UDP and ICE-TCP) address, independent of listen;
	 * "" = every interface (media_options.bind_ip says which wildcard). */
	char media_bind[64];
	/* --public-ip, repeatable: the addresses announced in ICE candidates, most preferred
	 * first; none = the bound address, or for a wildcard bind one of the host's. */
	char public_ips[GW_MAX_PUBLIC_IPS][64];
	size_t n_public_ips;
	int media_workers; /* 0 = one per core */
	int grace_s;	   /* how long a dropped participant keeps their place */
	/* token_max_lifetime_s: the longest a token may live, exp - (iat or now), in
	 * [TOKEN_LIFETIME_MIN_S, TOKEN_LIFETIME_MAX_S]; also the bound of the admin API's
	 * ttl_s and of `plenaryd token --ttl` (gateway/token.h). */
	int token_max_lifetime_s;
	char log_level[8];
	bool media_echo;	 /* test-only: loop each peer's audio back to it */
	size_t send_queue_bytes; /* per-connection ceiling before a slow reader is dropped */
	size_t n_rooms;
	struct gw_room_decl rooms[GW_MAX_DECLARED_ROOMS];
	size_t n_turn; /* 0: no TURN, the join ack has no ice_servers */
	struct gw_turn_server turn[GW_MAX_TURN];
	struct gw_rate ws_limits[GW_WS_LIMIT_CLASSES]; /* per connection and class */
	struct gw_rate join_per_address;	       /* joins from one IP address */
	struct gw_http_limits http; /* per client address (docs/protocol.md, Limits) */
	/* --nats URL[,URL...] ("nats"): the rooms' logs also go to NATS JetStream
	 * (gateway/nats_log.h, docs/scale.md); "" keeps plenaryd the single process it is.
	 * nats_timeout_ms: how long a publish may wait for JetStream, 100..60000. */
	char nats_urls[1024];
	int nats_timeout_ms;
	/* --node NAME ("node"): this node in the rooms' owner leases (nats_lease.h); the host
	 * name by default. --node-url ("node_url"): where its clients reach it, told to
	 * clients a standby refuses; "" none. --lease-ttl-ms ("lease_ttl_ms", 1000..60000,
	 * default 3000): how long a lease outlives its owner's last renewal. */
	char node[64];
	char node_url[512];
	int lease_ttl_ms;
	/* --edge ("edge": true), with --nats: this node owns no room; it folds each from
	 * JetStream and forwards its clients' commands to the owner (gateway/nats_edge.h). */
	bool edge;
};

/* config_edge.c: the "edge" key (a known key's name); --edge (true if flag is it); it
 * needs --nats. */
bool gw_config_edge_key(const char *key);
bool gw_config_edge_load(struct gw_config *cfg, struct json_t *root, char *err, size_t err_cap);
bool gw_config_edge_flag(struct gw_config *cfg, const char *flag);
bool gw_config_edge_check(const struct gw_config *cfg, char *err, size_t err_cap);

#define GW_MEDIA_TCP_AUTO (-2)

void gw_config_defaults(struct gw_config *cfg);

/* The ICE-TCP port media_options.tcp_port gets: media_tcp_port, or for GW_MEDIA_TCP_AUTO
 * media_port (each worker's TCP port then has its UDP port's number: one number per
 * worker for a firewall to open, both protocols; ephemeral ports when media_port is 0). */
int gw_config_media_tcp_port(const struct gw_config *cfg);

/* Splits "ADDR:PORT", "[v6]:PORT" or ":PORT"/"PORT". */
bool gw_parse_listen(const char *text, char *addr, size_t addr_cap, int *port);

/* config_nats.c: the keys and flags of --nats (nats, nats_timeout_ms, node, node_url,
 * lease_ttl_ms). The defaults; the file's keys; whether key is one of them; a flag (1
 * taken, 0 a bad value with err set, -1 not one of them). */
/* For the files of the configuration (config_util.c): a string of at most cap - 1 bytes,
 * an integer key in [lo, hi], a boolean key; an absent key leaves *out as it was. Each
 * error names the key. */
bool gw_config_set_string(char *dst, size_t cap, const char *src, const char *what, char *err,
			  size_t err_cap);
bool gw_config_int_in(struct json_t *root, const char *key, int lo, int hi, int *out, char *err,
		      size_t err_cap);
bool gw_config_bool_in(struct json_t *root, const char *key, bool *out, char *err, size_t err_cap);
/* config_turn.c: "turn" (NULL: none). config_limits.c: "ws_limits" and the HTTP limits. */
bool gw_config_turn(struct gw_config *cfg, struct json_t *turn, char *err, size_t err_cap);
bool gw_config_limits(struct gw_config *cfg, struct json_t *root, char *err, size_t err_cap);
void gw_config_nats_defaults(struct gw_config *cfg);
bool gw_config_nats(struct gw_config *cfg, struct json_t *root, char *err, size_t err_cap);
bool gw_config_nats_key(const char *key);
int gw_config_nats_flag(struct gw_config *cfg, const char *flag, const char *value, char *err,
			size_t err_cap);

/* Reads a JSON configuration file into cfg. Unknown keys are errors (a typo in a
 * config file should not be silently ignored). */
bool gw_config_load_file(struct gw_config *cfg, const char *path, char *err, size_t err_cap);

/* Parses the server's command line (argv[0] is the program). --config is read first so
 * the other flags override it. Checks what only the whole can say: the TLS certificate
 * and key come together, and --redirect-http needs them. */
bool gw_config_parse_args(struct gw_config *cfg, int argc, char **argv, char *err, size_t err_cap);

#endif
