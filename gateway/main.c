/*
 * plenaryd -- the composition root. Parses the command line, then runs the server or
 * one of its subcommands (token, verify). See PROTOCOL.md "Command line".
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/logging.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: plenaryd [--listen ADDR:PORT] [--data DIR] [--config FILE] [--media-port "
	    "PORT]\n"
	    "                [--media-tcp-port PORT] [--media-bind ADDR] [--public-ip ADDR]...\n"
	    "                [--media-workers N] [--grace SECONDS]\n"
	    "                [--web-root DIR] [--log-level debug|info|warn|error]\n"
	    "                [--tls-cert FILE --tls-key FILE [--redirect-http ADDR:PORT]]\n"
	    "                [--nats URL[,URL...] [--edge]] [--node NAME] [--node-url URL]\n"
	    "                [--lease-ttl-ms MS]\n"
	    "       plenaryd token --room R --role ROLE --name NAME [--sub ID] [--group G] [--ttl "
	    "S]\n"
	    "                [--location room|remote] [--data DIR] [--config FILE]\n"
	    "       plenaryd verify FILE\n"
	    "       plenaryd verify --nats URL[,URL...] --room ID [FILE]\n"
	    "--media-port: first UDP port, worker i uses PORT + i (default 40000; 0 = free "
	    "ports)\n"
	    "--media-tcp-port: first ICE-TCP port (default: --media-port's; -1 = no ICE-TCP)\n"
	    "--media-bind: the media sockets' address, apart from --listen (default: every "
	    "interface)\n"
	    "--public-ip: an address put in the answers' candidates (1:1 NAT); repeat it for "
	    "more\n"
	    "--tls-cert, --tls-key: serve HTTPS and WSS (PEM chain and key; SIGHUP reloads "
	    "them)\n"
	    "--redirect-http: a plain-HTTP listener that sends every request to HTTPS\n"
	    "environment: PLENARY_TOKEN_SECRET (HS256 secret), PLENARY_ADMIN_TOKEN (admin API)\n");
}

/* Where the web client is when nobody says (--web-root, "web_root"): an installed
 * plenaryd, PREFIX/bin/plenaryd, serves PREFIX/share/plenary/web-client (docs/deploy.md);
 * one run from its build tree keeps the source folder the build baked in. */
static void default_web_root(struct gw_config *cfg)
{
	char exe[PATH_MAX], installed[PATH_MAX + 32], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(installed, sizeof installed, "%s/../share/plenary/web-client", exe);
	struct stat st;
	if (stat(installed, &st) != 0 || !S_ISDIR(st.st_mode) || !realpath(installed, real))
		return;
	size_t len = strlen(real);
	if (len < sizeof cfg->web_root)
		memcpy(cfg->web_root, real, len + 1);
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
	default_web_root(&cfg);
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
	gw_info("web client", "root=\"%s\"", cfg.web_root);
	return gateway_run(&cfg);
}
