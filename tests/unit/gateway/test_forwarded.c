/* gateway/forwarded.c: addresses and prefixes of trusted_proxies (bad ones refused, not
 * rounded), and the client an X-Forwarded-For names -- the rightmost untrusted entry, never
 * what a client put in front; blanks, IPv6, malformed entries and an all-trusted chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "gateway/forwarded.h"

static struct gw_ip ip(const char *s)
{
	struct gw_ip a;
	assert_true(gw_ip_parse(s, strlen(s), &a));
	return a;
}

static struct gw_proxies proxies(const char *const *list, size_t n)
{
	struct gw_proxies p = {0};
	for (size_t i = 0; i < n; i++)
		assert_true(gw_cidr_parse(list[i], strlen(list[i]), &p.nets[p.n++]));
	return p;
}

static void cidr_parses_addresses_and_prefixes(void **state)
{
	(void)state;
	static const char *const good[] = {"127.0.0.1", "10.0.0.0/8",	 "0.0.0.0/0",
					   "::1",	"fd00::/8",	 "2001:db8::/32",
					   "::/0",	"192.0.2.128/25"};
	struct gw_proxies p = proxies(good, sizeof good / sizeof good[0]);
	assert_int_equal(p.nets[0].bits, 128);
	assert_int_equal(p.nets[1].bits, 96 + 8);
	assert_int_equal(p.nets[3].bits, 128);
	assert_int_equal(p.nets[4].bits, 8);
	static const char *const bad[] = {"",
					  "10.0.0.1/8",
					  "10.0.0.0/33",
					  "10.0.0.0/",
					  "10.0.0.0/08",
					  "10.0.0.0/-1",
					  "::1/129",
					  "fd00::1/8",
					  "10.0.0",
					  "host",
					  "10.0.0.0/8 ",
					  " 10.0.0.0/8",
					  "10.0.0.0/8/8",
					  "[::1]"};
	struct gw_cidr c;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(gw_cidr_parse(bad[i], strlen(bad[i]), &c));
	/* len bounds the read: "10.0.0.0/8" cut to "10.0.0.0/" is refused. */
	assert_false(gw_cidr_parse("10.0.0.0/8", 9, &c));
	assert_false(gw_cidr_parse("1.2.3.4\0x", 9, &c));
}

static void trust_matches_prefixes(void **state)
{
	(void)state;
	static const char *const list[] = {"10.0.0.0/8", "::1", "192.0.2.128/25"};
	struct gw_proxies p = proxies(list, 3);
	struct gw_ip a = ip("10.200.1.1"), b = ip("11.0.0.1"), c = ip("::1"), d = ip("::2"),
		     e = ip("192.0.2.200"), f = ip("192.0.2.127");
	assert_true(gw_proxies_trust(&p, &a));
	assert_false(gw_proxies_trust(&p, &b));
	assert_true(gw_proxies_trust(&p, &c));
	assert_false(gw_proxies_trust(&p, &d));
	assert_true(gw_proxies_trust(&p, &e));
	assert_false(gw_proxies_trust(&p, &f));
	struct gw_proxies none = {0};
	assert_false(gw_proxies_trust(&none, &a));
}

static enum gw_xff xff(const struct gw_proxies *p, const char *h, struct gw_ip *out)
{
	return gw_xff_client(p, h, strlen(h), out);
}

static void client_is_rightmost_untrusted(void **state)
{
	(void)state;
	static const char *const list[] = {"127.0.0.1", "10.0.0.0/8", "fd00::/8"};
	struct gw_proxies p = proxies(list, 3);
	struct gw_ip got;
	struct gw_ip want = ip("203.0.113.7");
	assert_int_equal(xff(&p, "203.0.113.7", &got), GW_XFF_CLIENT);
	assert_memory_equal(&got, &want, sizeof got);
	/* Whatever the client prepended is left of the address the proxy saw. */
	assert_int_equal(xff(&p, "1.1.1.1, 203.0.113.7", &got), GW_XFF_CLIENT);
	assert_memory_equal(&got, &want, sizeof got);
	assert_int_equal(xff(&p, "garbage,, 203.0.113.7", &got), GW_XFF_CLIENT);
	assert_memory_equal(&got, &want, sizeof got);
	/* Trusted hops on the right are skipped. */
	assert_int_equal(xff(&p, "1.1.1.1,203.0.113.7 ,\t10.1.2.3, 127.0.0.1", &got),
			 GW_XFF_CLIENT);
	assert_memory_equal(&got, &want, sizeof got);
	want = ip("2001:db8::5");
	assert_int_equal(xff(&p, "2001:db8::5, fd00::1", &got), GW_XFF_CLIENT);
	assert_memory_equal(&got, &want, sizeof got);
	/* All trusted: the leftmost is the client. */
	want = ip("10.9.9.9");
	assert_int_equal(xff(&p, "10.9.9.9, 127.0.0.1", &got), GW_XFF_CLIENT);
	assert_memory_equal(&got, &want, sizeof got);
	/* The loopback client a proxy may forward is a client like any other. */
	struct gw_proxies none = {0};
	want = ip("127.0.0.1");
	assert_int_equal(xff(&none, "127.0.0.1", &got), GW_XFF_CLIENT);
	assert_memory_equal(&got, &want, sizeof got);
	assert_true(gw_ip_loopback(&got));
}

static void malformed_and_empty(void **state)
{
	(void)state;
	static const char *const list[] = {"127.0.0.1"};
	struct gw_proxies p = proxies(list, 1);
	struct gw_ip got;
	assert_int_equal(xff(&p, "", &got), GW_XFF_NONE);
	assert_int_equal(xff(&p, " \t ", &got), GW_XFF_NONE);
	static const char *const bad[] = {
	    "nope",	     "192.0.2.1, nope",	    "192.0.2.1,", "192.0.2.1:8080",
	    "[2001:db8::1]", "192.0.2.1 192.0.2.2", ",",	  "127.0.0.1,,",
	    "unknown"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(xff(&p, bad[i], &got), GW_XFF_MALFORMED);
	/* A trusted hop then garbage: the garbage is where the client would be. */
	assert_int_equal(xff(&p, "junk, 127.0.0.1", &got), GW_XFF_MALFORMED);
	/* len bounds the read. */
	assert_int_equal(gw_xff_client(&p, "192.0.2.1, 1", 9, &got), GW_XFF_CLIENT);
}

static void format_round_trips(void **state)
{
	(void)state;
	char out[64];
	struct gw_ip a = ip("192.0.2.1"), b = ip("2001:db8::1");
	gw_ip_format(&a, out, sizeof out);
	assert_string_equal(out, "192.0.2.1");
	gw_ip_format(&b, out, sizeof out);
	assert_string_equal(out, "2001:db8::1");
	struct gw_ip l4 = ip("127.8.9.10"), l6 = ip("::1"), no = ip("::2");
	assert_true(gw_ip_loopback(&l4));
	assert_true(gw_ip_loopback(&l6));
	assert_false(gw_ip_loopback(&no));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cidr_parses_addresses_and_prefixes),
	    cmocka_unit_test(trust_matches_prefixes),
	    cmocka_unit_test(client_is_rightmost_untrusted),
	    cmocka_unit_test(malformed_and_empty),
	    cmocka_unit_test(format_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
