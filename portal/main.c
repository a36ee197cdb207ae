/*
 * sealpost-portal: the web portal where recipients of secure mail
 * register, log in and read.  Glue only: configuration, the master key,
 * the store, the worker pools, the HTTP server and the routes
 * (routes.c); everything else is in the portal core library.
 *
 * Cookies are Secure when the portal speaks TLS itself, and also when
 * portal_url starts with https:// while the portal listens in plain
 * HTTP on loopback behind a TLS-terminating reverse proxy: the browser
 * talks HTTPS, so it must get Secure cookies.  Only a plain-HTTP
 * portal_url (a test setup on loopback) gets cookies without Secure.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <gmime/gmime.h>
#include <sodium.h>

#include "app.h"
#include "config.h"
#include "http_listen.h"
#include "http_router.h"
#include "http_server.h"
#include "log.h"
#include "masterkey.h"
#include "password.h"
#include "paths.h"
#include "retention.h"
#include "store.h"
#include "template.h"
#include "throttle.h"
#include "workpool.h"

#define PORTAL_WORKERS		2
#define PORTAL_MAX_JOBS		64
#define PORTAL_HASH_WORKERS_MAX	4
/* Argon2id jobs in flight: beyond, a login answers 503 at once rather
 * than after a wait of many seconds. */
#define PORTAL_HASH_JOBS	16
#define PORTAL_PURGE_EVERY	300	/* seconds between session purges */
#define PORTAL_RETENTION_EVERY	3600	/* seconds between retention runs */
/* glibc malloc: see portal_malloc_tune. */
#define PORTAL_MMAP_THRESHOLD	(4 * 1024 * 1024)
#define PORTAL_TRIM_THRESHOLD	(64 * 1024 * 1024)
#define PORTAL_TOP_PAD		(1024 * 1024)

/* The hourly retention run (retention.h): on the worker pool, since it
 * mails; one at a time. */
struct portal_retention {
	struct portal		*p;
	struct retention_report	 report;
	int			 rc;
	int			 running;
};

/*
 * Every read builds its response in 64-128 KiB buffers.  With glibc's
 * defaults these come from mmap, or from a heap trimmed back after each
 * response: page faults, munmap and brk on the loop, each taking the
 * process's memory map lock that the hashing threads hold while they
 * map, fault in and unmap 64 MiB per Argon2id.  Under a login storm the
 * loop then waited behind them.  Freed memory is kept for reuse instead
 * (given back only above PORTAL_TRIM_THRESHOLD; blocks above
 * PORTAL_MMAP_THRESHOLD are still mapped).
 */
static void
portal_malloc_tune(void)
{
	if (mallopt(M_MMAP_THRESHOLD, PORTAL_MMAP_THRESHOLD) != 1 ||
	    mallopt(M_TRIM_THRESHOLD, PORTAL_TRIM_THRESHOLD) != 1 ||
	    mallopt(M_TOP_PAD, PORTAL_TOP_PAD) != 1)
		log_warnx("mallopt failed: memory is returned eagerly");
}

/*
 * Argon2id threads: one core fewer than the machine has (at least one,
 * at most PORTAL_HASH_WORKERS_MAX), so that a login storm leaves the
 * event loop a core of its own.
 */
static unsigned
portal_hash_workers(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN) - 1;

	if (n > PORTAL_HASH_WORKERS_MAX)
		return PORTAL_HASH_WORKERS_MAX;
	return n > 1 ? (unsigned)n : 1;
}

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

/* Drop sessions past their idle or absolute limit, so that the store
 * does not keep what nobody will present again. */
static void
portal_purge_cb(evutil_socket_t fd, short what, void *arg)
{
	struct portal	*p = arg;
	int64_t		 now = (int64_t)time(NULL);
	size_t		 removed = 0;
	int		 st;

	st = store_purge_sessions(p->store,
	    now - (int64_t)p->cfg->session_idle_timeout,
	    now - (int64_t)p->cfg->session_max_lifetime, &removed);
	if (st != STORE_OK)
		log_warnx("session purge: %s", store_strerror(st));
	else if (removed > 0)
		log_info("session purge: %zu expired sessions removed",
		    removed);
}

static void
portal_retention_work(void *arg)
{
	struct portal_retention	*r = arg;

	r->rc = retention_run(r->p->store, r->p->cfg, r->p->mk, time(NULL),
	    &r->report);
}

static void
portal_retention_done(void *arg, int cancelled)
{
	struct portal_retention	*r = arg;
	char			 line[512];

	r->running = 0;
	if (cancelled)
		return;
	retention_format(&r->report, line, sizeof(line));
	if (r->rc == -1)
		log_warnx("retention: %s", line);
	else
		log_info("retention: %s", line);
}

static void
portal_retention_cb(evutil_socket_t fd, short what, void *arg)
{
	struct portal_retention	*r = arg;

	if (r->running)
		return;
	if (workpool_submit(r->p->pool, portal_retention_work,
	    portal_retention_done, r) == -1) {
		log_warnx("retention: worker pool busy, next try in an hour");
		return;
	}
	r->running = 1;
}

/* The mail templates render with sample values: a typo stops the start,
 * not a recipient's link. */
static int
portal_check_templates(const struct config *cfg, char *err, size_t errlen)
{
	static const char *const names[] = {
		"verify.txt", "reset.txt", "password-changed.txt",
		"alias.txt",
		"unsubscribe.txt",
	};
	const struct template_var vars[] = {
		{ "address", "someone@example.org" },
		{ "portal_url", "https://portal.example.org" },
		{ "link", "https://portal.example.org/verify?token=0" },
		{ "lifetime", "24 hours" },
		{ "account", "master@example.org" },
		{ "unsubscribe_link", "https://portal.example.org/unsubscribe" },
	};
	char	*text, *out, e[256];
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((text = template_read(cfg->templates_dir, names[i], e,
		    sizeof(e))) == NULL) {
			snprintf(err, errlen, "%s", e);
			return -1;
		}
		out = template_render(text, vars, sizeof(vars) /
		    sizeof(vars[0]), TEMPLATE_ESCAPE_NONE, e, sizeof(e));
		free(text);
		if (out == NULL) {
			snprintf(err, errlen, "%s/%s: %s", cfg->templates_dir,
			    names[i], e);
			return -1;
		}
		free(out);
	}
	return retention_check_template(cfg, err, errlen);
}

int
main(int argc, char *argv[])
{
	struct config			 cfg;
	struct http_server_options	 opt;
	struct portal			 portal;
	struct event_base		*base;
	struct http_router		*router;
	struct http_server		*srv;
	struct workpool			*pool, *hash_pool;
	struct masterkey		*mk = NULL;
	struct password_list		*passwords = NULL;
	struct store			*store;
	struct throttle			*throttle;
	struct event			*sigterm, *sigint, *purge, *retention;
	struct portal_retention		 ret;
	struct timeval			 every = { PORTAL_PURGE_EVERY, 0 };
	struct timeval			 hourly = { PORTAL_RETENTION_EVERY, 0 };
	const char			*conffile = SEALPOST_CONF_FILE;
	char				 err[512], path[4096];
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
	snprintf(path, sizeof(path), "%s/%s", cfg.templates_dir,
	    PASSWORD_LIST_FILE);
	if (portal_check_templates(&cfg, err, sizeof(err)) == -1 ||
	    password_list_load(path, &passwords, err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-portal: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (check) {
		if (check > 1)
			config_dump(&cfg, stdout);
		else
			printf("configuration OK\n");
		password_list_free(passwords);
		config_free(&cfg);
		return 0;
	}

	log_init("sealpost-portal", foreground, cfg.syslog_facility,
	    cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	portal_malloc_tune();
	if (sodium_init() == -1)
		fatalx("cannot initialise libsodium");
	g_mime_init();
	if (masterkey_load(cfg.master_key_file, &mk, err, sizeof(err)) == -1)
		fatalx("master_key_file: %s", err);

	if ((base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	/* Routes are added once the store and pool exist, before the loop
	 * runs; the server only borrows the router. */
	if ((router = http_router_new()) == NULL)
		fatalx("no memory");
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
	/* After daemon(): LMDB must be opened in the process that uses it,
	 * and the threads must belong to the child. */
	if (store_open(&cfg, STORE_OPEN_CREATE, &store, err, sizeof(err)) == -1)
		fatalx("store: %s", err);
	if ((pool = workpool_new(base, PORTAL_WORKERS, PORTAL_MAX_JOBS)) == NULL ||
	    (hash_pool = workpool_new(base, portal_hash_workers(),
	    PORTAL_HASH_JOBS)) == NULL)
		fatalx("cannot start the worker pools");
	if ((throttle = throttle_new(NULL)) == NULL)
		fatalx("no memory");

	memset(&portal, 0, sizeof(portal));
	portal.cfg = &cfg;
	portal.store = store;
	portal.mk = mk;
	portal.pool = pool;
	portal.hash_pool = hash_pool;
	portal.now = NULL;		/* time(NULL) */
	portal.throttle = throttle;
	portal.passwords = passwords;
	portal.cookie_secure = tls ||
	    strncmp(cfg.portal_url, "https://", 8) == 0;
	if (!portal.cookie_secure)
		log_warnx("portal_url is not https: cookies are sent without "
		    "Secure");
	if (portal_routes_add(router, &portal) == -1)
		fatalx("cannot set up routes");

	if ((sigterm = evsignal_new(base, SIGTERM, portal_signal_cb,
	    base)) == NULL || event_add(sigterm, NULL) == -1 ||
	    (sigint = evsignal_new(base, SIGINT, portal_signal_cb,
	    base)) == NULL || event_add(sigint, NULL) == -1)
		fatalx("cannot install signal handlers");
	if ((purge = event_new(base, -1, EV_PERSIST, portal_purge_cb,
	    &portal)) == NULL || event_add(purge, &every) == -1)
		fatalx("cannot start the session purge timer");
	memset(&ret, 0, sizeof(ret));
	ret.p = &portal;
	if ((retention = event_new(base, -1, EV_PERSIST, portal_retention_cb,
	    &ret)) == NULL || event_add(retention, &hourly) == -1)
		fatalx("cannot start the retention timer");

	log_info("sealpost %s portal starting: listen=%s port=%d tls=%s "
	    "secure-cookies=%s common-passwords=%zu", SEALPOST_VERSION,
	    cfg.portal_listen, http_server_port(srv), tls ? "yes" : "no",
	    portal.cookie_secure ? "yes" : "no",
	    password_list_count(passwords));
	if (event_base_dispatch(base) == -1)
		log_warnx("event loop failed");
	log_info("sealpost-portal exiting");

	/* The pools first: their done callbacks finish requests of the
	 * server, and its jobs use the store. */
	workpool_free(hash_pool);
	workpool_free(pool);
	http_server_free(srv);
	http_router_free(router);
	event_free(purge);
	event_free(retention);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	throttle_free(throttle);
	password_list_free(passwords);
	store_close(store);
	masterkey_free(mk);
	g_mime_shutdown();
	config_free(&cfg);
	return 0;
}
