/*
 * Build a text/plain message with GMime and pipe it to sendmail_command
 * (fork, pipe, execv, waitpid; no shell).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mailer.h"

#define MAILER_MAX_ARGS		32
#define MAILER_MAX_ADDRESS	254

/* An address we are willing to put in a header and on a command line. */
static int
mailer_address_ok(const char *a)
{
	const char	*at, *p;
	size_t		 len = strlen(a);

	if (len < 3 || len > MAILER_MAX_ADDRESS || a[0] == '-')
		return 0;
	if ((at = strchr(a, '@')) == NULL || at == a || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' ||
		    *p == '>' || *p == '(' || *p == ')' || *p == ',' ||
		    *p == ';' || *p == ':' || *p == '"' || *p == '\\' ||
		    *p == '[' || *p == ']')
			return 0;
	return 1;
}

char *
mailer_build(const struct config *cfg, const char *to, const char *subject,
    const char *text_body, size_t *lenp, char *err, size_t errlen)
{
	return mailer_build_opts(cfg, to, subject, text_body, NULL, lenp, err,
	    errlen);
}

/* A Message-ID usable in In-Reply-To: "<...>" with nothing that folds. */
static int
mailer_msgid_ok(const char *id)
{
	size_t len = strlen(id);

	return len >= 3 && len <= 998 && id[0] == '<' && id[len - 1] == '>' &&
	    strpbrk(id, " \t\r\n") == NULL;
}

char *
mailer_build_opts(const struct config *cfg, const char *to,
    const char *subject, const char *text_body,
    const struct mailer_options *opt, size_t *lenp, char *err, size_t errlen)
{
	GMimeMessage		*msg = NULL;
	GMimeTextPart		*part = NULL;
	GMimeStream		*mem = NULL, *body = NULL;
	GMimeDataWrapper	*content = NULL;
	GMimeFormatOptions	*fo = NULL;
	GDateTime		*now = NULL;
	GByteArray		*bytes;
	const char		*domain;
	char			*msgid = NULL, *out = NULL;

	if (!mailer_address_ok(to)) {
		snprintf(err, errlen, "bad recipient address");
		return NULL;
	}
	if (!mailer_address_ok(cfg->noreply_address)) {
		snprintf(err, errlen, "noreply_address: bad address");
		return NULL;
	}
	if (!g_utf8_validate(subject, -1, NULL) ||
	    !g_utf8_validate(text_body, -1, NULL) ||
	    strpbrk(subject, "\r\n") != NULL) {
		snprintf(err, errlen, "subject or body is not one UTF-8 line");
		return NULL;
	}
	domain = strchr(cfg->noreply_address, '@') + 1;

	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL,
	    cfg->noreply_address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	now = g_date_time_new_now_local();
	g_mime_message_set_date(msg, now);
	msgid = g_mime_utils_generate_message_id(domain);
	g_mime_message_set_message_id(msg, msgid);
	g_mime_object_set_header(GMIME_OBJECT(msg), "MIME-Version", "1.0",
	    NULL);
	/* RFC 3834: nobody should answer this automatically. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
	    opt != NULL && opt->auto_submitted != NULL ? opt->auto_submitted :
	    "auto-generated", NULL);
	if (opt != NULL && opt->in_reply_to != NULL &&
	    mailer_msgid_ok(opt->in_reply_to)) {
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To",
		    opt->in_reply_to, NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References",
		    opt->in_reply_to, NULL);
	}

	/* Not g_mime_text_part_set_text(): it would pick a smaller charset
	 * (ISO-8859-1) and convert; the body stays UTF-8 as given. */
	part = g_mime_text_part_new_with_subtype("plain");
	body = g_mime_stream_mem_new_with_buffer(text_body, strlen(text_body));
	content = g_mime_data_wrapper_new_with_stream(body,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(part), content);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	mem = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem) == -1) {
		snprintf(err, errlen, "cannot write the message");
		goto done;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if ((out = malloc(bytes->len + 1)) == NULL) {
		snprintf(err, errlen, "no memory");
		goto done;
	}
	memcpy(out, bytes->data, bytes->len);
	out[bytes->len] = '\0';
	if (lenp != NULL)
		*lenp = bytes->len;
done:
	if (mem != NULL)
		g_object_unref(mem);
	if (content != NULL)
		g_object_unref(content);
	if (body != NULL)
		g_object_unref(body);
	if (fo != NULL)
		g_mime_format_options_free(fo);
	if (part != NULL)
		g_object_unref(part);
	if (msg != NULL)
		g_object_unref(msg);
	if (now != NULL)
		g_date_time_unref(now);
	g_free(msgid);
	return out;
}

/* Split cmd on blanks into argv (pointers into buf); "-f <>" for the null
 * sender, then the recipient unless "-t" is there.  Number of words, or -1. */
static int
mailer_argv(char *buf, const char *to, int null_sender,
    char *argv[MAILER_MAX_ARGS + 4])
{
	char	*p, *save = NULL;
	int	 n = 0, has_t = 0;

	for (p = strtok_r(buf, " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save)) {
		if (n == MAILER_MAX_ARGS)
			return -1;
		if (strcmp(p, "-t") == 0)
			has_t = 1;
		argv[n++] = p;
	}
	if (n == 0)
		return -1;
	if (null_sender) {
		argv[n++] = (char *)"-f";
		argv[n++] = (char *)"<>";
	}
	if (!has_t)
		argv[n++] = (char *)to;
	argv[n] = NULL;
	return n;
}

int
mailer_send(const struct config *cfg, const char *to, const char *subject,
    const char *text_body, char *err, size_t errlen)
{
	return mailer_send_opts(cfg, to, subject, text_body, NULL, err, errlen);
}

int
mailer_send_opts(const struct config *cfg, const char *to,
    const char *subject, const char *text_body,
    const struct mailer_options *opt, char *err, size_t errlen)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if ((text = mailer_build_opts(cfg, to, subject, text_body, opt, &len,
	    err, errlen)) == NULL)
		return -1;
	rc = mailer_send_message(cfg, to, text, len,
	    opt != NULL && opt->null_sender, err, errlen);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

static int64_t
mailer_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0 when fd can take more, -1 at the deadline. */
static int
mailer_wait_writable(int fd, int64_t deadline)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
	int64_t		left;
	int		n;

	while ((left = deadline - mailer_now_ms()) > 0) {
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
	return -1;
}

/*
 * waitpid with a deadline: the child's pid once it has exited, 0 if it
 * is still running at the deadline, -1 on error.  It polls, since a
 * SIGCHLD handler belongs to the program, not to this module.
 */
static pid_t
mailer_wait_child(pid_t pid, int *status, int64_t deadline)
{
	struct timespec	nap = { 0, 0 };
	long		step_ms = 1;
	pid_t		w;

	for (;;) {
		w = waitpid(pid, status, WNOHANG);
		if (w != 0 && !(w == -1 && errno == EINTR))
			return w;
		if (mailer_now_ms() >= deadline)
			return 0;
		/* 1, 2, 4 ... 64 ms: quick for a quick sendmail. */
		nap.tv_nsec = step_ms * 1000000;
		nanosleep(&nap, NULL);
		if (step_ms < 64)
			step_ms *= 2;
	}
}

int
mailer_send_message(const struct config *cfg, const char *to,
    const char *text, size_t len, int null_sender, char *err, size_t errlen)
{
	char		*argv[MAILER_MAX_ARGS + 4];
	char		*cmd = NULL;
	size_t		 off = 0;
	ssize_t		 n;
	pid_t		 pid, w;
	int64_t		 deadline;
	int		 fds[2] = { -1, -1 }, status, rc = -1, werr = 0;

	if (!mailer_address_ok(to)) {
		snprintf(err, errlen, "bad recipient address");
		return -1;
	}
	if ((cmd = strdup(cfg->sendmail_command)) == NULL) {
		snprintf(err, errlen, "no memory");
		goto done;
	}
	if (mailer_argv(cmd, to, null_sender, argv) == -1 ||
	    argv[0][0] != '/') {
		snprintf(err, errlen, "sendmail_command: want an absolute "
		    "path and at most %d words", MAILER_MAX_ARGS);
		goto done;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto done;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec. */
		struct sigaction	sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGPIPE, &sa, NULL);
		if (dup2(fds[0], STDIN_FILENO) == -1)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	fds[0] = -1;
	deadline = mailer_now_ms() + (int64_t)cfg->sendmail_timeout * 1000;
	if (fcntl(fds[1], F_SETFL, O_NONBLOCK) == -1)
		werr = errno;
	while (werr == 0 && off < len) {
		n = write(fds[1], text + off, len - off);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			werr = errno;
			break;
		}
		if (mailer_wait_writable(fds[1], deadline) == -1) {
			werr = ETIMEDOUT;
			break;
		}
	}
	close(fds[1]);
	fds[1] = -1;
	if ((w = mailer_wait_child(pid, &status, deadline)) == 0) {
		/* Hung: the caller must not wait on it forever. */
		kill(pid, SIGKILL);
		while ((w = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
			;
		if (w != -1) {
			snprintf(err, errlen, "%s did not finish within %llus; "
			    "killed", argv[0],
			    (unsigned long long)cfg->sendmail_timeout);
			goto done;
		}
	}
	if (w == -1) {
		snprintf(err, errlen, "waitpid: %s", strerror(errno));
		goto done;
	}
	if (WIFSIGNALED(status)) {
		snprintf(err, errlen, "%s killed by signal %d", argv[0],
		    WTERMSIG(status));
		goto done;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s exited with status %d", argv[0],
		    WEXITSTATUS(status));
		goto done;
	}
	if (werr != 0) {
		snprintf(err, errlen, "writing to %s: %s", argv[0],
		    strerror(werr));
		goto done;
	}
	rc = 0;
done:
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	free(cmd);
	return rc;
}
