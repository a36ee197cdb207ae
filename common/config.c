/*
 * sealpost.conf parser: one table of keys with type, default and bounds
 * (in the manner of Postfix's mail_conf tables).  Defaults go through the
 * same parser as file values, so a default can never be out of bounds.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config.h"
#include "log.h"
#include "paths.h"

enum config_type {
	CONF_STRING,
	CONF_BOOL,
	CONF_SIZE,
	CONF_DURATION,
	CONF_COUNT,
	CONF_LIST,
	CONF_ENUM,
	CONF_LOGLEVEL,
	CONF_FACILITY,
};

struct config_key {
	const char		*name;
	enum config_type	 type;
	const char		*defval;
	size_t			 offset;
	uint64_t		 min;
	uint64_t		 max;
	const char *const	*choices;	/* CONF_ENUM: index is the value */
};

#define OFF(f)	offsetof(struct config, f)
#define KIB	1024ULL
#define MIB	(1024ULL * KIB)
#define GIB	(1024ULL * MIB)
#define DAY	86400ULL

static const char *const subject_choices[] = { "original", "generic", NULL };
static const char *const noreply_choices[] = { "reject", "notify", NULL };
static const char *const backend_choices[] = { "lmdb", NULL };

static const struct config_key config_keys[] = {
	{ "milter_socket", CONF_STRING, "inet:8891@127.0.0.1", OFF(milter_socket), 1, 0, NULL },
	{ "milter_user", CONF_STRING, "", OFF(milter_user), 0, 0, NULL },
	{ "store_backend", CONF_ENUM, "lmdb", OFF(store_backend), 0, 0, backend_choices },
	{ "store_path", CONF_STRING, SEALPOST_STORE_PATH, OFF(store_path), 1, 0, NULL },
	{ "store_map_size", CONF_SIZE, "16G", OFF(store_map_size), 1 * MIB, 1024 * GIB, NULL },
	{ "spool_dir", CONF_STRING, SEALPOST_SPOOL_DIR, OFF(spool_dir), 1, 0, NULL },
	{ "master_key_file", CONF_STRING, SEALPOST_KEY_FILE, OFF(master_key_file), 1, 0, NULL },
	{ "internal_domains", CONF_LIST, "", OFF(internal_domains), 0, 0, NULL },
	{ "secure_subject_tags", CONF_LIST, "[secure], [encrypt]", OFF(secure_subject_tags), 0, 0, NULL },
	{ "secure_header", CONF_STRING, "X-Sealpost-Secure: yes", OFF(secure_header), 0, 0, NULL },
	{ "secure_sensitivity", CONF_LIST, "Company-Confidential", OFF(secure_sensitivity), 0, 0, NULL },
	{ "subject_prefix", CONF_STRING, "", OFF(subject_prefix), 0, 0, NULL },
	{ "notification_subject", CONF_ENUM, "original", OFF(notification_subject), 0, 0, subject_choices },
	{ "noreply_address", CONF_STRING, "noreply@localhost", OFF(noreply_address), 3, 0, NULL },
	{ "noreply_action", CONF_ENUM, "reject", OFF(noreply_action), 0, 0, noreply_choices },
	{ "portal_url", CONF_STRING, "https://localhost", OFF(portal_url), 8, 0, NULL },
	{ "portal_listen", CONF_STRING, "127.0.0.1:8080", OFF(portal_listen), 3, 0, NULL },
	{ "portal_tls_cert", CONF_STRING, "", OFF(portal_tls_cert), 0, 0, NULL },
	{ "portal_tls_key", CONF_STRING, "", OFF(portal_tls_key), 0, 0, NULL },
	{ "portal_insecure_http", CONF_BOOL, "no", OFF(portal_insecure_http), 0, 0, NULL },
	{ "sendmail_command", CONF_STRING, "/usr/sbin/sendmail -t -i", OFF(sendmail_command), 1, 0, NULL },
	{ "sendmail_timeout", CONF_DURATION, "60s", OFF(sendmail_timeout), 1, 3600, NULL },
	{ "max_message_size", CONF_SIZE, "100M", OFF(max_message_size), 1 * KIB, 4 * GIB, NULL },
	{ "max_header_size", CONF_SIZE, "256K", OFF(max_header_size), 1 * KIB, 64 * MIB, NULL },
	{ "max_mime_depth", CONF_COUNT, "32", OFF(max_mime_depth), 1, 1000, NULL },
	{ "max_mime_parts", CONF_COUNT, "1000", OFF(max_mime_parts), 1, 1000000, NULL },
	{ "message_retention", CONF_DURATION, "90d", OFF(message_retention), 3600, 36500 * DAY, NULL },
	{ "expiry_reminder", CONF_DURATION, "7d", OFF(expiry_reminder), 0, 365 * DAY, NULL },
	{ "session_idle_timeout", CONF_DURATION, "60m", OFF(session_idle_timeout), 60, 7 * DAY, NULL },
	{ "session_max_lifetime", CONF_DURATION, "12h", OFF(session_max_lifetime), 60, 30 * DAY, NULL },
	{ "session_bind_ip", CONF_BOOL, "yes", OFF(session_bind_ip), 0, 0, NULL },
	{ "verify_link_lifetime", CONF_DURATION, "24h", OFF(verify_link_lifetime), 60, 30 * DAY, NULL },
	{ "reset_link_lifetime", CONF_DURATION, "4h", OFF(reset_link_lifetime), 60, 7 * DAY, NULL },
	{ "password_min_length", CONF_COUNT, "15", OFF(password_min_length), 8, 1024, NULL },
	{ "alias_management", CONF_BOOL, "yes", OFF(alias_management), 0, 0, NULL },
	{ "templates_dir", CONF_STRING, SEALPOST_TEMPLATES_DIR, OFF(templates_dir), 1, 0, NULL },
	{ "log_level", CONF_LOGLEVEL, "info", OFF(log_level), 0, 0, NULL },
	{ "syslog_facility", CONF_FACILITY, "mail", OFF(syslog_facility), 0, 0, NULL },
};

#define NKEYS	(sizeof(config_keys) / sizeof(config_keys[0]))

static void
config_err(char *err, size_t errlen, const char *path, int line,
    const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
config_err(char *err, size_t errlen, const char *path, int line,
    const char *key, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0 && key != NULL)
		snprintf(err, errlen, "%s:%d: %s: %s", path, line, key, msg);
	else if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", path, line, msg);
	else if (key != NULL)
		snprintf(err, errlen, "%s: %s: %s", path, key, msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
}

static int
parse_number(const char *s, uint64_t *num, const char **rest)
{
	char		*end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	*num = v;
	*rest = end;
	return 0;
}

static int
mul_overflows(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b != 0 && a > UINT64_MAX / b)
		return 1;
	*out = a * b;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	const char	*rest;
	uint64_t	 v, mult = 1;

	if (parse_number(s, &v, &rest) == -1)
		return -1;
	switch (*rest) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = KIB;
		rest++;
		break;
	case 'm': case 'M':
		mult = MIB;
		rest++;
		break;
	case 'g': case 'G':
		mult = GIB;
		rest++;
		break;
	default:
		return -1;
	}
	if (*rest != '\0')
		return -1;
	return mul_overflows(v, mult, out) ? -1 : 0;
}

int
config_parse_duration(const char *s, uint64_t *out)
{
	const char	*rest;
	uint64_t	 v, mult = 1;

	if (parse_number(s, &v, &rest) == -1)
		return -1;
	switch (*rest) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = DAY;
		break;
	default:
		return -1;
	}
	if (*rest != '\0' && rest[1] != '\0')
		return -1;
	return mul_overflows(v, mult, out) ? -1 : 0;
}

static int
parse_bool(const char *s, int *out)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcmp(s, "1") == 0)
		*out = 1;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcmp(s, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static void
strlist_clear(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Split on commas and whitespace; empty items are dropped. */
static int
parse_list(const char *s, struct strlist *out)
{
	struct strlist	 l = { NULL, 0 };
	const char	*p = s, *start;
	char		**v;

	for (;;) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ',' && !isspace((unsigned char)*p))
			p++;
		if ((v = reallocarray(l.v, l.n + 2, sizeof(*v))) == NULL)
			goto err;
		l.v = v;
		if ((l.v[l.n] = strndup(start, (size_t)(p - start))) == NULL)
			goto err;
		l.v[++l.n] = NULL;
	}
	if (l.v == NULL && (l.v = calloc(1, sizeof(*l.v))) == NULL)
		goto err;
	strlist_clear(out);
	*out = l;
	return 0;
err:
	strlist_clear(&l);
	return -1;
}

static int
check_bounds(const struct config_key *k, uint64_t v, char *msg, size_t len)
{
	char lo[32], hi[32];

	if (v >= k->min && v <= k->max)
		return 0;
	snprintf(lo, sizeof(lo), "%" PRIu64, k->min);
	snprintf(hi, sizeof(hi), "%" PRIu64, k->max);
	snprintf(msg, len, "value %" PRIu64 " out of range %s..%s%s", v, lo, hi,
	    k->type == CONF_DURATION ? " seconds" :
	    k->type == CONF_SIZE ? " bytes" : "");
	return -1;
}

/* Apply value to key k; on error, msg says why. */
static int
config_set(struct config *cfg, const struct config_key *k, const char *value,
    char *msg, size_t len)
{
	void		*field = (char *)cfg + k->offset;
	uint64_t	 num;
	int		 b, i;
	char		*s;

	switch (k->type) {
	case CONF_STRING:
		if (strlen(value) < k->min) {
			if (k->min == 1)
				snprintf(msg, len, "must not be empty");
			else
				snprintf(msg, len, "\"%s\" is too short", value);
			return -1;
		}
		if ((s = strdup(value)) == NULL) {
			snprintf(msg, len, "out of memory");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case CONF_BOOL:
		if (parse_bool(value, &b) == -1) {
			snprintf(msg, len, "\"%s\" is not yes or no", value);
			return -1;
		}
		*(int *)field = b;
		return 0;
	case CONF_SIZE:
		if (config_parse_size(value, &num) == -1) {
			snprintf(msg, len, "\"%s\" is not a size (number with "
			    "optional K, M or G)", value);
			return -1;
		}
		if (check_bounds(k, num, msg, len) == -1)
			return -1;
		*(uint64_t *)field = num;
		return 0;
	case CONF_DURATION:
		if (config_parse_duration(value, &num) == -1) {
			snprintf(msg, len, "\"%s\" is not a duration (number "
			    "with optional s, m, h or d)", value);
			return -1;
		}
		if (check_bounds(k, num, msg, len) == -1)
			return -1;
		*(uint64_t *)field = num;
		return 0;
	case CONF_COUNT:
		if (config_parse_size(value, &num) == -1 ||
		    strspn(value, "0123456789") != strlen(value)) {
			snprintf(msg, len, "\"%s\" is not a number", value);
			return -1;
		}
		if (check_bounds(k, num, msg, len) == -1)
			return -1;
		*(uint64_t *)field = num;
		return 0;
	case CONF_LIST:
		if (parse_list(value, (struct strlist *)field) == -1) {
			snprintf(msg, len, "out of memory");
			return -1;
		}
		return 0;
	case CONF_ENUM:
		for (i = 0; k->choices[i] != NULL; i++)
			if (strcasecmp(value, k->choices[i]) == 0)
				break;
		if (k->choices[i] == NULL) {
			size_t n = (size_t)snprintf(msg, len,
			    "\"%s\" is not one of", value);
			for (i = 0; k->choices[i] != NULL && n < len; i++)
				n += (size_t)snprintf(msg + n, len - n, " %s",
				    k->choices[i]);
			return -1;
		}
		if (k->offset == OFF(store_backend)) {
			if ((s = strdup(k->choices[i])) == NULL) {
				snprintf(msg, len, "out of memory");
				return -1;
			}
			free(*(char **)field);
			*(char **)field = s;
		} else
			*(int *)field = i;
		return 0;
	case CONF_LOGLEVEL:
		if (log_level_parse(value, &i) == -1) {
			snprintf(msg, len, "\"%s\" is not one of err warning "
			    "info debug", value);
			return -1;
		}
		*(int *)field = i;
		return 0;
	case CONF_FACILITY:
		if (log_facility_parse(value, &i) == -1) {
			snprintf(msg, len, "\"%s\" is not a syslog facility "
			    "(mail, daemon, user, local0..local7)", value);
			return -1;
		}
		*(int *)field = i;
		return 0;
	}
	snprintf(msg, len, "unknown type");
	return -1;
}

static const struct config_key *
config_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

static int
config_defaults(struct config *cfg, char *err, size_t errlen)
{
	char	msg[256];
	size_t	i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		if (config_set(cfg, &config_keys[i], config_keys[i].defval,
		    msg, sizeof(msg)) == -1) {
			config_err(err, errlen, "(defaults)", 0,
			    config_keys[i].name, "%s", msg);
			return -1;
		}
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Checks that involve more than one key. */
static int
config_check(const struct config *cfg, const char *path, char *err,
    size_t errlen)
{
	const char *p;

	if (strchr(cfg->noreply_address, '@') == NULL) {
		config_err(err, errlen, path, 0, "noreply_address",
		    "\"%s\" is not an email address", cfg->noreply_address);
		return -1;
	}
	if (strncmp(cfg->portal_url, "https://", 8) != 0 &&
	    strncmp(cfg->portal_url, "http://", 7) != 0) {
		config_err(err, errlen, path, 0, "portal_url",
		    "\"%s\" must start with https:// or http://",
		    cfg->portal_url);
		return -1;
	}
	if (strncmp(cfg->milter_socket, "inet:", 5) != 0 &&
	    strncmp(cfg->milter_socket, "inet6:", 6) != 0 &&
	    strncmp(cfg->milter_socket, "unix:", 5) != 0 &&
	    strncmp(cfg->milter_socket, "local:", 6) != 0) {
		config_err(err, errlen, path, 0, "milter_socket",
		    "\"%s\" is not inet:PORT@HOST or unix:PATH",
		    cfg->milter_socket);
		return -1;
	}
	p = strchr(cfg->secure_header, ':');
	if (cfg->secure_header[0] != '\0' && (p == NULL ||
	    p == cfg->secure_header)) {
		config_err(err, errlen, path, 0, "secure_header",
		    "\"%s\" is not \"Name: value\"", cfg->secure_header);
		return -1;
	}
	if ((cfg->portal_tls_cert[0] == '\0') != (cfg->portal_tls_key[0] == '\0')) {
		config_err(err, errlen, path, 0, "portal_tls_cert",
		    "portal_tls_cert and portal_tls_key must be set together");
		return -1;
	}
	return 0;
}

/* Copy the physical line at *p into buf (as large as the text); advance *p. */
static void
next_line(const char **p, char *buf)
{
	const char	*eol = strchr(*p, '\n');
	size_t		 len = eol ? (size_t)(eol - *p) : strlen(*p);

	memcpy(buf, *p, len);
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[len - 1] = '\0';
	*p = eol ? eol + 1 : *p + len;
}

static int
blank_or_comment(const char *s)
{
	s += strspn(s, " \t");
	return *s == '\0' || *s == '#';
}

/* Apply one logical line (key = value, continuations joined). */
static int
config_line(struct config *cfg, char *line, const char *path, int keyline,
    char *seen, char *err, size_t errlen)
{
	const struct config_key	*k;
	char			 msg[256];
	char			*key, *value, *eq;

	if ((eq = strchr(line, '=')) == NULL) {
		config_err(err, errlen, path, keyline, NULL,
		    "expected \"key = value\"");
		return -1;
	}
	*eq = '\0';
	value = trim(eq + 1);
	key = trim(line);
	if (*key == '\0') {
		config_err(err, errlen, path, keyline, NULL,
		    "missing key before \"=\"");
		return -1;
	}
	if ((k = config_find(key)) == NULL) {
		config_err(err, errlen, path, keyline, key, "unknown key");
		return -1;
	}
	if (seen[k - config_keys]) {
		config_err(err, errlen, path, keyline, key,
		    "set more than once");
		return -1;
	}
	seen[k - config_keys] = 1;
	if (config_set(cfg, k, value, msg, sizeof(msg)) == -1) {
		config_err(err, errlen, path, keyline, key, "%s", msg);
		return -1;
	}
	return 0;
}

int
config_load_string(struct config *cfg, const char *path, const char *text,
    char *err, size_t errlen)
{
	const char	*p = text;
	char		*line = NULL, *phys = NULL, seen[NKEYS];
	size_t		 used, size = strlen(text) + 2;
	int		 lineno = 0, keyline, rc = -1;

	memset(seen, 0, sizeof(seen));
	if (config_defaults(cfg, err, errlen) == -1)
		return -1;
	/* No line can be longer than the text: no length limit but the file's. */
	if ((line = malloc(size)) == NULL || (phys = malloc(size)) == NULL) {
		config_err(err, errlen, path, 0, NULL, "out of memory");
		goto done;
	}
	while (*p != '\0') {
		keyline = ++lineno;
		next_line(&p, line);
		if (blank_or_comment(line))
			continue;
		if (line[0] == ' ' || line[0] == '\t') {
			config_err(err, errlen, path, lineno, NULL,
			    "continuation line without a key");
			goto done;
		}
		/* Lines that start with whitespace continue the value. */
		used = strlen(line);
		while (*p == ' ' || *p == '\t') {
			lineno++;
			next_line(&p, phys);
			if (blank_or_comment(phys))
				continue;
			line[used++] = ' ';
			strcpy(line + used, phys);
			used += strlen(phys);
		}
		if (config_line(cfg, line, path, keyline, seen, err,
		    errlen) == -1)
			goto done;
	}
	rc = config_check(cfg, path, err, errlen);
done:
	free(line);
	free(phys);
	return rc;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE	*fp;
	char	*text = NULL;
	size_t	 len = 0, cap = 0, n;
	int	 rc = -1;

	if (path == NULL)
		return config_load_string(cfg, "(defaults)", "", err, errlen);
	/* Leave cfg in a state config_free() accepts, even on early error. */
	memset(cfg, 0, sizeof(*cfg));
	if ((fp = fopen(path, "r")) == NULL) {
		config_err(err, errlen, path, 0, NULL, "%s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *t;

			if (cap >= 1024 * 1024) {
				config_err(err, errlen, path, 0, NULL,
				    "file larger than 1 MiB");
				goto done;
			}
			cap = cap ? cap * 2 : 8192;
			if ((t = realloc(text, cap)) == NULL) {
				config_err(err, errlen, path, 0, NULL,
				    "out of memory");
				goto done;
			}
			text = t;
		}
		n = fread(text + len, 1, cap - len - 1, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		config_err(err, errlen, path, 0, NULL, "read error");
		goto done;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		config_err(err, errlen, path, 0, NULL, "file contains a NUL byte");
		goto done;
	}
	rc = config_load_string(cfg, path, text, err, errlen);
done:
	free(text);
	fclose(fp);
	return rc;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NKEYS; i++) {
		void *field = (char *)cfg + config_keys[i].offset;

		switch (config_keys[i].type) {
		case CONF_STRING:
			free(*(char **)field);
			break;
		case CONF_ENUM:
			if (config_keys[i].offset == OFF(store_backend))
				free(*(char **)field);
			break;
		case CONF_LIST:
			strlist_clear((struct strlist *)field);
			break;
		default:
			break;
		}
	}
	memset(cfg, 0, sizeof(*cfg));
}

static const char *
facility_name(int facility)
{
	static const char *const names[] = { "mail", "daemon", "user",
	    "local0", "local1", "local2", "local3", "local4", "local5",
	    "local6", "local7" };
	size_t	i;
	int	v;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (log_facility_parse(names[i], &v) == 0 && v == facility)
			return names[i];
	return "mail";
}

void
config_dump(const struct config *cfg, FILE *fp)
{
	static const char *const levels[] = { "err", "warning", "info", "debug" };
	size_t	i, j;

	for (i = 0; i < NKEYS; i++) {
		const struct config_key	*k = &config_keys[i];
		const void		*field = (const char *)cfg + k->offset;
		const struct strlist	*l;

		fprintf(fp, "%s =", k->name);
		switch (k->type) {
		case CONF_STRING:
			if (**(char *const *)field != '\0')
				fprintf(fp, " %s", *(char *const *)field);
			break;
		case CONF_BOOL:
			fprintf(fp, " %s", *(const int *)field ? "yes" : "no");
			break;
		case CONF_SIZE:
		case CONF_COUNT:
			fprintf(fp, " %" PRIu64, *(const uint64_t *)field);
			break;
		case CONF_DURATION:
			fprintf(fp, " %" PRIu64 "s", *(const uint64_t *)field);
			break;
		case CONF_LIST:
			l = field;
			for (j = 0; j < l->n; j++)
				fprintf(fp, "%s %s", j ? "," : "", l->v[j]);
			break;
		case CONF_ENUM:
			if (k->offset == OFF(store_backend))
				fprintf(fp, " %s", *(char *const *)field);
			else
				fprintf(fp, " %s", k->choices[*(const int *)field]);
			break;
		case CONF_LOGLEVEL:
			fprintf(fp, " %s", levels[*(const int *)field]);
			break;
		case CONF_FACILITY:
			fprintf(fp, " %s", facility_name(*(const int *)field));
			break;
		}
		fputc('\n', fp);
	}
}

int
config_is_internal(const struct config *cfg, const char *addr)
{
	const char	*at, *domain;
	size_t		 i, dlen;

	if ((at = strrchr(addr, '@')) == NULL)
		return 0;
	domain = at + 1;
	dlen = strlen(domain);
	/* Tolerate a trailing '>' of an unstripped <addr>. */
	if (dlen > 0 && domain[dlen - 1] == '>')
		dlen--;
	for (i = 0; i < cfg->internal_domains.n; i++) {
		const char *d = cfg->internal_domains.v[i];

		if (strlen(d) == dlen && strncasecmp(domain, d, dlen) == 0)
			return 1;
	}
	return 0;
}
