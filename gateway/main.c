/*
 * plenaryd -- the composition root. Parses the command line, then runs the server or
 * one of its subcommands (token, verify). See PROTOCOL.md "Command line".
 */
#include <stdio.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/logging.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: plenaryd [--listen ADDR:PORT] [--data DIR] [--config FILE] [--media-port "
	    "PORT]\n"
	    "                [--public-ip ADDR] [--media-workers N] [--grace SECONDS]\n"
	    "                [--web-root DIR] [--log-level debug|info|warn|error]\n"
	    "       plenaryd token --room R --role ROLE --name NAME [--sub ID] [--group G] [--ttl "
	    "S]\n"
	    "       plenaryd verify FILE\n"
	    "environment: PLENARY_TOKEN_SECRET (HS256 secret), PLENARY_ADMIN_TOKEN (admin API)\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return gateway_cmd_token(argc, argv);
	if (argc > 1 && strcmp(argv[1], "verify") == 0)
		return gateway_cmd_verify(argc, argv);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	char err[512];
	if (!gw_config_parse_args(&cfg, argc, argv, err, sizeof err)) {
		fprintf(stderr, "plenaryd: %s\n", err);
		usage(stderr);
		return 2;
	}
	enum gw_log_level level;
	if (!gw_log_parse_level(cfg.log_level, &level)) {
		fprintf(stderr, "plenaryd: unknown log level '%s'\n", cfg.log_level);
		return 2;
	}
	gw_log_set_level(level);
	return gateway_run(&cfg);
}
