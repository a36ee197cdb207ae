/*
 * The config parser: a table of texts and the error each must give (or
 * none), every error path of config.c, typed values, continuation lines,
 * CRLF, line numbers, the file loader, config_dump round trips,
 * config_is_internal, and the example file against the built-in defaults.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

#define PATH	"t.conf"
#define KIB	1024ULL
#define MIB	(1024ULL * KIB)
#define GIB	(1024ULL * MIB)
#define DAY	86400ULL

#define F(f)	offsetof(struct config, f)

/* want: NULL for success, else a substring of the error; a want that
 * starts with PATH must be the start of the error. */
struct err_case {
	const char	*label;
	const char	*text;
	const char	*want;
};

static const struct err_case err_cases[] = {
	/* Structure. */
	{ "empty text", "", NULL },
	{ "only comments and blanks", "# a\n\n   \n\t# b\n#c = d\n", NULL },
	{ "no newline at end", "log_level = debug", NULL },
	{ "unknown key", "log_level = info\nfoo = bar\n",
	    PATH ":2: foo: unknown key" },
	{ "unknown key, case matters", "Log_Level = info\n",
	    PATH ":1: Log_Level: unknown key" },
	{ "key set twice", "log_level = info\n\nlog_level = debug\n",
	    PATH ":3: log_level: set more than once" },
	{ "key set twice, same value", "max_mime_depth = 5\nmax_mime_depth = 5\n",
	    PATH ":2: max_mime_depth: set more than once" },
	{ "line without =", "# c\nlog_level info\n",
	    PATH ":2: expected \"key = value\"" },
	{ "missing key", "= info\n", PATH ":1: missing key before \"=\"" },
	{ "indented first key", "   x = y\n",
	    PATH ":1: continuation line without a key" },
	{ "key of blanks only", "\r = y\n", PATH ":1: missing key before \"=\"" },
	{ "file starts indented", "  log_level = info\n",
	    PATH ":1: continuation line without a key" },
	{ "file starts with tab", "\tinternal_domains = a.com\n",
	    PATH ":1: continuation line without a key" },
	{ "continuation after blank line", "internal_domains = a\n\n  b\n",
	    PATH ":3: continuation line without a key" },

	/* Sizes. */
	{ "size letters", "store_map_size = lots\n",
	    PATH ":1: store_map_size: \"lots\" is not a size" },
	{ "size negative", "store_map_size = -5M\n",
	    PATH ":1: store_map_size: \"-5M\" is not a size" },
	{ "size plus sign", "store_map_size = +5M\n",
	    PATH ":1: store_map_size: \"+5M\" is not a size" },
	{ "size overflow digits", "store_map_size = 99999999999999999999G\n",
	    PATH ":1: store_map_size: \"99999999999999999999G\" is not a size" },
	{ "size overflow multiply", "store_map_size = 17179869184G\n",
	    PATH ":1: store_map_size: \"17179869184G\" is not a size" },
	{ "size suffix T", "store_map_size = 5T\n",
	    PATH ":1: store_map_size: \"5T\" is not a size" },
	{ "size suffix KB", "max_header_size = 5KB\n",
	    PATH ":1: max_header_size: \"5KB\" is not a size" },
	{ "size fraction", "max_header_size = 1.5M\n",
	    PATH ":1: max_header_size: \"1.5M\" is not a size" },
	{ "size empty", "max_header_size =\n",
	    PATH ":1: max_header_size: \"\" is not a size" },
	{ "size inner blank", "max_header_size = 5 K\n",
	    PATH ":1: max_header_size: \"5 K\" is not a size" },
	{ "size below min", "store_map_size = 1K\n",
	    PATH ":1: store_map_size: value 1024 out of range "
	    "1048576..1099511627776 bytes" },
	{ "size above max", "max_message_size = 5G\n",
	    PATH ":1: max_message_size: value 5368709120 out of range "
	    "1024..4294967296 bytes" },
	{ "size at min", "store_map_size = 1M\n", NULL },
	{ "size at max", "max_message_size = 4G\n", NULL },
	{ "size one over max", "max_message_size = 4294967297\n",
	    PATH ":1: max_message_size: value 4294967297 out of range" },
	{ "size one under min", "max_header_size = 1023\n",
	    PATH ":1: max_header_size: value 1023 out of range" },

	/* Durations. */
	{ "duration suffix w", "message_retention = 5w\n",
	    PATH ":1: message_retention: \"5w\" is not a duration" },
	{ "duration suffix first", "message_retention = m5\n",
	    PATH ":1: message_retention: \"m5\" is not a duration" },
	{ "duration fraction", "session_idle_timeout = 1.5h\n",
	    PATH ":1: session_idle_timeout: \"1.5h\" is not a duration" },
	{ "duration two suffixes", "session_idle_timeout = 5ms\n",
	    PATH ":1: session_idle_timeout: \"5ms\" is not a duration" },
	{ "duration negative", "session_idle_timeout = -5m\n",
	    PATH ":1: session_idle_timeout: \"-5m\" is not a duration" },
	{ "duration overflow", "message_retention = 213503982334602d\n",
	    PATH ":1: message_retention: \"213503982334602d\" is not a duration" },
	{ "duration below min", "message_retention = 1s\n",
	    PATH ":1: message_retention: value 1 out of range "
	    "3600..3153600000 seconds" },
	{ "duration above max", "reset_link_lifetime = 8d\n",
	    PATH ":1: reset_link_lifetime: value 691200 out of range "
	    "60..604800 seconds" },
	{ "duration at min", "message_retention = 1h\n", NULL },

	/* Booleans. */
	{ "bool maybe", "session_bind_ip = maybe\n",
	    PATH ":1: session_bind_ip: \"maybe\" is not yes or no" },
	{ "bool 2", "portal_insecure_http = 2\n",
	    PATH ":1: portal_insecure_http: \"2\" is not yes or no" },
	{ "bool empty", "alias_management =\n",
	    PATH ":1: alias_management: \"\" is not yes or no" },

	/* Counts. */
	{ "count trailing letters", "max_mime_depth = 12abc\n",
	    PATH ":1: max_mime_depth: \"12abc\" is not a number" },
	{ "count with size suffix", "max_mime_parts = 12K\n",
	    PATH ":1: max_mime_parts: \"12K\" is not a number" },
	{ "count negative", "max_mime_depth = -1\n",
	    PATH ":1: max_mime_depth: \"-1\" is not a number" },
	{ "count zero below min", "max_mime_depth = 0\n",
	    PATH ":1: max_mime_depth: value 0 out of range 1..1000" },
	{ "count above max", "password_min_length = 1025\n",
	    PATH ":1: password_min_length: value 1025 out of range 8..1024" },
	{ "count below min", "password_min_length = 7\n",
	    PATH ":1: password_min_length: value 7 out of range 8..1024" },

	/* Enums, levels, facilities. */
	{ "enum fancy", "notification_subject = fancy\n",
	    PATH ":1: notification_subject: \"fancy\" is not one of "
	    "original generic" },
	{ "enum noreply", "noreply_action = bounce\n",
	    PATH ":1: noreply_action: \"bounce\" is not one of reject notify" },
	{ "enum backend", "store_backend = pgsql\n",
	    PATH ":1: store_backend: \"pgsql\" is not one of lmdb" },
	{ "log level", "log_level = verbose\n",
	    PATH ":1: log_level: \"verbose\" is not one of err warning info "
	    "debug" },
	{ "facility", "syslog_facility = kern\n",
	    PATH ":1: syslog_facility: \"kern\" is not a syslog facility" },
	{ "facility local8", "syslog_facility = local8\n",
	    PATH ":1: syslog_facility: \"local8\" is not a syslog facility" },

	/* Strings that must not be empty. */
	{ "store_path empty", "store_path =\n",
	    PATH ":1: store_path: must not be empty" },
	{ "store_path blanks", "store_path =   \t\n",
	    PATH ":1: store_path: must not be empty" },
	{ "spool_dir empty", "spool_dir =\n", PATH ":1: spool_dir: must not be empty" },
	{ "milter_socket empty", "milter_socket =\n",
	    PATH ":1: milter_socket: must not be empty" },
	{ "milter_user may be empty", "milter_user =\n", NULL },

	/* Checks across keys: no line. */
	{ "noreply without @", "noreply_address = noreply.example.com\n",
	    PATH ": noreply_address: \"noreply.example.com\" is not an email "
	    "address" },
	{ "portal_url ftp", "portal_url = ftp://portal.example.com\n",
	    PATH ": portal_url: \"ftp://portal.example.com\" must start with "
	    "https:// or http://" },
	{ "portal_url no scheme", "portal_url = portal.example.com\n",
	    PATH ": portal_url: " },
	{ "portal_url http ok", "portal_url = http://portal.example.com\n", NULL },
	{ "milter_socket bare", "milter_socket = 8891@127.0.0.1\n",
	    PATH ": milter_socket: \"8891@127.0.0.1\" is not inet:PORT@HOST or "
	    "unix:PATH" },
	{ "milter_socket unix ok", "milter_socket = unix:/run/s.sock\n", NULL },
	{ "milter_socket inet6 ok", "milter_socket = inet6:8891@[::1]\n", NULL },
	{ "milter_socket local ok", "milter_socket = local:/run/s.sock\n", NULL },
	{ "secure_header no colon", "secure_header = X-Secure yes\n",
	    PATH ": secure_header: \"X-Secure yes\" is not \"Name: value\"" },
	{ "secure_header no name", "secure_header = : yes\n",
	    PATH ": secure_header: \": yes\" is not \"Name: value\"" },
	{ "secure_header empty ok", "secure_header =\n", NULL },
	{ "tls cert without key", "portal_tls_cert = /etc/c.pem\n",
	    PATH ": portal_tls_cert: portal_tls_cert and portal_tls_key must be "
	    "set together" },
	{ "tls key without cert", "portal_tls_key = /etc/k.pem\n",
	    PATH ": portal_tls_cert: portal_tls_cert and portal_tls_key must be "
	    "set together" },
	{ "tls both ok", "portal_tls_cert = /c\nportal_tls_key = /k\n", NULL },

	/* Line numbers in a longer file, continuation and CRLF. */
	{ "line after continuation",
	    "# header\n"
	    "\n"
	    "internal_domains = a.com,\n"
	    "    b.com\n"
	    "  # c.com\n"
	    "\tc.com\n"
	    "log_level = info\n"
	    "max_mime_depth = deep\n",
	    PATH ":8: max_mime_depth: \"deep\" is not a number" },
	{ "error in continued value names key line",
	    "log_level = info\n"
	    "max_mime_depth =\n"
	    "   7\n"
	    "   8\n",
	    PATH ":2: max_mime_depth: \"7    8\" is not a number" },
	{ "crlf line numbers",
	    "log_level = info\r\n\r\n# c\r\nsession_bind_ip = perhaps\r\n",
	    PATH ":4: session_bind_ip: \"perhaps\" is not yes or no" },
	{ "unknown key after continuation",
	    "secure_subject_tags = [a]\n  [b]\n  [c]\nbogus = 1\n",
	    PATH ":4: bogus: unknown key" },
};

static char *
dump_text(const struct config *cfg)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	config_dump(cfg, fp);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(buf);
	return buf;
}

static void
load_ok(struct config *cfg, const char *label, const char *text)
{
	char	err[1024] = "";

	if (config_load_string(cfg, PATH, text, err, sizeof(err)) != 0)
		fail_msg("%s: unexpected error \"%s\"", label, err);
}

static void
check_err(const char *label, int rc, const char *err, const char *want)
{
	if (want == NULL) {
		if (rc != 0)
			fail_msg("%s: unexpected error \"%s\"", label, err);
		return;
	}
	if (rc != -1)
		fail_msg("%s: loaded, want error \"%s\"", label, want);
	if (strstr(err, want) == NULL)
		fail_msg("%s: error \"%s\", want \"%s\"", label, err, want);
	if (strncmp(want, PATH, strlen(PATH)) == 0 &&
	    strncmp(err, want, strlen(want)) != 0)
		fail_msg("%s: error \"%s\" does not start with \"%s\"", label,
		    err, want);
}

static void
test_errors(void **state)
{
	struct config	 cfg;
	char		 err[1024];
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];

		memset(err, 0, sizeof(err));
		rc = config_load_string(&cfg, PATH, c->text, err, sizeof(err));
		check_err(c->label, rc, err, c->want);
		config_free(&cfg);
	}
}

/* No line length limit but the file's: long values load and round-trip. */
static void
test_long_lines(void **state)
{
	struct config	 cfg, again;
	char		 err[1024];
	char		*text, *dump = NULL;
	size_t		 n, dumplen = 0;
	FILE		*fp;
	int		 rc;

	(void)state;
	text = malloc(65536);
	assert_non_null(text);

	n = (size_t)sprintf(text, "log_level = info\nsubject_prefix = ");
	memset(text + n, 'y', 20000);
	strcpy(text + n + 20000, "\ninternal_domains = a\n");
	n = strlen(text);
	for (int i = 0; i < 3; i++) {
		text[n++] = ' ';
		memset(text + n, 'd', 3000);
		n += 3000;
		text[n++] = '\n';
	}
	text[n] = '\0';
	rc = config_load_string(&cfg, PATH, text, err, sizeof(err));
	check_err("long lines", rc, err, NULL);
	assert_int_equal(strlen(cfg.subject_prefix), 20000);
	assert_int_equal(cfg.internal_domains.n, 4);
	assert_int_equal(strlen(cfg.internal_domains.v[3]), 3000);

	/* The dump of such a configuration loads again to the same values. */
	fp = open_memstream(&dump, &dumplen);
	assert_non_null(fp);
	config_dump(&cfg, fp);
	fclose(fp);
	rc = config_load_string(&again, PATH, dump, err, sizeof(err));
	check_err("dump of long lines", rc, err, NULL);
	assert_string_equal(again.subject_prefix, cfg.subject_prefix);
	assert_int_equal(again.internal_domains.n, 4);
	config_free(&again);
	config_free(&cfg);
	free(dump);
	free(text);
}

static void
test_defaults(void **state)
{
	struct config	cfg, cfg2;
	char		err[512] = "";
	char		*d1, *d2;

	(void)state;
	if (config_load(&cfg, NULL, err, sizeof(err)) != 0)
		fail_msg("defaults: %s", err);

	assert_int_equal(cfg.secure_subject_tags.n, 2);
	assert_string_equal(cfg.secure_subject_tags.v[0], "[secure]");
	assert_string_equal(cfg.secure_subject_tags.v[1], "[encrypt]");
	assert_null(cfg.secure_subject_tags.v[2]);
	assert_int_equal(cfg.session_idle_timeout, 3600);
	assert_int_equal(cfg.session_max_lifetime, 12 * 3600);
	assert_int_equal(cfg.verify_link_lifetime, 24 * 3600);
	assert_int_equal(cfg.reset_link_lifetime, 4 * 3600);
	assert_int_equal(cfg.message_retention, 90 * DAY);
	assert_int_equal(cfg.password_min_length, 15);
	assert_string_equal(cfg.store_backend, "lmdb");
	assert_int_equal(cfg.store_map_size, 16 * GIB);
	assert_int_equal(cfg.max_message_size, 100 * MIB);
	assert_int_equal(cfg.max_header_size, 256 * KIB);
	assert_int_equal(cfg.max_mime_depth, 32);
	assert_int_equal(cfg.max_mime_parts, 1000);
	assert_string_equal(cfg.milter_socket, "inet:8891@127.0.0.1");
	assert_string_equal(cfg.milter_user, "");
	assert_string_equal(cfg.secure_header, "X-Sealpost-Secure: yes");
	assert_int_equal(cfg.secure_sensitivity.n, 1);
	assert_string_equal(cfg.secure_sensitivity.v[0], "Company-Confidential");
	assert_int_equal(cfg.internal_domains.n, 0);
	assert_non_null(cfg.internal_domains.v);
	assert_null(cfg.internal_domains.v[0]);
	assert_string_equal(cfg.subject_prefix, "");
	assert_int_equal(cfg.notification_subject, NOTIFICATION_SUBJECT_ORIGINAL);
	assert_string_equal(cfg.noreply_address, "noreply@localhost");
	assert_int_equal(cfg.noreply_action, NOREPLY_REJECT);
	assert_string_equal(cfg.portal_url, "https://localhost");
	assert_string_equal(cfg.portal_listen, "127.0.0.1:8080");
	assert_string_equal(cfg.portal_tls_cert, "");
	assert_string_equal(cfg.portal_tls_key, "");
	assert_false(cfg.portal_insecure_http);
	assert_string_equal(cfg.sendmail_command, "/usr/sbin/sendmail -t -i");
	assert_true(cfg.session_bind_ip);
	assert_true(cfg.alias_management);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_int_equal(cfg.syslog_facility, LOG_MAIL);
	assert_true(cfg.store_path[0] == '/');
	assert_true(cfg.spool_dir[0] == '/');
	assert_true(cfg.master_key_file[0] == '/');
	assert_true(cfg.templates_dir[0] == '/');

	/* An empty file is the defaults too. */
	load_ok(&cfg2, "empty", "");
	d1 = dump_text(&cfg);
	d2 = dump_text(&cfg2);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	config_free(&cfg2);
	config_free(&cfg);
}

struct num_case {
	const char	*label;
	const char	*text;
	size_t		 off;
	uint64_t	 want;
};

static const struct num_case num_cases[] = {
	{ "size bytes", "max_header_size = 2000", F(max_header_size), 2000 },
	{ "size k", "max_header_size = 3k", F(max_header_size), 3 * KIB },
	{ "size K", "max_header_size = 3K", F(max_header_size), 3 * KIB },
	{ "size m", "max_message_size = 7m", F(max_message_size), 7 * MIB },
	{ "size M", "max_message_size = 7M", F(max_message_size), 7 * MIB },
	{ "size g", "store_map_size = 2g", F(store_map_size), 2 * GIB },
	{ "size G", "store_map_size = 1024G", F(store_map_size), 1024 * GIB },
	{ "size leading zeros", "max_header_size = 0010K", F(max_header_size),
	    10 * KIB },
	{ "duration bare", "session_idle_timeout = 120",
	    F(session_idle_timeout), 120 },
	{ "duration s", "session_idle_timeout = 90s",
	    F(session_idle_timeout), 90 },
	{ "duration m", "session_idle_timeout = 15m",
	    F(session_idle_timeout), 900 },
	{ "duration h", "session_max_lifetime = 2h",
	    F(session_max_lifetime), 7200 },
	{ "duration d", "message_retention = 30d", F(message_retention),
	    30 * DAY },
	{ "duration big d", "message_retention = 36500d", F(message_retention),
	    36500 * DAY },
	{ "count", "max_mime_depth = 7", F(max_mime_depth), 7 },
	{ "count max", "max_mime_parts = 1000000", F(max_mime_parts), 1000000 },
	{ "count blanks", "password_min_length =   20   ",
	    F(password_min_length), 20 },
};

static void
test_numbers(void **state)
{
	struct config	cfg;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		const struct num_case	*c = &num_cases[i];
		uint64_t		 got;

		load_ok(&cfg, c->label, c->text);
		memcpy(&got, (char *)&cfg + c->off, sizeof(got));
		if (got != c->want)
			fail_msg("%s: got %llu, want %llu", c->label,
			    (unsigned long long)got,
			    (unsigned long long)c->want);
		config_free(&cfg);
	}
}

struct parse_case {
	const char	*s;
	int		 ok;
	uint64_t	 want;
};

static const struct parse_case size_cases[] = {
	{ "0", 1, 0 },
	{ "1", 1, 1 },
	{ "1k", 1, KIB },
	{ "1K", 1, KIB },
	{ "5m", 1, 5 * MIB },
	{ "5M", 1, 5 * MIB },
	{ "3g", 1, 3 * GIB },
	{ "3G", 1, 3 * GIB },
	{ "18446744073709551615", 1, UINT64_MAX },
	{ "17179869183G", 1, 17179869183ULL * GIB },
	{ "18446744073709551616", 0, 0 },
	{ "17179869184G", 0, 0 },
	{ "99999999999999999999G", 0, 0 },
	{ "", 0, 0 },
	{ "K", 0, 0 },
	{ "5T", 0, 0 },
	{ "5KB", 0, 0 },
	{ "5 K", 0, 0 },
	{ " 5", 0, 0 },
	{ "-5", 0, 0 },
	{ "+5", 0, 0 },
	{ "1.5K", 0, 0 },
	{ "0x10", 0, 0 },
};

static const struct parse_case duration_cases[] = {
	{ "0", 1, 0 },
	{ "30", 1, 30 },
	{ "30s", 1, 30 },
	{ "5m", 1, 300 },
	{ "2h", 1, 7200 },
	{ "90d", 1, 90 * DAY },
	{ "213503982334601d", 1, 213503982334601ULL * DAY },
	{ "213503982334602d", 0, 0 },
	{ "99999999999999999999", 0, 0 },
	{ "", 0, 0 },
	{ "s", 0, 0 },
	{ "5w", 0, 0 },
	{ "m5", 0, 0 },
	{ "1.5h", 0, 0 },
	{ "5ms", 0, 0 },
	{ "5hh", 0, 0 },
	{ "5 m", 0, 0 },
	{ "-5m", 0, 0 },
	{ " 5m", 0, 0 },
};

static void
run_parse_cases(const char *what, const struct parse_case *cases, size_t n,
    int (*parse)(const char *, uint64_t *))
{
	size_t	i;

	for (i = 0; i < n; i++) {
		uint64_t	got = 12345;
		int		rc = parse(cases[i].s, &got);

		if (cases[i].ok && rc != 0)
			fail_msg("%s \"%s\": rejected", what, cases[i].s);
		if (!cases[i].ok && rc != -1)
			fail_msg("%s \"%s\": accepted as %llu", what,
			    cases[i].s, (unsigned long long)got);
		if (cases[i].ok && got != cases[i].want)
			fail_msg("%s \"%s\": got %llu, want %llu", what,
			    cases[i].s, (unsigned long long)got,
			    (unsigned long long)cases[i].want);
	}
}

static void
test_parse_size_duration(void **state)
{
	(void)state;
	run_parse_cases("size", size_cases,
	    sizeof(size_cases) / sizeof(size_cases[0]), config_parse_size);
	run_parse_cases("duration", duration_cases,
	    sizeof(duration_cases) / sizeof(duration_cases[0]),
	    config_parse_duration);
}

struct int_case {
	const char	*label;
	const char	*text;
	size_t		 off;
	int		 want;
};

static const struct int_case int_cases[] = {
	{ "bool yes", "portal_insecure_http = yes", F(portal_insecure_http), 1 },
	{ "bool YES", "portal_insecure_http = YES", F(portal_insecure_http), 1 },
	{ "bool true", "portal_insecure_http = true", F(portal_insecure_http), 1 },
	{ "bool 1", "portal_insecure_http = 1", F(portal_insecure_http), 1 },
	{ "bool no", "session_bind_ip = no", F(session_bind_ip), 0 },
	{ "bool False", "session_bind_ip = False", F(session_bind_ip), 0 },
	{ "bool 0", "alias_management = 0", F(alias_management), 0 },
	{ "enum generic", "notification_subject = generic",
	    F(notification_subject), NOTIFICATION_SUBJECT_GENERIC },
	{ "enum GENERIC", "notification_subject = GENERIC",
	    F(notification_subject), NOTIFICATION_SUBJECT_GENERIC },
	{ "enum original", "notification_subject = original",
	    F(notification_subject), NOTIFICATION_SUBJECT_ORIGINAL },
	{ "enum notify", "noreply_action = notify", F(noreply_action),
	    NOREPLY_NOTIFY },
	{ "enum reject", "noreply_action = reject", F(noreply_action),
	    NOREPLY_REJECT },
	{ "level err", "log_level = err", F(log_level), LOG_LEVEL_ERR },
	{ "level warning", "log_level = warning", F(log_level),
	    LOG_LEVEL_WARNING },
	{ "level debug", "log_level = debug", F(log_level), LOG_LEVEL_DEBUG },
	{ "facility daemon", "syslog_facility = daemon", F(syslog_facility),
	    LOG_DAEMON },
	{ "facility user", "syslog_facility = user", F(syslog_facility),
	    LOG_USER },
	{ "facility local0", "syslog_facility = local0", F(syslog_facility),
	    LOG_LOCAL0 },
	{ "facility local7", "syslog_facility = local7", F(syslog_facility),
	    LOG_LOCAL7 },
};

static void
test_ints(void **state)
{
	struct config	cfg;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
		const struct int_case	*c = &int_cases[i];
		int			 got;

		load_ok(&cfg, c->label, c->text);
		memcpy(&got, (char *)&cfg + c->off, sizeof(got));
		if (got != c->want)
			fail_msg("%s: got %d, want %d", c->label, got, c->want);
		config_free(&cfg);
	}
}

struct str_case {
	const char	*label;
	const char	*text;
	size_t		 off;
	const char	*want;
};

static const struct str_case str_cases[] = {
	{ "trimmed", "subject_prefix =   [Secure]  \t", F(subject_prefix),
	    "[Secure]" },
	{ "no blanks around =", "subject_prefix=[S]", F(subject_prefix), "[S]" },
	{ "inner blanks kept", "sendmail_command = /usr/sbin/sendmail  -t -i",
	    F(sendmail_command), "/usr/sbin/sendmail  -t -i" },
	{ "value with =", "secure_header = X-Flag: a=b", F(secure_header),
	    "X-Flag: a=b" },
	{ "value with #", "subject_prefix = #1 [ext]", F(subject_prefix),
	    "#1 [ext]" },
	{ "crlf", "subject_prefix = [ext]\r\nlog_level = info\r\n",
	    F(subject_prefix), "[ext]" },
	{ "crlf last line", "log_level = info\r\nsubject_prefix = [x]\r",
	    F(subject_prefix), "[x]" },
	{ "continued string", "sendmail_command = /usr/sbin/sendmail\n  -t -i\n",
	    F(sendmail_command), "/usr/sbin/sendmail   -t -i" },
	{ "backend any case", "store_backend = LMDB", F(store_backend), "lmdb" },
	{ "empty prefix", "subject_prefix =", F(subject_prefix), "" },
	{ "utf-8 kept", "subject_prefix = [s\xc3\xa9" "curis\xc3\xa9]",
	    F(subject_prefix), "[s\xc3\xa9" "curis\xc3\xa9]" },
};

static void
test_strings(void **state)
{
	struct config	cfg;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(str_cases) / sizeof(str_cases[0]); i++) {
		const struct str_case	*c = &str_cases[i];
		char			*got;

		load_ok(&cfg, c->label, c->text);
		memcpy(&got, (char *)&cfg + c->off, sizeof(got));
		if (strcmp(got, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->label, got,
			    c->want);
		config_free(&cfg);
	}
}

struct list_case {
	const char	*label;
	const char	*text;
	size_t		 off;
	const char	*want[6];	/* NULL-terminated */
};

static const struct list_case list_cases[] = {
	{ "commas", "internal_domains = a.com,b.com,c.com",
	    F(internal_domains), { "a.com", "b.com", "c.com", NULL } },
	{ "blanks", "internal_domains = a.com b.com\tc.com",
	    F(internal_domains), { "a.com", "b.com", "c.com", NULL } },
	{ "mixed, empty items", "internal_domains = ,a.com,, b.com ,\t,c.com,",
	    F(internal_domains), { "a.com", "b.com", "c.com", NULL } },
	{ "empty", "secure_sensitivity =", F(secure_sensitivity), { NULL } },
	{ "only commas", "secure_sensitivity = , ,,", F(secure_sensitivity),
	    { NULL } },
	{ "three lines",
	    "internal_domains = a.com,\n    b.com,\n\tc.com\nlog_level = info\n",
	    F(internal_domains), { "a.com", "b.com", "c.com", NULL } },
	{ "value on continuation only",
	    "internal_domains =\n  a.com\n  b.com\n",
	    F(internal_domains), { "a.com", "b.com", NULL } },
	{ "comment inside continuation",
	    "internal_domains = a.com,\n  # b.com,\n  c.com\n",
	    F(internal_domains), { "a.com", "c.com", NULL } },
	{ "blank line inside continuation",
	    "internal_domains = a.com\n   \n  c.com\n",
	    F(internal_domains), { "a.com", "c.com", NULL } },
	{ "crlf continuation",
	    "internal_domains = a.com,\r\n  b.com\r\n  c.com\r\nlog_level = info\r\n",
	    F(internal_domains), { "a.com", "b.com", "c.com", NULL } },
	{ "tags keep brackets", "secure_subject_tags = [conf] [S]",
	    F(secure_subject_tags), { "[conf]", "[S]", NULL } },
	{ "after a comment line",
	    "# internal_domains = x.com\ninternal_domains = y.com\n",
	    F(internal_domains), { "y.com", NULL } },
};

static void
test_lists(void **state)
{
	struct config	cfg;
	size_t		i, j;

	(void)state;
	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case	*c = &list_cases[i];
		struct strlist		 l;

		load_ok(&cfg, c->label, c->text);
		memcpy(&l, (char *)&cfg + c->off, sizeof(l));
		assert_non_null(l.v);
		for (j = 0; c->want[j] != NULL; j++) {
			if (j >= l.n)
				fail_msg("%s: %zu items, want more", c->label,
				    l.n);
			if (strcmp(l.v[j], c->want[j]) != 0)
				fail_msg("%s: item %zu \"%s\", want \"%s\"",
				    c->label, j, l.v[j], c->want[j]);
		}
		if (l.n != j)
			fail_msg("%s: %zu items, want %zu", c->label, l.n, j);
		assert_null(l.v[l.n]);
		config_free(&cfg);
	}
}

static const char full_text[] =
    "# every key set to something other than its default\n"
    "milter_socket = unix:/run/sealpost/milter.sock\n"
    "milter_user = sealpost\n"
    "store_backend = LMDB\n"
    "store_path = /srv/sealpost store\n"
    "store_map_size = 2g\n"
    "spool_dir = /srv/spool\n"
    "master_key_file = /srv/master.key\n"
    "internal_domains = example.com,Example.ORG\n"
    "   sub.example.net\n"
    "secure_subject_tags = [secure] [conf]\n"
    "secure_header = X-Flag: a=b\n"
    "secure_sensitivity =\n"
    "subject_prefix = [via portal]\n"
    "notification_subject = generic\n"
    "noreply_address = Nobody <noreply@example.com>\n"
    "noreply_action = notify\n"
    "portal_url = http://portal.example.com/\n"
    "portal_listen = [::1]:8443\n"
    "portal_tls_cert = /c.pem\n"
    "portal_tls_key = /k.pem\n"
    "portal_insecure_http = true\n"
    "sendmail_command = /usr/sbin/sendmail  -t -i\n"
    "max_message_size = 10M\n"
    "max_header_size = 64k\n"
    "max_mime_depth = 7\n"
    "max_mime_parts = 99\n"
    "message_retention = 30d\n"
    "session_idle_timeout = 15m\n"
    "session_max_lifetime = 2h\n"
    "session_bind_ip = no\n"
    "verify_link_lifetime = 3600\n"
    "reset_link_lifetime = 90s\n"
    "password_min_length = 20\n"
    "alias_management = 0\n"
    "templates_dir = /srv/templates\n"
    "log_level = debug\n"
    "syslog_facility = local5\n";

/* Lines the dump of full_text must hold, exactly. */
static const char *const full_dump_lines[] = {
	"milter_socket = unix:/run/sealpost/milter.sock",
	"milter_user = sealpost",
	"store_backend = lmdb",
	"store_path = /srv/sealpost store",
	"store_map_size = 2147483648",
	"internal_domains = example.com, Example.ORG, sub.example.net",
	"secure_subject_tags = [secure], [conf]",
	"secure_header = X-Flag: a=b",
	"secure_sensitivity =",
	"notification_subject = generic",
	"noreply_address = Nobody <noreply@example.com>",
	"noreply_action = notify",
	"portal_insecure_http = yes",
	"sendmail_command = /usr/sbin/sendmail  -t -i",
	"max_header_size = 65536",
	"max_mime_depth = 7",
	"message_retention = 2592000s",
	"session_idle_timeout = 900s",
	"reset_link_lifetime = 90s",
	"session_bind_ip = no",
	"alias_management = no",
	"log_level = debug",
	"syslog_facility = local5",
};

static int
has_line(const char *text, const char *line)
{
	size_t		 len = strlen(line);
	const char	*p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return 1;
		p++;
	}
	return 0;
}

static void
roundtrip(const char *label, const char *text)
{
	struct config	 a, b;
	char		*d1, *d2;

	load_ok(&a, label, text);
	d1 = dump_text(&a);
	load_ok(&b, label, d1);
	d2 = dump_text(&b);
	if (strcmp(d1, d2) != 0)
		fail_msg("%s: dump changed:\n%s\n---\n%s", label, d1, d2);
	free(d1);
	free(d2);
	config_free(&a);
	config_free(&b);
}

static void
test_dump(void **state)
{
	struct config	 cfg;
	char		*d;
	const char	*p;
	size_t		 i, lines = 0;

	(void)state;
	load_ok(&cfg, "full", full_text);
	d = dump_text(&cfg);
	for (i = 0; i < sizeof(full_dump_lines) / sizeof(full_dump_lines[0]); i++)
		if (!has_line(d, full_dump_lines[i]))
			fail_msg("dump lacks \"%s\":\n%s", full_dump_lines[i], d);
	/* One line per key, each "key =" or "key = value". */
	for (p = d; *p != '\0'; p = strchr(p, '\n') + 1) {
		assert_non_null(strchr(p, '\n'));
		assert_non_null(strstr(p, " ="));
		lines++;
	}
	assert_int_equal(lines, 38);
	free(d);
	config_free(&cfg);

	roundtrip("full", full_text);
	roundtrip("defaults", "");
	roundtrip("example-like",
	    "internal_domains = a.example, b.example\n"
	    "secure_subject_tags = [a],[b],[c]\n"
	    "subject_prefix = [ext] #1\n");
}

static void
test_is_internal(void **state)
{
	static const struct {
		const char	*addr;
		int		 want;
	} cases[] = {
		{ "alice@example.com", 1 },
		{ "Alice@EXAMPLE.COM", 1 },
		{ "bob@corp.example.net", 1 },
		{ "bob@CORP.example.NET", 1 },
		{ "alice@example.com>", 1 },
		{ "<alice@example.com>", 1 },
		{ "bob@sub.example.com", 0 },
		{ "bob@example.com.evil.org", 0 },
		{ "bob@notexample.com", 0 },
		{ "bob@example.co", 0 },
		{ "bob@example.comm", 0 },
		{ "bob@example.com>>", 0 },
		{ "example.com", 0 },
		{ "alice", 0 },
		{ "alice@", 0 },
		{ "@", 0 },
		{ "", 0 },
	};
	struct config	cfg;
	size_t		i;

	(void)state;
	load_ok(&cfg, "internal",
	    "internal_domains = example.com,\n  Corp.Example.NET\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (config_is_internal(&cfg, cases[i].addr) != cases[i].want)
			fail_msg("\"%s\": want %d", cases[i].addr,
			    cases[i].want);
	config_free(&cfg);

	/* No internal domains: nothing is internal. */
	load_ok(&cfg, "none", "");
	assert_int_equal(config_is_internal(&cfg, "alice@example.com"), 0);
	assert_int_equal(config_is_internal(&cfg, "alice@localhost"), 0);
	config_free(&cfg);
}

static char	 tmpdir[] = "/tmp/test_config.XXXXXX";

static char *
tmp_write(const char *name, const void *data, size_t len)
{
	char	*path;
	FILE	*fp;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static void
test_files(void **state)
{
	static const char good[] =
	    "# ok\ninternal_domains = a.com,\n  b.com\nlog_level = debug\n";
	static const char bad[] =
	    "log_level = info\n\nmax_mime_depth = 0\n";
	static const char nul[] = "log_level = info\n\0log_level = debug\n";
	struct config	 cfg;
	char		 err[1024], want[1200];
	char		*path, *big;
	size_t		 bigsz = 2 * 1024 * 1024;
	int		 rc;

	(void)state;
	assert_non_null(mkdtemp(tmpdir));

	/* A good file. */
	path = tmp_write("good.conf", good, sizeof(good) - 1);
	rc = config_load(&cfg, path, err, sizeof(err));
	check_err("good file", rc, err, NULL);
	assert_int_equal(cfg.internal_domains.n, 2);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	config_free(&cfg);
	unlink(path);
	free(path);

	/* Errors name the file as given. */
	path = tmp_write("bad.conf", bad, sizeof(bad) - 1);
	rc = config_load(&cfg, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:3: max_mime_depth: value 0 out of "
	    "range", path);
	check_err("bad file", rc, err, want);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	config_free(&cfg);
	unlink(path);
	free(path);

	/* A missing file. */
	assert_true(asprintf(&path, "%s/missing.conf", tmpdir) > 0);
	rc = config_load(&cfg, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	check_err("missing file", rc, err, want);
	assert_string_equal(err, want);
	config_free(&cfg);
	free(path);

	/* A directory. */
	rc = config_load(&cfg, tmpdir, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: ", tmpdir);
	check_err("directory", rc, err, want);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	config_free(&cfg);

	/* A NUL byte. */
	path = tmp_write("nul.conf", nul, sizeof(nul) - 1);
	rc = config_load(&cfg, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: file contains a NUL byte", path);
	check_err("nul byte", rc, err, want);
	assert_string_equal(err, want);
	config_free(&cfg);
	unlink(path);
	free(path);

	/* Larger than 1 MiB (of comments, otherwise valid). */
	big = malloc(bigsz);
	assert_non_null(big);
	memset(big, ' ', bigsz);
	big[0] = '#';
	big[bigsz - 1] = '\n';
	path = tmp_write("big.conf", big, bigsz);
	rc = config_load(&cfg, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: file larger than 1 MiB", path);
	check_err("big file", rc, err, want);
	assert_string_equal(err, want);
	config_free(&cfg);
	unlink(path);
	free(path);

	/* Just under the limit is read whole: the last line counts. */
	memset(big, '#', 1000 * 1000);
	for (size_t i = 99; i < 1000 * 1000; i += 100)
		big[i] = '\n';
	memcpy(big + 1000 * 1000, "log_level = err\n", 16);
	path = tmp_write("large.conf", big, 1000 * 1000 + 16);
	rc = config_load(&cfg, path, err, sizeof(err));
	check_err("large file", rc, err, NULL);
	assert_int_equal(cfg.log_level, LOG_LEVEL_ERR);
	config_free(&cfg);
	unlink(path);
	free(path);
	free(big);

	/* config_free after a failed load, twice, and on NULL. */
	config_free(&cfg);
	config_free(NULL);
	rmdir(tmpdir);
}

static char *
read_all(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len > 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

/* Keys whose defaults depend on the install layout, not on the code. */
static int
layout_key(const char *line)
{
	static const char *const keys[] = { "store_path", "spool_dir",
	    "master_key_file", "templates_dir" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strncmp(line, keys[i], strlen(keys[i])) == 0 &&
		    line[strlen(keys[i])] == ' ')
			return 1;
	return 0;
}

/*
 * The example loads; and "every key is shown here with its default": with
 * its commented "#key = value" lines uncommented it loads to the same
 * configuration, and each key of the dump appears in it.
 */
static void
test_example(void **state)
{
	const char	*path = SOURCE_DIR "/conf/sealpost.conf";
	struct config	 a, b, def;
	char		 err[1024];
	char		*text, *un, *line, *da, *db, *dd, *p, *nl;
	size_t		 len, n = 0;

	(void)state;
	if (config_load(&a, path, err, sizeof(err)) != 0)
		fail_msg("example: %s", err);
	assert_int_equal(a.internal_domains.n, 1);
	assert_string_equal(a.internal_domains.v[0], "example.com");

	text = read_all(path);
	len = strlen(text);
	un = malloc(len + 1);
	assert_non_null(un);
	for (line = text; *line != '\0'; line = nl) {
		size_t	k;

		nl = strchr(line, '\n');
		nl = nl ? nl + 1 : line + strlen(line);
		k = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_");
		if (line[0] == '#' && k > 0 && line[1 + k] == ' ' &&
		    line[2 + k] == '=' && !layout_key(line + 1))
			line++;
		memcpy(un + n, line, (size_t)(nl - line));
		n += (size_t)(nl - line);
	}
	un[n] = '\0';
	if (config_load_string(&b, path, un, err, sizeof(err)) != 0)
		fail_msg("example uncommented: %s", err);
	da = dump_text(&a);
	db = dump_text(&b);
	if (strcmp(da, db) != 0)
		fail_msg("example's commented values differ from the "
		    "defaults:\n%s\n---\n%s", da, db);

	load_ok(&def, "defaults", "");
	dd = dump_text(&def);
	for (p = dd; *p != '\0'; p = strchr(p, '\n') + 1) {
		char	key[64], pat[80];
		size_t	klen = strcspn(p, " ");

		assert_true(klen < sizeof(key));
		memcpy(key, p, klen);
		key[klen] = '\0';
		snprintf(pat, sizeof(pat), "\n%s =", key);
		if (strstr(text, pat) == NULL) {
			snprintf(pat, sizeof(pat), "\n#%s =", key);
			if (strstr(text, pat) == NULL)
				fail_msg("example does not show %s", key);
		}
	}
	free(dd);
	free(da);
	free(db);
	free(un);
	free(text);
	config_free(&def);
	config_free(&a);
	config_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_parse_size_duration),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_is_internal),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
