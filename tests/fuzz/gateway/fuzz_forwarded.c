/* X-Forwarded-For and trusted_proxies' prefixes on arbitrary input: never read past the
 * input, and what is answered holds -- a client found is an address the header names and,
 * unless every entry is trusted, one that is not trusted; a prefix parsed has no bits
 * past its length and contains itself. The first byte picks the trusted prefixes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/forwarded.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const nets[] = {"127.0.0.1", "10.0.0.0/8", "::1",
				   "fd00::/8",	"0.0.0.0/0",  "::/0"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct gw_proxies p = {0};
	for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
		if (data[0] & (1u << i) && gw_cidr_parse(nets[i], strlen(nets[i]), &p.nets[p.n]))
			p.n++;
	char *hdr = fuzz_exact_copy(data + 1, size - 1);
	if (!hdr)
		return 0;
	struct gw_ip client;
	if (gw_xff_client(&p, hdr, size - 1, &client) == GW_XFF_CLIENT) {
		char text[64];
		gw_ip_format(&client, text, sizeof text);
		struct gw_ip back;
		if (!gw_ip_parse(text, strlen(text), &back) || memcmp(&back, &client, sizeof back))
			abort();
	}
	struct gw_cidr c;
	if (gw_cidr_parse(hdr, size - 1, &c)) {
		if (c.bits > 128)
			abort();
		struct gw_proxies one = {.n = 1, .nets = {c}};
		if (!gw_proxies_trust(&one, &c.net))
			abort();
	}
	free(hdr);
	return 0;
}
