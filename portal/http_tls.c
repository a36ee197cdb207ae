/*
 * TLS context for the portal (OpenSSL 3).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http_tls.h"

static void
tls_err(char *err, size_t errlen, const char *what, const char *file)
{
	unsigned long	e = ERR_get_error();
	char		buf[256];

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "unknown error");
	ERR_clear_error();
	snprintf(err, errlen, "%s %s: %s", what, file, buf);
}

SSL_CTX *
http_tls_ctx_new(const char *cert_file, const char *key_file, char *err,
    size_t errlen)
{
	SSL_CTX		*ctx = NULL;
	struct stat	 st;

	/* As OpenDKIM's dkimf_securefile: a key others can read is no key. */
	if (stat(key_file, &st) == -1) {
		snprintf(err, errlen, "portal_tls_key %s: %s", key_file,
		    strerror(errno));
		return NULL;
	}
	if ((st.st_mode & (S_IRWXO)) != 0) {
		snprintf(err, errlen, "portal_tls_key %s: readable by others "
		    "(mode %04o); chmod o-rwx it", key_file,
		    (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_err(err, errlen, "SSL_CTX_new", "");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_err(err, errlen, "TLS minimum version", "");
		goto err;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		tls_err(err, errlen, "portal_tls_cert", cert_file);
		goto err;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		tls_err(err, errlen, "portal_tls_key", key_file);
		goto err;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_err(err, errlen, "portal_tls_key does not match", cert_file);
		goto err;
	}
	return ctx;
err:
	SSL_CTX_free(ctx);
	return NULL;
}
