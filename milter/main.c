/*
 * sealpost-milter: encrypts secure mail into the store and rewrites it
 * into a notification.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <sodium.h>

#include "callbacks.h"
#include "config.h"
#include "log.h"
#include "masterkey.h"
#include "noreply.h"
#include "notify.h"
#include "paths.h"
#include "spool.h"
#include "store.h"

/* Senders remembered for the one-notice-a-day rule. */
#define NOREPLY_LIMITER_SIZE	10000

/*
 * libmilter starts a thread per MTA connection, and the MTA opens one per
 * SMTP session.  With the default 8 MiB stacks glibc keeps only five
 * stacks for reuse, so most threads map and fault in a fresh stack; 1 MiB
 * lets the cache cover many concurrent sessions.  Nothing we run recurses
 * deeply (MIME depth is bounded by max_mime_depth); the sanitizers'
 * redzones want more.
 */
#if defined(__SANITIZE_ADDRESS__)
#define MILTER_THREAD_STACK	(8 * 1024 * 1024)
#else
#define MILTER_THREAD_STACK	(1024 * 1024)
#endif

static void
usage(void)
{
	fprintf(stderr, "usage: sealpost-milter [-fnV] [-c file]\n");
	exit(1);
}

static time_t
clock_now(void)
{
	return time(NULL);
}

/* Every thread created from here on (libmilter's) gets the stack size. */
static int
set_thread_stack(void)
{
	pthread_attr_t	attr;
	int		rc = -1;

	if (pthread_attr_init(&attr) != 0)
		return -1;
	if (pthread_attr_setstacksize(&attr, MILTER_THREAD_STACK) == 0 &&
	    pthread_setattr_default_np(&attr) == 0)
		rc = 0;
	pthread_attr_destroy(&attr);
	return rc;
}

/* OpenSMTPD's order: groups, gid, uid; after keys and store are open. */
static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0' || geteuid() != 0)
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("milter_user %s: no such user", user);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);
}

int
main(int argc, char *argv[])
{
	struct config		 cfg;
	struct milter_env	 env;
	struct masterkey	*mk = NULL;
	struct store		*store = NULL;
	struct notify_templates	*templates = NULL;
	const char		*conffile = SEALPOST_CONF_FILE;
	char			 err[512];
	int			 ch, foreground = 0, check = 0, rc;

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
		fprintf(stderr, "sealpost-milter: %s\n", err);
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

	log_init("sealpost-milter", foreground, cfg.syslog_facility,
	    cfg.log_level);
	if (sodium_init() == -1)
		fatalx("libsodium failed to initialise");
	/* sendmail_command may exit before reading all of a notice. */
	signal(SIGPIPE, SIG_IGN);
	g_mime_init();

	/* Read once: no template file is opened per message. */
	if (notify_templates_load(cfg.templates_dir, &templates, err,
	    sizeof(err)) == -1)
		fatalx("templates: %s", err);
	if (masterkey_load(cfg.master_key_file, &mk, err, sizeof(err)) == -1)
		fatalx("master key: %s", err);
	if (store_open(&cfg, STORE_OPEN_CREATE, &store, err, sizeof(err)) == -1)
		fatalx("store: %s", err);
	if (mkdir(cfg.spool_dir, 0700) == -1 && errno != EEXIST)
		fatal("spool_dir %s", cfg.spool_dir);

	memset(&env, 0, sizeof(env));
	env.cfg = &cfg;
	env.store = store;
	env.mk = mk;
	env.now = clock_now;
	env.templates = templates;
	if ((env.limiter = noreply_limiter_new(NOREPLY_LIMITER_SIZE)) == NULL)
		fatalx("out of memory");
	callbacks_init(&env);

	if (smfi_setconn(cfg.milter_socket) == MI_FAILURE)
		fatalx("milter_socket %s: invalid", cfg.milter_socket);
	if (smfi_register(callbacks_desc) == MI_FAILURE)
		fatalx("smfi_register failed");
	drop_privileges(cfg.milter_user);
	/* The spool must be usable as the user we run as. */
	if (spool_check_dir(cfg.spool_dir) == -1)
		fatal("spool_dir %s", cfg.spool_dir);
	/* Group-writable, so the MTA's user can be let in by group. */
	umask(007);
	if (smfi_opensocket(1) == MI_FAILURE)
		fatalx("cannot listen on %s", cfg.milter_socket);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");

	log_info("sealpost %s starting: socket=%s store=%s", SEALPOST_VERSION,
	    cfg.milter_socket, cfg.store_path);
	if (set_thread_stack() == -1)
		fatalx("cannot set the default thread stack size");
	rc = smfi_main();
	log_info("sealpost-milter exiting");

	noreply_limiter_free(env.limiter);
	store_close(store);
	notify_templates_free(templates);
	masterkey_free(mk);
	config_free(&cfg);
	return rc == MI_SUCCESS ? 0 : 2;
}
