/* The configuration: defaults, the JSON file, the flags, and that the flags win. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"

static void listen_forms(void **state)
{
	(void)state;
	char addr[64];
	int port = -1;
	assert_true(gw_parse_listen("127.0.0.1:9000", addr, sizeof addr, &port));
	assert_string_equal(addr, "127.0.0.1");
	assert_int_equal(port, 9000);
	assert_true(gw_parse_listen("[::1]:8443", addr, sizeof addr, &port));
	assert_string_equal(addr, "::1");
	assert_int_equal(port, 8443);
	assert_true(gw_parse_listen(":0", addr, sizeof addr, &port));
	assert_string_equal(addr, "");
	assert_int_equal(port, 0);
	assert_true(gw_parse_listen("8081", addr, sizeof addr, &port));
	assert_int_equal(port, 8081);
	assert_false(gw_parse_listen("::1:80", addr, sizeof addr, &port)); /* needs brackets */
	assert_false(gw_parse_listen("host:65536", addr, sizeof addr, &port));
	assert_false(gw_parse_listen("host:", addr, sizeof addr, &port));
	assert_false(gw_parse_listen("[::1:80", addr, sizeof addr, &port));
	assert_false(gw_parse_listen("host:8x", addr, sizeof addr, &port));
}

/* Writes text to a temporary file; returns its path (static). */
static const char *config_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/plenary-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void file_then_flags(void **state)
{
	(void)state;
	const char *path =
	    config_file("{\"listen\":\"127.0.0.1:9100\",\"data\":\"/srv/plenary\",\"grace_s\":45,"
			"\"send_queue_kb\":128,\"media_echo\":true,\"token_max_lifetime_s\":3600,"
			"\"rooms\":[{\"id\":\"plenary-1\",\"title\":\"Main\"},{\"id\":\"side\","
			"\"public_observers\":false,\"visibility\":\"private\"}]}");
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	assert_int_equal(cfg.listen_port, 8080);
	assert_int_equal(cfg.token_max_lifetime_s, 30 * 86400);
	char *argv[] = {"plenaryd", "--grace", "60", "--config", (char *)path, NULL};
	char err[256] = "";
	assert_true(gw_config_parse_args(&cfg, 5, argv, err, sizeof err));
	unlink(path);
	assert_string_equal(cfg.listen_addr, "127.0.0.1");
	assert_int_equal(cfg.listen_port, 9100);
	assert_string_equal(cfg.data_dir, "/srv/plenary");
	assert_int_equal(cfg.grace_s, 60); /* the flag wins over the file */
	assert_int_equal(cfg.send_queue_bytes, 128 << 10);
	assert_true(cfg.media_echo);
	assert_int_equal(cfg.token_max_lifetime_s, 3600);
	assert_int_equal(cfg.n_rooms, 2);
	assert_string_equal(cfg.rooms[0].title, "Main");
	assert_true(cfg.rooms[0].public_observers);
	assert_string_equal(cfg.rooms[1].title, "side"); /* the id when no title */
	assert_false(cfg.rooms[1].public_observers);
	assert_false(cfg.rooms[0].private_room); /* public unless said */
	assert_true(cfg.rooms[1].private_room);
}

static void file_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"{\"lisen\":\":80\"}", "unknown key 'lisen'"},
	    {"{\"grace_s\":4000}", "grace_s: expected an integer in [0, 3600]"},
	    {"{\"listen\":\"::1:80\"}", "listen: expected ADDR:PORT"},
	    {"{\"rooms\":{}}", "rooms: expected an array"},
	    {"{\"rooms\":[{\"id\":\"Bad Id\"}]}", "room id 'Bad Id' must match [a-z0-9-]{1,64}"},
	    {"{\"media_echo\":1}", "media_echo: expected true or false"},
	    {"{\"token_max_lifetime_s\":59}",
	     "token_max_lifetime_s: expected an integer in [60, 31622400]"},
	    {"{\"token_max_lifetime_s\":31622401}",
	     "token_max_lifetime_s: expected an integer in [60, 31622400]"},
	    {"{\"rooms\":[{\"id\":\"a\",\"visibility\":\"hidden\"}]}",
	     "room 'a': visibility must be \"public\" or \"private\""},
	    {"{\"rooms\":[{\"id\":\"a\",\"visibility\":false}]}", NULL},
	    {"[1]", NULL},
	    {"{\"data\":1,\"data\":2}", NULL},
	    {"{\"nats\":[\"nats://a:4222\"]}", "nats: expected \"URL[,URL...]\""},
	    {"{\"nats_timeout_ms\":99}", "nats_timeout_ms: expected an integer in [100, 60000]"},
	    {"{\"node\":\"a b\"}", "node: expected 1 to 63 of A-Z a-z 0-9 . _ -"},
	    {"{\"node\":\"\"}", "node: expected 1 to 63 of A-Z a-z 0-9 . _ -"},
	    {"{\"node\":7}", "node: expected a string"},
	    {"{\"node_url\":false}", "node_url: expected a string"},
	    {"{\"lease_ttl_ms\":999}", "lease_ttl_ms: expected an integer in [1000, 60000]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *path = config_file(cases[i].text);
		struct gw_config cfg;
		gw_config_defaults(&cfg);
		char err[256] = "";
		assert_false(gw_config_load_file(&cfg, path, err, sizeof err));
		unlink(path);
		if (cases[i].err)
			assert_string_equal(err, cases[i].err);
		else
			assert_true(err[0] != '\0');
	}
}

/* A room's sound desk over plain RTP: defaults, both codecs, and each refusal naming the
 * room and the field. */
static void venue_rtp(void **state)
{
	(void)state;
	const char *path = config_file(
	    "{\"rooms\":[{\"id\":\"hall\",\"venue_rtp\":{\"listen\":\"127.0.0.1:5004\","
	    "\"send_to\":\"[::1]:5006\"}},{\"id\":\"annex\",\"venue_rtp\":{\"listen\":"
	    "\"0.0.0.0:6000\",\"send_to\":\"10.0.0.2:6002\",\"codec\":\"L16\",\"payload_type\":"
	    "120}},{\"id\":\"plain\"}]}");
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	char err[256] = "";
	bool loaded = gw_config_load_file(&cfg, path, err, sizeof err);
	unlink(path);
	if (!loaded)
		fail_msg("%s", err);
	const struct gw_venue_rtp *a = &cfg.rooms[0].venue_rtp, *b = &cfg.rooms[1].venue_rtp;
	assert_true(a->on);
	assert_string_equal(a->listen, "127.0.0.1:5004");
	assert_string_equal(a->send_to, "[::1]:5006");
	assert_false(a->l16);
	assert_int_equal(a->payload_type, 97);
	assert_true(b->on && b->l16);
	assert_int_equal(b->payload_type, 120);
	assert_false(cfg.rooms[2].venue_rtp.on);

	static const struct {
		const char *venue, *err;
	} bad[] = {
	    {"{\"listen\":\"localhost:5004\",\"send_to\":\"127.0.0.1:5006\"}",
	     "room 'hall': venue_rtp.listen must be ADDR:PORT (numeric; IPv6 in brackets)"},
	    {"{\"listen\":\"127.0.0.1:5004\",\"send_to\":\"::1:5006\"}",
	     "room 'hall': venue_rtp.send_to must be ADDR:PORT (numeric; IPv6 in brackets)"},
	    {"{\"listen\":\"127.0.0.1:0\",\"send_to\":\"127.0.0.1:5006\"}",
	     "room 'hall': venue_rtp.listen must be ADDR:PORT (numeric; IPv6 in brackets)"},
	    {"{\"listen\":\"127.0.0.1:5004\",\"send_to\":\"127.0.0.1:5006\",\"codec\":\"g711\"}",
	     "room 'hall': venue_rtp.codec must be \"opus\" or \"L16\""},
	    {"{\"listen\":\"127.0.0.1:5004\",\"send_to\":\"127.0.0.1:5006\",\"payload_type\":0}",
	     "room 'hall': venue_rtp.payload_type must be 96..127"},
	    {"{\"listen\":\"127.0.0.1:5004\"}", NULL},
	    {"{\"listen\":\"127.0.0.1:5004\",\"send_to\":\"127.0.0.1:5006\",\"x\":1}", NULL},
	    {"\"127.0.0.1:5004\"", NULL},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[512];
		snprintf(text, sizeof text, "{\"rooms\":[{\"id\":\"hall\",\"venue_rtp\":%s}]}",
			 bad[i].venue);
		path = config_file(text);
		gw_config_defaults(&cfg);
		err[0] = '\0';
		assert_false(gw_config_load_file(&cfg, path, err, sizeof err));
		unlink(path);
		if (bad[i].err)
			assert_string_equal(err, bad[i].err);
		else
			assert_non_null(strstr(err, "room 'hall': venue_rtp: "));
	}
}

static void turn_servers(void **state)
{
	(void)state;
	const char *path = config_file(
	    "{\"turn\":[{\"urls\":[\"turn:turn.example.org:3478?transport=udp\","
	    "\"turns:turn.example.org:5349?transport=tcp\"],\"secret\":\"s3cret\"},"
	    "{\"urls\":[\"stun:stun.example.org\"],\"secret\":\"x\",\"ttl_s\":86400}]}");
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	assert_int_equal(cfg.n_turn, 0); /* no TURN unless configured */
	char err[256] = "";
	assert_true(gw_config_load_file(&cfg, path, err, sizeof err));
	unlink(path);
	assert_int_equal(cfg.n_turn, 2);
	assert_int_equal(cfg.turn[0].n_urls, 2);
	assert_string_equal(cfg.turn[0].urls[1], "turns:turn.example.org:5349?transport=tcp");
	assert_string_equal(cfg.turn[0].secret, "s3cret");
	assert_int_equal(cfg.turn[0].ttl_s, 600); /* the default */
	assert_int_equal(cfg.turn[1].ttl_s, 86400);
}

/* Every refusal names the field and never the secret's value. */
static void turn_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"{\"turn\":{}}", "turn: expected an array of at most 4 servers"},
	    {"{\"turn\":[{\"urls\":[\"turn:h\"],\"secret\":\"\"}]}",
	     "turn[0].secret: expected a non-empty string of at most 255 bytes"},
	    {"{\"turn\":[{\"urls\":[\"turn:h\"]}]}", NULL},
	    {"{\"turn\":[{\"urls\":[],\"secret\":\"hush-hush\"}]}",
	     "turn[0].urls: expected an array of 1 to 8 strings"},
	    {"{\"turn\":[{\"urls\":\"turn:h\",\"secret\":\"hush-hush\"}]}",
	     "turn[0].urls: expected an array of 1 to 8 strings"},
	    {"{\"turn\":[{\"urls\":[\"turn:h\",\"http://h\"],\"secret\":\"hush-hush\"}]}",
	     "turn[0].urls[1]: expected a turn:, turns: or stun: URI of at most 255 bytes"},
	    {"{\"turn\":[{\"urls\":[7],\"secret\":\"hush-hush\"}]}",
	     "turn[0].urls[0]: expected a turn:, turns: or stun: URI of at most 255 bytes"},
	    {"{\"turn\":[{\"urls\":[\"turn:h\"],\"secret\":\"hush-hush\",\"ttl_s\":59}]}",
	     "turn[0].ttl_s: expected an integer in [60, 86400]"},
	    {"{\"turn\":[{\"urls\":[\"turn:h\"],\"secret\":\"hush-hush\",\"ttl_s\":86401}]}",
	     "turn[0].ttl_s: expected an integer in [60, 86400]"},
	    {"{\"turn\":[{\"urls\":[\"turn:h\"],\"secret\":\"hush-hush\",\"ttl_s\":1e3}]}", NULL},
	    {"{\"turn\":[{\"urls\":[\"turn:h\"],\"secret\":\"hush-hush\",\"ttl\":600}]}", NULL},
	    {"{\"turn\":[{\"urls\":[\"turn:h\"],\"secret\":\"hush-hush\"},1]}", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *path = config_file(cases[i].text);
		struct gw_config cfg;
		gw_config_defaults(&cfg);
		char err[256] = "";
		assert_false(gw_config_load_file(&cfg, path, err, sizeof err));
		unlink(path);
		if (cases[i].err)
			assert_string_equal(err, cases[i].err);
		assert_true(err[0] != '\0');
		assert_null(strstr(err, "hush-hush"));
	}
}

/* --media-bind and --public-ip (repeatable), and the keys of the same names: the flags'
 * addresses replace the file's, in their order; the media sockets bind apart from listen. */
static void media_addresses(void **state)
{
	(void)state;
	const char *path = config_file("{\"listen\":\"127.0.0.1:8080\",\"media_bind\":\"::\","
				       "\"public_ip\":[\"203.0.113.7\",\"2001:db8::7\"]}");
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	assert_string_equal(cfg.media_bind, ""); /* every interface */
	assert_int_equal(cfg.n_public_ips, 0);
	char err[256] = "";
	char *argv[] = {"plenaryd", "--config", (char *)path, NULL};
	assert_true(gw_config_parse_args(&cfg, 3, argv, err, sizeof err));
	assert_string_equal(cfg.listen_addr, "127.0.0.1");
	assert_string_equal(cfg.media_bind, "::");
	assert_int_equal(cfg.n_public_ips, 2);
	assert_string_equal(cfg.public_ips[1], "2001:db8::7");
	char *flags[] = {"plenaryd",	 "--config",	(char *)path,	"--public-ip",
			 "198.51.100.1", "--public-ip", "198.51.100.2", "--media-bind",
			 "0.0.0.0",	 NULL};
	gw_config_defaults(&cfg);
	assert_true(gw_config_parse_args(&cfg, 9, flags, err, sizeof err));
	unlink(path);
	assert_string_equal(cfg.media_bind, "0.0.0.0");
	assert_int_equal(cfg.n_public_ips, 2);
	assert_string_equal(cfg.public_ips[0], "198.51.100.1");
	assert_string_equal(cfg.public_ips[1], "198.51.100.2");
	/* A single string is one address. */
	path = config_file("{\"public_ip\":\"192.0.2.1\"}");
	gw_config_defaults(&cfg);
	assert_true(gw_config_load_file(&cfg, path, err, sizeof err));
	unlink(path);
	assert_int_equal(cfg.n_public_ips, 1);
	assert_string_equal(cfg.public_ips[0], "192.0.2.1");
}

static void media_address_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *err;
	} files[] = {
	    {"{\"public_ip\":7}", "public_ip: expected a string or an array of strings"},
	    {"{\"public_ip\":[\"192.0.2.1\",7]}",
	     "public_ip: expected a string or an array of strings"},
	    {"{\"public_ip\":[\"example.org\"]}",
	     "public_ip: 'example.org' is not a numeric IPv4 or IPv6 host address"},
	    {"{\"public_ip\":\"::\"}",
	     "public_ip: '::' is not a numeric IPv4 or IPv6 host address"},
	    {"{\"public_ip\":[\"192.0.2.1\",\"192.0.2.2\",\"192.0.2.3\",\"192.0.2.4\",\"192.0.2."
	     "5\","
	     "\"192.0.2.6\",\"192.0.2.7\",\"192.0.2.8\",\"192.0.2.9\"]}",
	     "public_ip: at most 8 announced addresses"},
	    {"{\"media_bind\":[]}", "media_bind: expected a string"},
	    {"{\"media_bind\":\"localhost\"}",
	     "media_bind: 'localhost' is not a numeric IPv4 or IPv6 address"},
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		const char *path = config_file(files[i].text);
		struct gw_config cfg;
		gw_config_defaults(&cfg);
		char err[256] = "";
		assert_false(gw_config_load_file(&cfg, path, err, sizeof err));
		unlink(path);
		assert_string_equal(err, files[i].err);
	}
	struct {
		char *argv[4];
		const char *err;
	} flags[] = {
	    {{"plenaryd", "--public-ip", "0.0.0.0"},
	     "--public-ip: '0.0.0.0' is not a numeric IPv4 or IPv6 host address"},
	    {{"plenaryd", "--media-bind", "127.0.0.1:9"},
	     "--media-bind: '127.0.0.1:9' is not a numeric IPv4 or IPv6 address"},
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		struct gw_config cfg;
		gw_config_defaults(&cfg);
		char err[256] = "";
		assert_false(gw_config_parse_args(&cfg, 3, flags[i].argv, err, sizeof err));
		assert_string_equal(err, flags[i].err);
	}
}

static void flag_errors(void **state)
{
	(void)state;
	struct {
		char *argv[4];
		int argc;
		const char *err;
	} cases[] = {
	    {{"plenaryd", "--grace", "-1"}, 3, "--grace: expected an integer in [0, 3600]"},
	    {{"plenaryd", "--colour", "red"}, 3, "unknown option --colour"},
	    {{"plenaryd", "stray"}, 2, "unexpected argument 'stray'"},
	    {{"plenaryd", "--data"}, 2, "--data needs a value"},
	    {{"plenaryd", "--listen", "nowhere:port"}, 3, "--listen: expected ADDR:PORT"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct gw_config cfg;
		gw_config_defaults(&cfg);
		char err[256] = "";
		assert_false(
		    gw_config_parse_args(&cfg, cases[i].argc, cases[i].argv, err, sizeof err));
		assert_string_equal(err, cases[i].err);
	}
}

/* --nats (docs/scale.md): off unless given; the flag wins over the file. */
static void nats_settings(void **state)
{
	(void)state;
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	assert_string_equal(cfg.nats_urls, "");
	assert_int_equal(cfg.nats_timeout_ms, 2000);
	const char *path =
	    config_file("{\"nats\":\"nats://10.0.0.1:4222\",\"nats_timeout_ms\":500}");
	char *argv[] = {"plenaryd", "--config", (char *)path, NULL};
	char err[256] = "";
	assert_true(gw_config_parse_args(&cfg, 3, argv, err, sizeof err));
	assert_string_equal(cfg.nats_urls, "nats://10.0.0.1:4222");
	assert_int_equal(cfg.nats_timeout_ms, 500);
	char *flags[] = {"plenaryd", "--config", (char *)path, "--nats", "nats://a:1,nats://b:2",
			 NULL};
	assert_true(gw_config_parse_args(&cfg, 5, flags, err, sizeof err));
	assert_string_equal(cfg.nats_urls, "nats://a:1,nats://b:2");
	unlink(path);
}

/* The owner lease's node name (the host's by default), its URL and TTL: file, then flags. */
static void lease_settings(void **state)
{
	(void)state;
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	assert_true(cfg.node[0] != '\0');
	assert_string_equal(cfg.node_url, "");
	assert_int_equal(cfg.lease_ttl_ms, 3000);
	const char *path = config_file(
	    "{\"node\":\"fra-1\",\"node_url\":\"https://fra-1.example\",\"lease_ttl_ms\":5000}");
	char *argv[] = {"plenaryd", "--config", (char *)path, NULL};
	char err[256] = "";
	assert_true(gw_config_parse_args(&cfg, 3, argv, err, sizeof err));
	assert_string_equal(cfg.node, "fra-1");
	assert_string_equal(cfg.node_url, "https://fra-1.example");
	assert_int_equal(cfg.lease_ttl_ms, 5000);
	char *flags[] = {"plenaryd",   "--config",     (char *)path,	 "--node", "ams_2",
			 "--node-url", "http://ams-2", "--lease-ttl-ms", "2000",   NULL};
	assert_true(gw_config_parse_args(&cfg, 9, flags, err, sizeof err));
	unlink(path);
	assert_string_equal(cfg.node, "ams_2");
	assert_string_equal(cfg.node_url, "http://ams-2");
	assert_int_equal(cfg.lease_ttl_ms, 2000);
	char *bad[] = {"plenaryd", "--lease-ttl-ms", "60001", NULL};
	assert_false(gw_config_parse_args(&cfg, 3, bad, err, sizeof err));
	assert_string_equal(err, "--lease-ttl-ms: expected an integer in [1000, 60000]");
	char *bad_node[] = {"plenaryd", "--node", "a\"b", NULL};
	assert_false(gw_config_parse_args(&cfg, 3, bad_node, err, sizeof err));
	assert_string_equal(err, "--node: expected 1 to 63 of A-Z a-z 0-9 . _ -");
}

/* --edge / "edge" (docs/scale.md "Edges"): off unless given, and only with --nats. */
static void edge_settings(void **state)
{
	(void)state;
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	assert_false(cfg.edge);
	char err[256] = "";
	char *lone[] = {"plenaryd", "--edge", NULL};
	assert_false(gw_config_parse_args(&cfg, 2, lone, err, sizeof err));
	assert_string_equal(err,
			    "--edge (edge) follows rooms from NATS JetStream: it needs --nats");
	gw_config_defaults(&cfg);
	char *both[] = {"plenaryd", "--edge", "--nats", "nats://a:1", NULL};
	assert_true(gw_config_parse_args(&cfg, 4, both, err, sizeof err));
	assert_true(cfg.edge);
	gw_config_defaults(&cfg);
	const char *path = config_file("{\"nats\":\"nats://a:1\",\"edge\":true}");
	char *argv[] = {"plenaryd", "--config", (char *)path, NULL};
	assert_true(gw_config_parse_args(&cfg, 3, argv, err, sizeof err));
	assert_true(cfg.edge);
	unlink(path);
	gw_config_defaults(&cfg);
	path = config_file("{\"nats\":\"nats://a:1\",\"edge\":\"yes\"}");
	assert_false(gw_config_load_file(&cfg, path, err, sizeof err));
	assert_string_equal(err, "edge: expected true or false");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(listen_forms),    cmocka_unit_test(lease_settings),
	    cmocka_unit_test(file_then_flags), cmocka_unit_test(file_errors),
	    cmocka_unit_test(flag_errors),     cmocka_unit_test(turn_servers),
	    cmocka_unit_test(turn_errors),     cmocka_unit_test(venue_rtp),
	    cmocka_unit_test(media_addresses), cmocka_unit_test(media_address_errors),
	    cmocka_unit_test(nats_settings),   cmocka_unit_test(edge_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
