/* The per-address table of gateway/http_limits.c: the token bucket's burst, refill and
 * Retry-After; the connection cap and its release; IPv6 counted per /64; a full run of
 * slots evicting the least recently seen address, never one with open connections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http_limits.h"

static bool from_sockaddr(struct gw_hlim_addr *a, const void *sa)
{
	struct gw_ip ip;
	if (!gw_ip_from_sockaddr(&ip, sa))
		return false;
	gw_hlim_addr_from_ip(a, &ip);
	return true;
}

static struct gw_hlim_addr v4(uint32_t host)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	in.sin_addr.s_addr = htonl(host);
	struct gw_hlim_addr a;
	assert_true(from_sockaddr(&a, &in));
	return a;
}

static void bucket_bursts_then_refills(void **state)
{
	(void)state;
	struct gw_hlim *l = malloc(sizeof *l);
	gw_hlim_init(l, 2, 5, 0);
	struct gw_hlim_addr a = v4(0x0a000001), b = v4(0x0a000002);
	for (int i = 0; i < 5; i++)
		assert_int_equal(gw_hlim_request(l, &a, 1000), 0);
	assert_int_equal(gw_hlim_request(l, &a, 1000), 1); /* half a second at 2/s, rounded up */
	assert_int_equal(gw_hlim_request(l, &b, 1000), 0); /* another address: its own bucket */
	assert_int_equal(gw_hlim_request(l, &a, 1500), 0); /* one token back */
	assert_int_equal(gw_hlim_request(l, &a, 1500), 1);
	assert_int_equal(gw_hlim_request(l, &a, 100000), 0); /* full again, not over the burst */
	for (int i = 0; i < 4; i++)
		assert_int_equal(gw_hlim_request(l, &a, 100000), 0);
	assert_int_not_equal(gw_hlim_request(l, &a, 100000), 0);
	gw_hlim_init(l, 0, 5, 0); /* rate 0: no limit */
	for (int i = 0; i < 100; i++)
		assert_int_equal(gw_hlim_request(l, &a, 0), 0);
	free(l);
}

static void connections_are_capped(void **state)
{
	(void)state;
	struct gw_hlim *l = malloc(sizeof *l);
	gw_hlim_init(l, 0, 1, 2);
	struct gw_hlim_addr a = v4(0xc0a80001);
	bool refuse;
	int s1 = gw_hlim_conn_open(l, &a, 0, &refuse);
	assert_false(refuse);
	int s2 = gw_hlim_conn_open(l, &a, 0, &refuse);
	assert_false(refuse);
	assert_int_equal(s1, s2);
	assert_int_equal(gw_hlim_conn_open(l, &a, 0, &refuse), GW_HLIM_UNTRACKED);
	assert_true(refuse);
	gw_hlim_conn_close(l, s1);
	assert_int_equal(gw_hlim_conn_open(l, &a, 0, &refuse), s1);
	assert_false(refuse);
	free(l);
}

static void ipv6_counts_per_64(void **state)
{
	(void)state;
	struct sockaddr_in6 x = {.sin6_family = AF_INET6}, y = {.sin6_family = AF_INET6};
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2::1", &x.sin6_addr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2:ffff::9", &y.sin6_addr), 1);
	struct gw_hlim_addr a, b;
	assert_true(from_sockaddr(&a, &x));
	assert_true(from_sockaddr(&b, &y));
	assert_memory_equal(&a, &b, sizeof a);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:3::1", &y.sin6_addr), 1);
	assert_true(from_sockaddr(&b, &y));
	assert_memory_not_equal(&a, &b, sizeof a);
}

static void table_is_bounded(void **state)
{
	(void)state;
	struct gw_hlim *l = malloc(sizeof *l);
	gw_hlim_init(l, 1, 1, 1);
	bool refuse;
	/* Far more addresses than slots: each still gets a slot, the table never grows. */
	for (uint32_t i = 0; i < 4 * GW_HLIM_SLOTS; i++) {
		struct gw_hlim_addr a = v4(0x0b000000 + i);
		assert_int_equal(gw_hlim_request(l, &a, i), 0);
	}
	/* Every slot held by an open connection: a new address is not tracked, not refused. */
	int tracked = 0, untracked = 0;
	for (uint32_t i = 0; i < 2 * GW_HLIM_SLOTS; i++) {
		struct gw_hlim_addr a = v4(0x0c000000 + i);
		int s = gw_hlim_conn_open(l, &a, 0, &refuse);
		assert_false(refuse);
		if (s >= 0)
			tracked++;
		else
			untracked++;
	}
	assert_true(tracked <= GW_HLIM_SLOTS);
	assert_true(untracked >= GW_HLIM_SLOTS);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bucket_bursts_then_refills),
	    cmocka_unit_test(connections_are_capped),
	    cmocka_unit_test(ipv6_counts_per_64),
	    cmocka_unit_test(table_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
