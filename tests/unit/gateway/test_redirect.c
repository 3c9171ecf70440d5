/* The --redirect-http Location: the Host's name kept, its port replaced by the HTTPS
 * one (none for 443), the path and query escaped again, and a Host that is not a name or
 * an address literal refused, so nothing can be smuggled into the header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "gateway/redirect.h"

static void locations(void **state)
{
	(void)state;
	static const struct {
		const char *host;
		int port;
		const char *path, *query, *want;
	} cases[] = {
	    {"meeting.example.org", 443, "/", NULL, "https://meeting.example.org/"},
	    {"meeting.example.org:80", 443, "/join", "", "https://meeting.example.org/join"},
	    {"plenary.test:8080", 8443, "/api/rooms/r/record.txt", "lang=en",
	     "https://plenary.test:8443/api/rooms/r/record.txt?lang=en"},
	    {"192.0.2.7", 443, "/a b", "q=x y&z=?", "https://192.0.2.7/a%20b?q=x%20y&z=?"},
	    {"[2001:db8::1]:80", 443, "/", NULL, "https://[2001:db8::1]/"},
	    {"[::1]", 8443, "/%", NULL, "https://[::1]:8443/%25"},
	    {"Host.Example", 443, "/\xc3\xa9", NULL, "https://Host.Example/%C3%A9"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[256];
		assert_true(gw_redirect_location(cases[i].host, cases[i].port, cases[i].path,
						 cases[i].query, out, sizeof out));
		assert_string_equal(out, cases[i].want);
	}
}

static void refusals(void **state)
{
	(void)state;
	static const char *const hosts[] = {
	    "",		":80",	  "evil.example@good", "a b",	 "x\r\nset-cookie: y",
	    "[::1",	"[zz]:1", "host:8o",	       "[::1]x", "[]:80",
	    "host/path"};
	char out[256];
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
		assert_false(gw_redirect_location(hosts[i], 443, "/", NULL, out, sizeof out));
	assert_false(gw_redirect_location(NULL, 443, "/", NULL, out, sizeof out));
	assert_false(gw_redirect_location("ok.example", 443, "no-slash", NULL, out, sizeof out));
	/* Too small for the whole: refused, never cut. */
	assert_false(gw_redirect_location("ok.example", 443, "/abcdef", NULL, out, 24));
	assert_true(gw_redirect_location("ok.example", 443, "/abcdef", NULL, out, 26));
	assert_false(gw_redirect_location("ok.example", 443, "/", "\x01", out, 21));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(locations),
	    cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
