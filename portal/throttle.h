/*
 * Counting failures (and link mails) per key in sliding time windows, in
 * memory: login failures per address and per client IP, verification and
 * reset mails per address and per IP.  A key is blocked once it has
 * `max` events within the last `window` seconds, and stays blocked until
 * the oldest of those leaves the window.
 *
 * Loop thread only (no lock).  Memory is bounded: each kind keeps at
 * most THROTTLE_MAX_KEYS keys; beyond, keys with no event inside the
 * window go first, then the key whose last event is oldest.  State is
 * lost at restart, which is acceptable for throttling.
 */
#ifndef SEALPOST_THROTTLE_H
#define SEALPOST_THROTTLE_H

#include <time.h>

enum throttle_kind {
	THROTTLE_LOGIN_ADDRESS = 0,
	THROTTLE_LOGIN_IP,
	THROTTLE_MAIL_ADDRESS,
	THROTTLE_MAIL_IP,
	THROTTLE_MAIL_ONCE,	/* links sent once per address (unsubscribe) */
	THROTTLE_NKINDS,
};

struct throttle_limit {
	unsigned	max;		/* events allowed within window, >= 1 */
	time_t		window;		/* seconds, >= 1 */
};

/* Defaults: 5 login failures per address and 20 per IP in 15 minutes;
 * 5 link mails per address and 20 per IP in an hour, and one
 * unsubscribe link per address in that hour. */
#define THROTTLE_LOGIN_ADDRESS_MAX	5
#define THROTTLE_LOGIN_IP_MAX		20
#define THROTTLE_LOGIN_WINDOW		(15 * 60)
#define THROTTLE_MAIL_ADDRESS_MAX	5
#define THROTTLE_MAIL_IP_MAX		20
#define THROTTLE_MAIL_WINDOW		(60 * 60)
#define THROTTLE_MAIL_ONCE_MAX		1

#define THROTTLE_MAX_KEYS		65536

struct throttle;

/* limits NULL: the defaults above.  NULL on no memory or a bad limit. */
struct throttle	*throttle_new(const struct throttle_limit limits[THROTTLE_NKINDS]);
void		 throttle_free(struct throttle *t);

/* 1 if key (compared exactly: lowercase addresses first) is blocked. */
int		 throttle_blocked(struct throttle *t, int kind, const char *key,
		    time_t now) __attribute__((warn_unused_result));
/* Count one event for key at now; -1 on no memory. */
int		 throttle_record(struct throttle *t, int kind, const char *key,
		    time_t now);
/* Forget key's events (a successful login clears its address). */
void		 throttle_clear(struct throttle *t, int kind, const char *key);

#endif
