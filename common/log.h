/*
 * Logging: syslog (facility mail by default) or stderr when running in the
 * foreground.  Never pass a password, token, key or message content.
 */
#ifndef SEALPOST_LOG_H
#define SEALPOST_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void	log_init(const char *ident, int foreground, int facility, int level);
void	log_setlevel(int level);
int	log_getlevel(void);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Only before the daemon's main loop: nothing exits inside a callback. */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* "mail", "local0".."local7", "daemon", "user": 0 and *out set, else -1. */
int	log_facility_parse(const char *name, int *out);
/* "err", "warning", "info", "debug": 0 and *out set, else -1. */
int	log_level_parse(const char *name, int *out);

#endif
