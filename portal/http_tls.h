/*
 * The portal's TLS context: certificate chain and key from PEM files.
 */
#ifndef SEALPOST_HTTP_TLS_H
#define SEALPOST_HTTP_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/*
 * A server context with TLS 1.2 as the minimum, no compression and no
 * renegotiation.  The key file must not be readable by others (mode
 * & 007 == 0).  NULL with a message in err; the caller frees the
 * context with SSL_CTX_free().
 */
SSL_CTX	*http_tls_ctx_new(const char *cert_file, const char *key_file,
	    char *err, size_t errlen);

#endif
