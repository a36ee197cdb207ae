/*
 * portal_listen parsing and the refuse-to-start rule: plain HTTP only on
 * loopback or with portal_insecure_http = yes; TLS anywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "http_listen.h"

static const struct {
	const char	*listen;
	int		 tls;
	int		 insecure;
	int		 want;		/* 0 allowed, -1 refused */
} rules[] = {
	{ "127.0.0.1:8080", 0, 0, 0 },
	{ "127.1.2.3:8080", 0, 0, 0 },
	{ "localhost:8080", 0, 0, 0 },
	{ "[::1]:8080", 0, 0, 0 },
	{ "[::ffff:127.0.0.1]:8080", 0, 0, 0 },
	{ "0.0.0.0:8080", 0, 0, -1 },
	{ "*:8080", 0, 0, -1 },
	{ "[::]:8080", 0, 0, -1 },
	{ "192.0.2.10:80", 0, 0, -1 },
	{ "[2001:db8::1]:80", 0, 0, -1 },
	{ "128.0.0.1:80", 0, 0, -1 },
	{ "0.0.0.0:8080", 0, 1, 0 },
	{ "192.0.2.10:80", 0, 1, 0 },
	{ "0.0.0.0:443", 1, 0, 0 },
	{ "[2001:db8::1]:443", 1, 0, 0 },
	{ "127.0.0.1:443", 1, 0, 0 },
	/* Unparseable is refused whatever the rest says. */
	{ "127.0.0.1", 0, 1, -1 },
	{ "127.0.0.1:", 1, 0, -1 },
	{ "127.0.0.1:65536", 1, 0, -1 },
	{ "127.0.0.1:8x", 1, 0, -1 },
	{ "::1:8080", 0, 0, -1 },
	{ "[::1]8080", 0, 0, -1 },
	{ "999.0.0.1:80", 1, 1, -1 },
};

static void
test_rules(void **state)
{
	char	err[512];
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		err[0] = '\0';
		rc = http_listen_allowed(rules[i].listen, rules[i].tls,
		    rules[i].insecure, err, sizeof(err));
		if (rc != rules[i].want)
			fail_msg("%s tls=%d insecure=%d: got %d (%s)",
			    rules[i].listen, rules[i].tls, rules[i].insecure,
			    rc, err);
		if (rc == -1 && err[0] == '\0')
			fail_msg("%s: refused without a message",
			    rules[i].listen);
	}
}

/* The message tells the administrator what to do. */
static void
test_message(void **state)
{
	char	err[512];

	assert_int_equal(http_listen_allowed("0.0.0.0:80", 0, 0, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "0.0.0.0:80"));
	assert_non_null(strstr(err, "portal_tls_cert"));
	assert_non_null(strstr(err, "portal_insecure_http"));
}

/* From a configuration file, as sealpost-portal (and -n) apply it. */
static void
test_from_config(void **state)
{
	static const struct {
		const char	*text;
		int		 want;
	} confs[] = {
		{ "", 0 },	/* default: 127.0.0.1:8080 */
		{ "portal_listen = 0.0.0.0:8080\n", -1 },
		{ "portal_listen = 0.0.0.0:8080\nportal_insecure_http = yes\n",
		    0 },
		{ "portal_listen = 0.0.0.0:443\n"
		    "portal_tls_cert = /etc/ssl/c.pem\n"
		    "portal_tls_key = /etc/ssl/k.pem\n", 0 },
	};
	struct config	cfg;
	char		err[512];
	size_t		i;

	for (i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
		assert_int_equal(config_load_string(&cfg, "test.conf",
		    confs[i].text, err, sizeof(err)), 0);
		assert_int_equal(http_listen_allowed(cfg.portal_listen,
		    cfg.portal_tls_cert[0] != '\0', cfg.portal_insecure_http,
		    err, sizeof(err)), confs[i].want);
		config_free(&cfg);
	}
}

static void
test_split(void **state)
{
	char	host[64], port[8], err[256];

	assert_int_equal(http_listen_split("[::1]:443", host, sizeof(host),
	    port, sizeof(port), err, sizeof(err)), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "443");
	assert_int_equal(http_listen_split("*:0080", host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), 0);
	assert_string_equal(host, "");
	assert_string_equal(port, "80");
	assert_int_equal(http_listen_split("portal.example:8443", host,
	    sizeof(host), port, sizeof(port), err, sizeof(err)), 0);
	assert_string_equal(host, "portal.example");
	assert_int_equal(http_listen_is_loopback("*:80", err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_from_config),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
