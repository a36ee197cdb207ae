/*
 * Test helpers: in-process server thread and a blocking raw client.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "http_router.h"
#include "http_server.h"
#include "portal_test.h"
#include "workpool.h"

long long
pt_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pt_init(struct pt_server *s)
{
	memset(s, 0, sizeof(*s));
	/* So that pt_stop() can break the loop from this thread. */
	if (evthread_use_pthreads() == -1)
		abort();
	if ((s->base = event_base_new()) == NULL ||
	    (s->router = http_router_new()) == NULL)
		abort();
}

static void *
pt_loop(void *arg)
{
	struct pt_server	*s = arg;

	event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

void
pt_start(struct pt_server *s, const struct http_server_options *opt,
    const char *cert, const char *key)
{
	struct http_server_options	 def;
	char				 err[512];

	if (opt == NULL) {
		http_server_options_default(&def);
		opt = &def;
	}
	if ((s->srv = http_server_new(s->base, opt, s->router)) == NULL)
		abort();
	if (cert != NULL && http_server_set_tls(s->srv, cert, key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "tls: %s\n", err);
		abort();
	}
	if (http_server_listen(s->srv, "127.0.0.1:0", err, sizeof(err)) == -1) {
		fprintf(stderr, "listen: %s\n", err);
		abort();
	}
	s->port = http_server_port(s->srv);
	if (pthread_create(&s->thread, NULL, pt_loop, s) != 0)
		abort();
	s->running = 1;
}

void
pt_stop(struct pt_server *s)
{
	if (s->running) {
		event_base_loopbreak(s->base);
		pthread_join(s->thread, NULL);
	}
	workpool_free(s->hash_pool);
	workpool_free(s->pool);
	http_server_free(s->srv);
	http_router_free(s->router);
	event_base_free(s->base);
	memset(s, 0, sizeof(*s));
}

int
pt_connect(struct pt_conn *c, int port, int tls)
{
	struct sockaddr_in	sin;

	memset(c, 0, sizeof(*c));
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto err;
	if (!tls)
		return 0;
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (c->ssl = SSL_new(c->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1)
		goto err;
	return 0;
err:
	pt_close(c);
	return -1;
}

void
pt_close(struct pt_conn *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd > 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int
pt_send(struct pt_conn *c, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if (c->ssl != NULL)
			n = SSL_write(c->ssl, p, len > 65536 ? 65536 : len);
		else
			n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int
pt_send_str(struct pt_conn *c, const char *s)
{
	return pt_send(c, s, strlen(s));
}

/* Read more into c->buf: 1 data, 0 EOF, -1 error or timeout. */
static int
pt_fill(struct pt_conn *c, long long deadline)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	long long	 left;
	char		*nb;

	if (c->cap - c->len < 65536) {
		if ((nb = realloc(c->buf, c->cap + 131072)) == NULL)
			return -1;
		c->buf = nb;
		c->cap += 131072;
	}
	if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
		if ((left = deadline - pt_now_ms()) <= 0)
			return -1;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) <= 0)
			return -1;
	}
	if (c->ssl != NULL) {
		n = SSL_read(c->ssl, c->buf + c->len, c->cap - c->len - 1);
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);

			ERR_clear_error();
			if (e == SSL_ERROR_WANT_READ)
				return pt_fill(c, deadline);
			return e == SSL_ERROR_ZERO_RETURN ||
			    e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL ? 0 : -1;
		}
	} else {
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 0;
		if (n < 0)
			return -1;
	}
	c->len += n;
	c->buf[c->len] = '\0';
	return 1;
}

static char *
pt_memmem_crlf2(const char *buf, size_t len)
{
	return memmem(buf, len, "\r\n\r\n", 4);
}

const char *
pt_header(const struct pt_response *r, const char *name, char *buf,
    size_t len)
{
	const char	*p = r->head, *eol, *v;
	size_t		 nl = strlen(name), vl;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			v = p + nl + 1;
			while (*v == ' ')
				v++;
			if ((eol = strstr(v, "\r\n")) == NULL)
				eol = v + strlen(v);
			vl = eol - v;
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
	}
	return NULL;
}

int
pt_read_response(struct pt_conn *c, struct pt_response *r, int timeout_ms)
{
	long long	 deadline = pt_now_ms() + timeout_ms;
	char		*end, cl[32];
	size_t		 head_len, body_len = 0;
	int		 rc;

	memset(r, 0, sizeof(*r));
	while ((end = c->len > 0 ? pt_memmem_crlf2(c->buf, c->len) : NULL) ==
	    NULL) {
		if ((rc = pt_fill(c, deadline)) <= 0)
			return -1;
	}
	head_len = end - c->buf + 4;
	if ((r->head = strndup(c->buf, head_len - 2)) == NULL)
		return -1;
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
		goto err;
	if (pt_header(r, "Content-Length", cl, sizeof(cl)) != NULL)
		body_len = strtoul(cl, NULL, 10);
	while (c->len < head_len + body_len)
		if (pt_fill(c, deadline) <= 0)
			goto err;
	if ((r->body = malloc(body_len + 1)) == NULL)
		goto err;
	memcpy(r->body, c->buf + head_len, body_len);
	r->body[body_len] = '\0';
	r->body_len = body_len;
	memmove(c->buf, c->buf + head_len + body_len,
	    c->len - head_len - body_len);
	c->len -= head_len + body_len;
	return 0;
err:
	pt_response_free(r);
	return -1;
}

void
pt_response_free(struct pt_response *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int
pt_wait_closed(struct pt_conn *c, int timeout_ms)
{
	long long	deadline = pt_now_ms() + timeout_ms;
	int		rc;

	for (;;) {
		c->len = 0;
		if ((rc = pt_fill(c, deadline)) == 0)
			return 1;
		if (rc == -1)
			return 0;
	}
}

int
pt_read_to_close(struct pt_conn *c, int timeout_ms)
{
	long long	deadline = pt_now_ms() + timeout_ms;
	int		rc;

	while ((rc = pt_fill(c, deadline)) == 1)
		;
	return rc == 0;
}

int
pt_silent(struct pt_conn *c, int ms)
{
	struct pollfd	pfd;

	if (c->len > 0)
		return 0;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, ms) == 0;
}

int
pt_exchange(int port, const void *req, size_t len, struct pt_response *r)
{
	struct pt_conn	c;
	int		rc = -1;

	if (pt_connect(&c, port, 0) == -1)
		return -1;
	if (pt_send(&c, req, len) == 0)
		rc = pt_read_response(&c, r, 5000);
	pt_close(&c);
	return rc;
}

int
pt_make_cert(const char *dir, char *cert, size_t certlen, char *key,
    size_t keylen)
{
	EVP_PKEY	*pkey = NULL;
	X509		*x = NULL;
	X509_NAME	*name;
	X509_EXTENSION	*ext = NULL;
	X509V3_CTX	 v3;
	FILE		*fp = NULL;
	int		 rc = -1;

	snprintf(cert, certlen, "%s/cert.pem", dir);
	snprintf(key, keylen, "%s/key.pem", dir);
	if ((pkey = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto done;
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    X509_set_pubkey(x, pkey) != 1)
		goto done;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"127.0.0.1", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto done;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "IP:127.0.0.1")) == NULL || X509_add_ext(x, ext, -1) != 1)
		goto done;
	if (X509_sign(x, pkey, EVP_sha256()) == 0)
		goto done;
	if ((fp = fopen(cert, "w")) == NULL || PEM_write_X509(fp, x) != 1)
		goto done;
	fclose(fp);
	if ((fp = fopen(key, "w")) == NULL || fchmod(fileno(fp), 0600) == -1 ||
	    PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		goto done;
	rc = 0;
done:
	if (fp != NULL)
		fclose(fp);
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

/*
 * Mail caught by a sendmail_command script that saves each message as
 * maildir/<time>.<pid>.eml.
 */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
mail_list(const char *maildir, char **names, size_t max)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0, l;

	assert_non_null(d = opendir(maildir));
	while ((e = readdir(d)) != NULL && n < max) {
		l = strlen(e->d_name);
		if (e->d_name[0] != '.' && l > 4 &&
		    strcmp(e->d_name + l - 4, ".eml") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	return n;
}

size_t
pt_mail_count(const char *maildir)
{
	char	*names[64];
	size_t	 n, i;

	n = mail_list(maildir, names, 64);
	for (i = 0; i < n; i++)
		free(names[i]);
	return n;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Undo quoted-printable soft breaks and =XX escapes in place.  Exactly
 * two hex digits: a MIME boundary such as "--=-0wHN..." must stay as it
 * is (sscanf's %2x would take "-0" for a number).
 */
void
pt_qp_decode(char *s)
{
	char	*o = s;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\n') {
			s += 2;
		} else if (s[0] == '=' && hexval(s[1]) >= 0 &&
		    hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 3;
		} else
			*o++ = *s++;
	}
	*o = '\0';
}

/* Wait for the n-th mail (1-based) and return it, decoded. */
char *
pt_mail_wait(const char *maildir, size_t n)
{
	char		*names[64], path[512], *buf = NULL;
	long long	 deadline = pt_now_ms() + 20000;
	size_t		 got, i;
	FILE		*fp;
	long		 len;

	for (;;) {
		got = mail_list(maildir, names, 64);
		if (got >= n)
			break;
		for (i = 0; i < got; i++)
			free(names[i]);
		if (pt_now_ms() > deadline)
			fail_msg("mail %zu did not arrive", n);
		usleep(20000);
	}
	snprintf(path, sizeof(path), "%s/%s", maildir, names[n - 1]);
	for (i = 0; i < got; i++)
		free(names[i]);
	assert_non_null(fp = fopen(path, "r"));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	assert_non_null(buf = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	pt_qp_decode(buf);
	return buf;
}

/* The token of the link origin + path in a mail. */
void
pt_mail_token(const char *mail, const char *origin, const char *path,
    char out[65])
{
	char		 want[256];
	const char	*p;

	snprintf(want, sizeof(want), "%s%s?token=", origin, path);
	if ((p = strstr(mail, want)) == NULL)
		fail_msg("no %s link in:\n%s", path, mail);
	p += strlen(want);
	memcpy(out, p, 64);
	out[64] = '\0';
	assert_int_equal(strspn(out, "0123456789abcdef"), 64);
}
