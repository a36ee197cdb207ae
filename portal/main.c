/*
 * sealpost-portal: the web portal where recipients read secure mail.
 * For now: the hardened HTTP layer, a placeholder start page and the
 * stylesheet.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "http_listen.h"
#include "http_router.h"
#include "http_server.h"
#include "log.h"
#include "paths.h"
#include "placeholder.h"
#include "static.h"
#include "workpool.h"

#define PORTAL_WORKERS		2
#define PORTAL_MAX_JOBS		64

static void
usage(void)
{
	fprintf(stderr, "usage: sealpost-portal [-fnV] [-c file]\n");
	exit(1);
}

static void
portal_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	log_info("sealpost-portal: signal %d, exiting", (int)sig);
	event_base_loopexit(arg, NULL);
}

static struct http_router *
portal_routes(void)
{
	struct http_router	*r;

	if ((r = http_router_new()) == NULL)
		return NULL;
	if (http_router_add(r, HTTP_GET, "/", 0, handle_index, NULL) == -1 ||
	    http_router_add(r, HTTP_GET, "/static/*", 0, handle_static,
	    NULL) == -1) {
		http_router_free(r);
		return NULL;
	}
	return r;
}

int
main(int argc, char *argv[])
{
	struct config			 cfg;
	struct http_server_options	 opt;
	struct event_base		*base;
	struct http_router		*router;
	struct http_server		*srv;
	struct workpool			*pool;
	struct event			*sigterm, *sigint;
	const char			*conffile = SEALPOST_CONF_FILE;
	char				 err[512];
	int				 ch, foreground = 0, check = 0, tls;

	while ((ch = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check++;
			break;
		case 'V':
			printf("sealpost %s\n", SEALPOST_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (config_load(&cfg, conffile, err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-portal: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	/* Part of the configuration check: -n fails where start-up would. */
	tls = cfg.portal_tls_cert[0] != '\0';
	if (http_listen_allowed(cfg.portal_listen, tls, cfg.portal_insecure_http,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-portal: %s: %s\n", conffile, err);
		config_free(&cfg);
		return 1;
	}
	if (check) {
		if (check > 1)
			config_dump(&cfg, stdout);
		else
			printf("configuration OK\n");
		config_free(&cfg);
		return 0;
	}

	log_init("sealpost-portal", foreground, cfg.syslog_facility,
	    cfg.log_level);
	signal(SIGPIPE, SIG_IGN);

	if ((base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	if ((router = portal_routes()) == NULL)
		fatalx("cannot set up routes");
	http_server_options_default(&opt);
	if ((srv = http_server_new(base, &opt, router)) == NULL)
		fatalx("no memory");
	if (tls && http_server_set_tls(srv, cfg.portal_tls_cert,
	    cfg.portal_tls_key, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (!tls && cfg.portal_insecure_http)
		log_warnx("serving plain HTTP on %s (portal_insecure_http)",
		    cfg.portal_listen);
	if (http_server_listen(srv, cfg.portal_listen, err, sizeof(err)) == -1)
		fatalx("portal_listen: %s", err);
	if (!foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		if (event_reinit(base) == -1)
			fatalx("event_reinit");
	}
	/* After daemon(): the threads must belong to the child. */
	if ((pool = workpool_new(base, PORTAL_WORKERS, PORTAL_MAX_JOBS)) == NULL)
		fatalx("cannot start the worker pool");
	if ((sigterm = evsignal_new(base, SIGTERM, portal_signal_cb,
	    base)) == NULL || event_add(sigterm, NULL) == -1 ||
	    (sigint = evsignal_new(base, SIGINT, portal_signal_cb,
	    base)) == NULL || event_add(sigint, NULL) == -1)
		fatalx("cannot install signal handlers");

	log_info("sealpost %s portal starting: listen=%s port=%d tls=%s",
	    SEALPOST_VERSION, cfg.portal_listen, http_server_port(srv),
	    tls ? "yes" : "no");
	if (event_base_dispatch(base) == -1)
		log_warnx("event loop failed");
	log_info("sealpost-portal exiting");

	workpool_free(pool);
	http_server_free(srv);
	http_router_free(router);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	config_free(&cfg);
	return 0;
}
