/*
 * HTTP/1.1 server on bufferevents.  Each connection goes
 *
 *   IDLE -> HEAD -> BODY -> HANDLER -> WRITING -> IDLE (keep-alive)
 *                                              -> LINGER -> closed
 *
 * with one timer: the idle timeout while waiting for a request, a
 * deadline for the whole head from its first byte (so a slow-loris
 * client that trickles header bytes is cut off), and the read timeout
 * again after every chunk of body.  Writes are bounded by the
 * bufferevent's write timeout.  Reading is off while a handler runs or a
 * response is written, so a pipelining client cannot make us buffer
 * without limit.  After a refusal the connection is closed, but only
 * once the response is out and, briefly, the client's unread input has
 * been drained (a close with unread data would reset the connection and
 * could destroy the response before the client reads it).
 */
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <openssl/ssl.h>

#include "http.h"
#include "http_listen.h"
#include "http_reader.h"
#include "http_router.h"
#include "http_server.h"
#include "http_tls.h"
#include "log.h"

#define LINGER_SECONDS	2
/* Bytes one write callback may send; libevent's default of 16 KiB costs
 * a 100 KiB response seven writev calls and seven loop iterations. */
#define MAX_SINGLE_WRITE	(1024 * 1024)
#define HSTS_VALUE	"max-age=31536000"

enum conn_state {
	CONN_IDLE = 0,
	CONN_HEAD,
	CONN_BODY,
	CONN_HANDLER,
	CONN_WRITING,
	CONN_LINGER,
};

struct http_conn {
	struct http_server		*srv;
	struct bufferevent		*bev;
	struct event			*timer;
	struct http_reader		*rd;
	struct http_request		*req;	/* handler or response */
	struct http_response		*resp;
	const struct http_route		*route;
	enum conn_state			 state;
	int				 pending_status; /* 404/405, no handler */
	unsigned			 pending_allow;
	int				 close_after;
	int				 dead;	/* client gone during handler */
	int				 tls;
	const char			*reason;	/* refusal, for the log */
	char				 id[HTTP_ID_LEN];
	char				 peer[HTTP_PEER_LEN];
	struct timespec			 t0;
	TAILQ_ENTRY(http_conn)		 entry;
};

struct http_server {
	struct event_base		*base;
	struct http_server_options	 opt;
	struct http_router		*router;
	SSL_CTX				*ssl;
	struct evconnlistener		*listener;
	struct event			*accept_retry;
	TAILQ_HEAD(, http_conn)		 conns;
	unsigned			 nconns;
	uint32_t			 id_tag;
	uint32_t			 id_seq;
	int				 port;
};

static void	conn_process(struct http_conn *);
static void	conn_send(struct http_conn *);
static int	conn_stream(struct http_conn *);

void
http_server_options_default(struct http_server_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->max_head = HTTP_MAX_HEAD;
	opt->read_timeout.tv_sec = 15;
	opt->write_timeout.tv_sec = 15;
	opt->idle_timeout.tv_sec = 15;
	opt->max_connections = 256;
}

struct http_server *
http_server_new(struct event_base *base, const struct http_server_options *opt,
    struct http_router *router)
{
	struct http_server	*srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->base = base;
	srv->opt = *opt;
	srv->router = router;
	srv->port = -1;
	TAILQ_INIT(&srv->conns);
	/* Request ids only need to be distinct across restarts. */
	if (getrandom(&srv->id_tag, sizeof(srv->id_tag), 0) !=
	    sizeof(srv->id_tag))
		srv->id_tag = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return srv;
}

static void
conn_free(struct http_conn *conn)
{
	struct http_server	*srv = conn->srv;

	TAILQ_REMOVE(&srv->conns, conn, entry);
	srv->nconns--;
	if (conn->timer != NULL)
		event_free(conn->timer);
	if (conn->bev != NULL)
		bufferevent_free(conn->bev);
	http_reader_free(conn->rd);
	http_request_free(conn->req);
	http_response_free(conn->resp);
	free(conn);
}

void
http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->listener != NULL)
		evconnlistener_free(srv->listener);
	if (srv->accept_retry != NULL)
		event_free(srv->accept_retry);
	while (!TAILQ_EMPTY(&srv->conns))
		conn_free(TAILQ_FIRST(&srv->conns));
	SSL_CTX_free(srv->ssl);
	free(srv);
}

int
http_server_set_tls(struct http_server *srv, const char *cert_file,
    const char *key_file, char *err, size_t errlen)
{
	SSL_CTX	*ctx;

	if ((ctx = http_tls_ctx_new(cert_file, key_file, err, errlen)) == NULL)
		return -1;
	SSL_CTX_free(srv->ssl);
	srv->ssl = ctx;
	return 0;
}

int
http_server_port(const struct http_server *srv)
{
	return srv->port;
}

unsigned
http_server_connections(const struct http_server *srv)
{
	return srv->nconns;
}

static void
conn_arm(struct http_conn *conn, const struct timeval *tv)
{
	event_add(conn->timer, tv);
}

static long long
conn_elapsed_ms(const struct http_conn *conn)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - conn->t0.tv_sec) * 1000 +
	    (now.tv_nsec - conn->t0.tv_nsec) / 1000000;
}

/* A new request starts: give it an id for the log. */
static void
conn_begin_request(struct http_conn *conn)
{
	struct http_server	*srv = conn->srv;

	snprintf(conn->id, sizeof(conn->id), "%08x%08x", srv->id_tag,
	    ++srv->id_seq);
	clock_gettime(CLOCK_MONOTONIC, &conn->t0);
	conn->pending_status = 0;
	conn->pending_allow = 0;
	conn->route = NULL;
}

/*
 * Write resp (status line, our headers, the handler's headers, body) and
 * log the request.  Never the query, headers or body: they may hold
 * tokens, cookies and passwords.
 */
static void
conn_send(struct http_conn *conn)
{
	struct http_response	*resp = conn->resp;
	struct http_request	*req = conn->req;
	struct evbuffer		*out = bufferevent_get_output(conn->bev);
	struct http_request	*lreq;
	uint64_t		 len = evbuffer_get_length(resp->body) +
				    resp->stream_left;
	size_t			 i;
	char			 date[64];
	struct tm		 tm;
	time_t			 now = time(NULL);

	if (req == NULL || !req->keepalive)
		conn->close_after = 1;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", resp->status,
	    http_status_reason(resp->status));
	evbuffer_add_printf(out, "Date: %s\r\nContent-Length: %llu\r\n",
	    date, (unsigned long long)len);
	if (conn->close_after)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (req->version_minor == 0)
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	evbuffer_add_printf(out,
	    "Content-Security-Policy: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Frame-Options: %s\r\n",
	    resp->csp != NULL ? resp->csp : HTTP_CSP_DEFAULT,
	    resp->frame_sameorigin ? "SAMEORIGIN" : "DENY");
	if (conn->tls)
		evbuffer_add_printf(out, "Strict-Transport-Security: %s\r\n",
		    HSTS_VALUE);
	for (i = 0; i < resp->nheaders; i++)
		evbuffer_add_printf(out, "%s: %s\r\n", resp->headers[i].name,
		    resp->headers[i].value);
	evbuffer_add(out, "\r\n", 2);
	evbuffer_add_buffer(out, resp->body);

	/* A refused request is logged with what the reader had parsed
	 * (only validated fields are ever set). */
	lreq = req != NULL ? req : http_reader_request(conn->rd);
	log_info("%s client=%s method=%s path=%.200s status=%d bytes=%llu "
	    "ms=%lld%s%s", conn->id, conn->peer,
	    lreq != NULL && lreq->method_name != NULL ? lreq->method_name : "-",
	    lreq != NULL && lreq->path != NULL ? lreq->path : "-",
	    resp->status, (unsigned long long)len, conn_elapsed_ms(conn),
	    conn->reason != NULL ? " reason=" : "",
	    conn->reason != NULL ? conn->reason : "");
	conn->reason = NULL;

	conn->state = CONN_WRITING;
	event_del(conn->timer);
	bufferevent_disable(conn->bev, EV_READ);
	if (resp->stream_left > 0) {
		if (conn_stream(conn) == -1)
			return;
		/* Called again once the output drains to the low mark. */
		bufferevent_setwatermark(conn->bev, EV_WRITE,
		    HTTP_STREAM_LOWAT, 0);
	}
	bufferevent_enable(conn->bev, EV_WRITE);
}

/*
 * Top up the output from the response's stream up to HTTP_STREAM_HIWAT.
 * A stream that fails, stalls or overruns its length closes the
 * connection: the client has the status and part of the body already,
 * so only a short body can tell it.  -1 when conn is freed.
 */
static int
conn_stream(struct http_conn *conn)
{
	struct http_response	*resp = conn->resp;
	struct evbuffer		*out = bufferevent_get_output(conn->bev);
	size_t			 before, added;
	int			 rc;

	while (resp->stream_left > 0 &&
	    evbuffer_get_length(out) < HTTP_STREAM_HIWAT) {
		before = evbuffer_get_length(out);
		rc = resp->stream_fill(resp->stream_arg, out);
		added = evbuffer_get_length(out) - before;
		if (rc == -1 || added == 0 || added > resp->stream_left) {
			log_warnx("%s client=%s response cut short: %llu "
			    "bytes not sent (%s)", conn->id, conn->peer,
			    (unsigned long long)resp->stream_left,
			    rc == -1 ? "stream failed" : added == 0 ?
			    "stream stalled" : "stream overran");
			conn_free(conn);
			return -1;
		}
		resp->stream_left -= added;
	}
	/* Done: release what the stream holds (keys) at once. */
	if (resp->stream_left == 0) {
		http_response_stream_end(resp);
		bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
	}
	return 0;
}

/* The server's error page; 405 lists the allowed methods. */
static void
conn_error_response(struct http_conn *conn, int status, unsigned allow)
{
	char	buf[32];

	http_response_error_page(conn->resp, status);
	if (status != 405)
		return;
	http_methods_format(allow != 0 ? allow : HTTP_METHODS_ALL, buf,
	    sizeof(buf));
	if (http_response_set_header(conn->resp, "Allow", buf) == -1)
		log_warnx("%s no memory for Allow", conn->id);
}

/*
 * Refuse the request being read with status; the connection closes
 * after the response.
 */
static void
conn_refuse(struct http_conn *conn, int status, const char *reason,
    unsigned allow)
{
	http_response_free(conn->resp);
	if ((conn->resp = http_response_new()) == NULL) {
		conn_free(conn);
		return;
	}
	conn_error_response(conn, status, allow);
	conn->close_after = 1;
	conn->reason = reason;
	conn_send(conn);
}

static void
conn_linger(struct http_conn *conn)
{
	struct timeval	tv = { LINGER_SECONDS, 0 };
	SSL		*ssl;

	if (conn->tls && (ssl = bufferevent_openssl_get_ssl(conn->bev)) != NULL)
		(void)SSL_shutdown(ssl);
	(void)shutdown(bufferevent_getfd(conn->bev), SHUT_WR);
	if (evutil_timercmp(&conn->srv->opt.read_timeout, &tv, <))
		tv = conn->srv->opt.read_timeout;
	conn->state = CONN_LINGER;
	evbuffer_drain(bufferevent_get_input(conn->bev),
	    evbuffer_get_length(bufferevent_get_input(conn->bev)));
	bufferevent_enable(conn->bev, EV_READ);
	conn_arm(conn, &tv);
}

/* Decide what answers the request whose head was just read. */
static int
conn_route(struct http_conn *conn)
{
	struct http_server	*srv = conn->srv;
	struct http_request	*req = http_reader_request(conn->rd);
	struct http_route_match	 m;
	uint64_t		 limit;
	int			 rc;

	rc = http_router_match(srv->router, req->method, req->path, &m);
	if (rc == HTTP_ROUTE_NOT_FOUND &&
	    (m.route = http_router_fallback(srv->router)) != NULL) {
		m.nparams = 0;
		rc = HTTP_ROUTE_FOUND;
	}
	if (rc != HTTP_ROUTE_FOUND) {
		/* Without a body the connection can stay open. */
		if (req->content_length > 0) {
			conn_refuse(conn, rc == HTTP_ROUTE_BAD_METHOD ? 405 :
			    404, rc == HTTP_ROUTE_BAD_METHOD ? "bad-method" :
			    "not-found", m.allow);
			return -1;
		}
		conn->pending_status = rc == HTTP_ROUTE_BAD_METHOD ? 405 : 404;
		conn->pending_allow = m.allow;
		limit = 0;
	} else {
		conn->route = m.route;
		limit = http_route_max_body(m.route);
		if (http_router_bind(&m, req) == -1) {
			conn_refuse(conn, 500, "no-memory", 0);
			return -1;
		}
	}
	if (http_reader_set_body_limit(conn->rd, limit) == -1) {
		conn_refuse(conn, http_reader_status(conn->rd),
		    http_reader_reason(conn->rd), 0);
		return -1;
	}
	if (req->expect_continue && req->content_length > 0)
		evbuffer_add_printf(bufferevent_get_output(conn->bev),
		    "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}

/* A whole request: run its handler. */
static void
conn_dispatch(struct http_conn *conn)
{
	struct http_request	*req;
	int			 rc;

	req = conn->req = http_reader_take(conn->rd);
	event_del(conn->timer);
	bufferevent_disable(conn->bev, EV_READ);
	conn->state = CONN_HANDLER;
	if ((conn->resp = http_response_new()) == NULL) {
		conn_free(conn);
		return;
	}
	memcpy(req->id, conn->id, sizeof(req->id));
	memcpy(req->peer, conn->peer, sizeof(req->peer));
	req->tls = conn->tls;
	req->conn = conn;

	if (conn->pending_status != 0) {
		conn_error_response(conn, conn->pending_status,
		    conn->pending_allow);
		conn_send(conn);
		return;
	}
	rc = http_route_handler(conn->route)(req, conn->resp,
	    http_route_arg(conn->route));
	if (rc == HTTP_HANDLER_ASYNC)
		return;
	if (rc != HTTP_HANDLER_DONE)
		http_response_error_page(conn->resp, 500);
	conn_send(conn);
}

void
http_request_done(struct http_request *req)
{
	struct http_conn	*conn = req->conn;

	if (conn->dead) {
		log_info("%s client=%s gone before the response", conn->id,
		    conn->peer);
		conn_free(conn);
		return;
	}
	conn_send(conn);
}

void
http_request_fail(struct http_request *req)
{
	struct http_conn	*conn = req->conn;

	http_response_error_page(conn->resp, 500);
	http_request_done(req);
}

static void
conn_process(struct http_conn *conn)
{
	struct evbuffer	*in = bufferevent_get_input(conn->bev);
	size_t		 before;
	int		 rc;

	switch (conn->state) {
	case CONN_LINGER:
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	case CONN_HANDLER:
	case CONN_WRITING:
		return;
	case CONN_IDLE:
		if (evbuffer_get_length(in) == 0)
			return;
		conn_begin_request(conn);
		conn->state = CONN_HEAD;
		conn_arm(conn, &conn->srv->opt.read_timeout);
		break;
	case CONN_HEAD:
	case CONN_BODY:
		break;
	}
	for (;;) {
		before = evbuffer_get_length(in);
		rc = http_reader_read(conn->rd, in);
		switch (rc) {
		case HTTP_READ_MORE:
			/* Body: the timeout is for inactivity. */
			if (conn->state == CONN_BODY &&
			    evbuffer_get_length(in) < before)
				conn_arm(conn, &conn->srv->opt.read_timeout);
			return;
		case HTTP_READ_HEAD:
			if (conn_route(conn) == -1)
				return;
			conn->state = CONN_BODY;
			conn_arm(conn, &conn->srv->opt.read_timeout);
			break;
		case HTTP_READ_DONE:
			conn_dispatch(conn);
			return;
		default:
			conn_refuse(conn, http_reader_status(conn->rd),
			    http_reader_reason(conn->rd), 0);
			return;
		}
	}
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn	*conn = arg;

	if (conn->state != CONN_WRITING)
		return;
	if (conn->resp != NULL && conn->resp->stream_left > 0) {
		(void)conn_stream(conn);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	http_request_free(conn->req);
	http_response_free(conn->resp);
	conn->req = NULL;
	conn->resp = NULL;
	if (conn->close_after) {
		conn_linger(conn);
		return;
	}
	conn->state = CONN_IDLE;
	bufferevent_enable(conn->bev, EV_READ);
	conn_arm(conn, &conn->srv->opt.idle_timeout);
	/* A pipelined request may already be waiting. */
	conn_process(conn);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn	*conn = arg;

	/* bufferevent_openssl: the handshake is done. */
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) == 0)
		return;
	if (conn->state == CONN_HANDLER) {
		/* The handler still holds the request. */
		conn->dead = 1;
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) != 0)
		log_info("%s client=%s write timeout", conn->id, conn->peer);
	else if (conn->state == CONN_HEAD || conn->state == CONN_BODY)
		log_info("%s client=%s closed mid-request", conn->id,
		    conn->peer);
	conn_free(conn);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn	*conn = arg;

	switch (conn->state) {
	case CONN_HEAD:
	case CONN_BODY:
		conn_refuse(conn, 408, "read-timeout", 0);
		break;
	case CONN_IDLE:
	case CONN_LINGER:
		conn_free(conn);
		break;
	default:
		break;
	}
}

/* Over the cap: a short 503 where that costs nothing, else just close. */
static void
server_refuse_busy(struct http_server *srv, evutil_socket_t fd,
    const char *peer)
{
	static const char busy[] =
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 20\r\n"
	    "Connection: close\r\n"
	    "Retry-After: 5\r\n"
	    "Content-Security-Policy: " HTTP_CSP_DEFAULT "\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "\r\n"
	    "Service Unavailable\n";

	log_warnx("- client=%s refused status=503 reason=connection-cap "
	    "connections=%u", peer, srv->nconns);
	if (srv->ssl == NULL)
		(void)send(fd, busy, sizeof(busy) - 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)shutdown(fd, SHUT_WR);
	evutil_closesocket(fd);
}

static void
server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct http_server	*srv = arg;
	struct http_conn	*conn;
	SSL			*ssl;
	char			 peer[HTTP_PEER_LEN];
	int			 one = 1;

	if (getnameinfo(sa, salen, peer, sizeof(peer), NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(peer, sizeof(peer), "?");
	if (srv->nconns >= srv->opt.max_connections) {
		server_refuse_busy(srv, fd, peer);
		return;
	}
	/* evhttp and bufferevents leave Nagle on; without this responses
	 * stall on delayed ACKs (PORTAL-NOTES.md). */
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if ((conn = calloc(1, sizeof(*conn))) == NULL) {
		log_warn("- client=%s connection", peer);
		evutil_closesocket(fd);
		return;
	}
	conn->srv = srv;
	memcpy(conn->peer, peer, sizeof(conn->peer));
	TAILQ_INSERT_TAIL(&srv->conns, conn, entry);
	srv->nconns++;
	if (srv->ssl != NULL) {
		conn->tls = 1;
		if ((ssl = SSL_new(srv->ssl)) == NULL) {
			evutil_closesocket(fd);
			goto err;
		}
		conn->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (conn->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(conn->bev,
			    1);
	} else
		conn->bev = bufferevent_socket_new(srv->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL) {
		if (!conn->tls)
			evutil_closesocket(fd);
		goto err;
	}
	if ((conn->timer = evtimer_new(srv->base, conn_timer_cb, conn)) ==
	    NULL || (conn->rd = http_reader_new(srv->opt.max_head)) == NULL)
		goto err;
	bufferevent_setcb(conn->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    conn);
	bufferevent_set_timeouts(conn->bev, NULL, &srv->opt.write_timeout);
	(void)bufferevent_set_max_single_write(conn->bev, MAX_SINGLE_WRITE);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	conn->state = CONN_IDLE;
	snprintf(conn->id, sizeof(conn->id), "-");
	conn_arm(conn, &srv->opt.idle_timeout);
	return;
err:
	log_warnx("- client=%s cannot set up the connection", peer);
	conn_free(conn);
}

static void
server_accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server	*srv = arg;

	evconnlistener_enable(srv->listener);
}

/* Out of descriptors and the like: pause accepting instead of spinning. */
static void
server_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct http_server	*srv = arg;
	struct timeval		 tv = { 1, 0 };

	log_warn("accept");
	evconnlistener_disable(lev);
	event_add(srv->accept_retry, &tv);
}

int
http_server_listen(struct http_server *srv, const char *listen, char *err,
    size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 port[NI_MAXSERV];

	if (srv->listener != NULL) {
		snprintf(err, errlen, "already listening");
		return -1;
	}
	if (http_listen_resolve(listen, &ss, &sslen, err, errlen) == -1)
		return -1;
	if ((srv->accept_retry = evtimer_new(srv->base, server_accept_retry_cb,
	    srv)) == NULL) {
		snprintf(err, errlen, "no memory");
		return -1;
	}
	srv->listener = evconnlistener_new_bind(srv->base, server_accept_cb, srv,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, sslen);
	if (srv->listener == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return -1;
	}
	evconnlistener_set_error_cb(srv->listener, server_accept_error_cb);
	sslen = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(srv->listener),
	    (struct sockaddr *)&ss, &sslen) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sslen, NULL, 0, port,
	    sizeof(port), NI_NUMERICSERV) == 0)
		srv->port = atoi(port);
	return 0;
}
