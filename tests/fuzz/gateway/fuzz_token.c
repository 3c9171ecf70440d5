/* JWT verification on arbitrary input: never crash, never accept a token whose
 * signature was not made with the secret (the fuzzer cannot forge HMAC-SHA256, so an
 * accepted token here is a bug). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[] = "fuzz-secret";
	char *tok = malloc(size + 1);
	if (!tok)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	struct token_claims c;
	if (token_verify(tok, secret, sizeof secret - 1, NULL, 1800000000, TOKEN_LIFETIME_DEFAULT_S,
			 &c) == TOKEN_OK)
		abort();
	/* Signing whatever claims parse must round-trip. */
	struct token_claims mine;
	memset(&mine, 0, sizeof mine);
	strcpy(mine.room, "r");
	mine.role = TOKEN_ROLE_OBSERVER;
	size_t n = size < sizeof mine.name - 1 ? size : sizeof mine.name - 1;
	memcpy(mine.name, data, n);
	mine.name[n] = '\0';
	if (!mine.name[0] || strlen(mine.name) != n) {
		free(tok);
		return 0;
	}
	strcpy(mine.sub, "s");
	mine.exp = 1800000000 + 3600;
	char *signed_tok = NULL;
	if (token_sign(&mine, secret, sizeof secret - 1, &signed_tok) == TOKEN_OK) {
		struct token_claims back;
		enum token_err err = token_verify(signed_tok, secret, sizeof secret - 1, "r",
						  1800000000, TOKEN_LIFETIME_DEFAULT_S, &back);
		/* Names that are not valid UTF-8 cannot survive JSON; all others must. */
		if (err == TOKEN_OK && strcmp(back.name, mine.name) != 0)
			abort();
		free(signed_tok);
	}
	free(tok);
	return 0;
}
