/*
 * The master key file: "ID HEX\n" per key, ids strictly increasing, the
 * newest last.  Read with the checks OpenDKIM's dkimf_securefile makes
 * (regular file, nobody else may read or write it), written only through a
 * fresh file (O_EXCL, or a temp file renamed over the old one).
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "masterkey.h"

#define MASTERKEY_HEXLEN	(MASTERKEY_LEN * 2)
#define MASTERKEY_ID_DIGITS	10	/* UINT32_MAX */
/* "ID HEX\n" */
#define MASTERKEY_LINE_MAX	(MASTERKEY_ID_DIGITS + 1 + MASTERKEY_HEXLEN + 1)
/* Far more keys than rotation will ever produce. */
#define MASTERKEY_FILE_MAX	(1024 * MASTERKEY_LINE_MAX)
#define MASTERKEY_LOCK_TRIES	10

struct masterkey {
	size_t		 n;
	uint32_t	*ids;		/* increasing; ids[n - 1] is current */
	uint8_t		*keys;		/* n * MASTERKEY_LEN, guarded, read-only */
};

static void masterkey_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
masterkey_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
masterkey_init(char *err, size_t errlen)
{
	if (sodium_init() < 0) {
		masterkey_err(err, errlen, "cannot initialise libsodium");
		return -1;
	}
	return 0;
}

void
masterkey_free(struct masterkey *mk)
{
	if (mk == NULL)
		return;
	if (mk->keys != NULL)
		sodium_free(mk->keys);	/* makes it writable and wipes it */
	free(mk->ids);
	free(mk);
}

uint32_t
masterkey_current_id(const struct masterkey *mk)
{
	return mk->ids[mk->n - 1];
}

const uint8_t *
masterkey_get(const struct masterkey *mk, uint32_t id)
{
	size_t	i;

	for (i = 0; i < mk->n; i++)
		if (mk->ids[i] == id)
			return mk->keys + i * MASTERKEY_LEN;
	return NULL;
}

/* Decimal, no sign, no leading zero, 1..UINT32_MAX; -1 if not. */
static int
masterkey_parse_id(const char *s, size_t len, uint32_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > MASTERKEY_ID_DIGITS || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Parse buf into mk, whose arrays hold one slot per line. */
static int
masterkey_parse(const char *path, const char *buf, size_t len,
    struct masterkey *mk, char *err, size_t errlen)
{
	const char	*p = buf, *end = buf + len, *nl, *sp, *hexend;
	size_t		 line = 0, binlen;
	uint32_t	 id;

	if (len == 0) {
		masterkey_err(err, errlen, "%s:1: empty file, want \"ID HEX\"",
		    path);
		return -1;
	}
	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			masterkey_err(err, errlen,
			    "%s:%zu: no newline at end of line", path, line);
			return -1;
		}
		if ((sp = memchr(p, ' ', (size_t)(nl - p))) == NULL) {
			masterkey_err(err, errlen,
			    "%s:%zu: want \"ID HEX\"", path, line);
			return -1;
		}
		if (masterkey_parse_id(p, (size_t)(sp - p), &id) == -1) {
			masterkey_err(err, errlen, "%s:%zu: bad key id, want a "
			    "number from 1 to %u", path, line, UINT32_MAX);
			return -1;
		}
		if (mk->n > 0 && id <= mk->ids[mk->n - 1]) {
			masterkey_err(err, errlen, "%s:%zu: key id %u is not "
			    "greater than the one before (%u)", path, line, id,
			    mk->ids[mk->n - 1]);
			return -1;
		}
		/* Never echo the key text: it may be most of a key. */
		sp++;
		if (nl - sp != MASTERKEY_HEXLEN ||
		    sodium_hex2bin(mk->keys + mk->n * MASTERKEY_LEN,
		    MASTERKEY_LEN, sp, MASTERKEY_HEXLEN, NULL, &binlen,
		    &hexend) != 0 || binlen != MASTERKEY_LEN || hexend != nl) {
			masterkey_err(err, errlen, "%s:%zu: key id %u: want "
			    "exactly %d hex digits", path, line, id,
			    MASTERKEY_HEXLEN);
			return -1;
		}
		mk->ids[mk->n++] = id;
		p = nl + 1;
	}
	return 0;
}

/* Open path for reading and check it is a private regular file. */
static int
masterkey_open(const char *path, struct stat *st, char *err, size_t errlen)
{
	int	fd;

	/* O_NONBLOCK: a FIFO planted at path must not hang us. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			masterkey_err(err, errlen,
			    "%s: is a symbolic link, refusing it", path);
		else
			masterkey_err(err, errlen, "%s: %s", path,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1) {
		masterkey_err(err, errlen, "%s: fstat: %s", path,
		    strerror(errno));
		goto err;
	}
	if (!S_ISREG(st->st_mode)) {
		masterkey_err(err, errlen, "%s: not a regular file", path);
		goto err;
	}
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		masterkey_err(err, errlen, "%s: mode %04o is too open, want "
		    "0600", path, (unsigned int)(st->st_mode & 07777));
		goto err;
	}
	if (st->st_size > MASTERKEY_FILE_MAX) {
		masterkey_err(err, errlen, "%s: %lld bytes is too large for a "
		    "key file", path, (long long)st->st_size);
		goto err;
	}
	return fd;
 err:
	close(fd);
	return -1;
}

/* Read and parse the file open on fd (checked by masterkey_open). */
static int
masterkey_read(int fd, const struct stat *st, const char *path,
    struct masterkey **out, char *err, size_t errlen)
{
	struct masterkey	*mk = NULL;
	char			*buf = NULL;
	size_t			 cap, len = 0, lines, i;
	ssize_t			 r;
	int			 rc = -1;

	/* One byte more than fstat said, to notice a file that grew. */
	cap = (size_t)st->st_size + 1;
	if ((buf = sodium_malloc(cap)) == NULL) {
		masterkey_err(err, errlen, "%s: out of memory", path);
		goto done;
	}
	while (len < cap) {
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			masterkey_err(err, errlen, "%s: read: %s", path,
			    strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len != (size_t)st->st_size) {
		masterkey_err(err, errlen, "%s: changed while being read",
		    path);
		goto done;
	}

	lines = 1;
	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			lines++;
	if ((mk = calloc(1, sizeof(*mk))) == NULL ||
	    (mk->ids = calloc(lines, sizeof(*mk->ids))) == NULL ||
	    (mk->keys = sodium_allocarray(lines, MASTERKEY_LEN)) == NULL) {
		masterkey_err(err, errlen, "%s: out of memory", path);
		goto done;
	}
	if (masterkey_parse(path, buf, len, mk, err, errlen) == -1)
		goto done;
	if (sodium_mprotect_readonly(mk->keys) == -1) {
		masterkey_err(err, errlen, "%s: mprotect: %s", path,
		    strerror(errno));
		goto done;
	}
	*out = mk;
	mk = NULL;
	rc = 0;
 done:
	if (buf != NULL)
		sodium_free(buf);	/* wipes */
	masterkey_free(mk);
	return rc;
}

int
masterkey_load(const char *path, struct masterkey **out, char *err,
    size_t errlen)
{
	struct stat	st;
	int		fd, rc;

	*out = NULL;
	if (masterkey_init(err, errlen) == -1)
		return -1;
	if ((fd = masterkey_open(path, &st, err, errlen)) == -1)
		return -1;
	rc = masterkey_read(fd, &st, path, out, err, errlen);
	close(fd);
	return rc;
}

/* "ID HEX\n" into p, which holds MASTERKEY_LINE_MAX + 1; returns length. */
static size_t
masterkey_format_line(char *p, uint32_t id, const uint8_t *key)
{
	int	n;

	n = snprintf(p, MASTERKEY_ID_DIGITS + 2, "%u ", id);
	sodium_bin2hex(p + n, MASTERKEY_HEXLEN + 1, key, MASTERKEY_LEN);
	p[n + MASTERKEY_HEXLEN] = '\n';
	p[n + MASTERKEY_HEXLEN + 1] = '\0';
	return (size_t)n + MASTERKEY_HEXLEN + 1;
}

static int
masterkey_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Make a new or renamed entry in path's directory durable. */
static int
masterkey_sync_dir(const char *path)
{
	char		*dir;
	const char	*slash;
	int		 fd, rc = -1;

	if ((slash = strrchr(path, '/')) == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

/* Write buf to a fresh fd, fsync and close it; -1 with errno set. */
static int
masterkey_write_file(int fd, const char *buf, size_t len)
{
	int	saved;

	if (fchmod(fd, S_IRUSR | S_IWUSR) == -1 ||
	    masterkey_write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int
masterkey_create(const char *path, char *err, size_t errlen)
{
	uint8_t	*key = NULL;
	char	*line = NULL;
	size_t	 len;
	int	 fd = -1, rc = -1;

	if (masterkey_init(err, errlen) == -1)
		return -1;
	if ((key = sodium_malloc(MASTERKEY_LEN)) == NULL ||
	    (line = sodium_malloc(MASTERKEY_LINE_MAX + 1)) == NULL) {
		masterkey_err(err, errlen, "%s: out of memory", path);
		goto done;
	}
	randombytes_buf(key, MASTERKEY_LEN);
	len = masterkey_format_line(line, 1, key);

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    S_IRUSR | S_IWUSR);
	if (fd == -1) {
		if (errno == EEXIST)
			masterkey_err(err, errlen, "%s: already exists, "
			    "refusing to overwrite it", path);
		else
			masterkey_err(err, errlen, "%s: %s", path,
			    strerror(errno));
		goto done;
	}
	if (masterkey_write_file(fd, line, len) == -1) {
		masterkey_err(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		goto done;
	}
	if (masterkey_sync_dir(path) == -1) {
		masterkey_err(err, errlen, "%s: fsync directory: %s", path,
		    strerror(errno));
		unlink(path);
		goto done;
	}
	rc = 0;
 done:
	if (key != NULL)
		sodium_free(key);
	if (line != NULL)
		sodium_free(line);
	return rc;
}

/*
 * Open path and take an exclusive flock on it.  A rotation that raced us
 * may have renamed a new file over the one we locked: then retry.
 */
static int
masterkey_open_locked(const char *path, struct stat *st, char *err,
    size_t errlen)
{
	struct stat	cur;
	int		fd, tries;

	for (tries = 0; tries < MASTERKEY_LOCK_TRIES; tries++) {
		if ((fd = masterkey_open(path, st, err, errlen)) == -1)
			return -1;
		if (flock(fd, LOCK_EX) == -1) {
			masterkey_err(err, errlen, "%s: flock: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (lstat(path, &cur) == 0 && cur.st_dev == st->st_dev &&
		    cur.st_ino == st->st_ino) {
			/* Re-check: the file may have changed while we waited. */
			if (fstat(fd, st) == -1) {
				masterkey_err(err, errlen, "%s: fstat: %s",
				    path, strerror(errno));
				close(fd);
				return -1;
			}
			return fd;
		}
		close(fd);
	}
	masterkey_err(err, errlen, "%s: keeps changing, giving up", path);
	return -1;
}

int
masterkey_rotate(const char *path, char *err, size_t errlen)
{
	struct masterkey	*mk = NULL;
	struct stat		 st, tst;
	uint8_t			*key = NULL;
	char			*buf = NULL, *tmp = NULL;
	size_t			 len = 0, i;
	uint32_t		 id;
	int			 fd = -1, tfd = -1, rc = -1;

	if (masterkey_init(err, errlen) == -1)
		return -1;
	if ((fd = masterkey_open_locked(path, &st, err, errlen)) == -1)
		goto done;
	if (masterkey_read(fd, &st, path, &mk, err, errlen) == -1)
		goto done;
	if ((id = masterkey_current_id(mk)) == UINT32_MAX) {
		masterkey_err(err, errlen, "%s: no key id left", path);
		goto done;
	}
	id++;

	if ((key = sodium_malloc(MASTERKEY_LEN)) == NULL ||
	    (buf = sodium_allocarray(mk->n + 1, MASTERKEY_LINE_MAX + 1)) ==
	    NULL || asprintf(&tmp, "%s.XXXXXX", path) == -1) {
		tmp = NULL;
		masterkey_err(err, errlen, "%s: out of memory", path);
		goto done;
	}
	for (i = 0; i < mk->n; i++)
		len += masterkey_format_line(buf + len, mk->ids[i],
		    mk->keys + i * MASTERKEY_LEN);
	randombytes_buf(key, MASTERKEY_LEN);
	len += masterkey_format_line(buf + len, id, key);

	/* mkostemp creates the file 0600 with O_EXCL. */
	if ((tfd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		masterkey_err(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto done;
	}
	/* Keep the owner, so that a root rotation stays readable. */
	if (fstat(tfd, &tst) == -1 ||
	    ((tst.st_uid != st.st_uid || tst.st_gid != st.st_gid) &&
	    fchown(tfd, st.st_uid, st.st_gid) == -1)) {
		masterkey_err(err, errlen, "%s: cannot give it the owner of "
		    "%s: %s", tmp, path, strerror(errno));
		close(tfd);
		goto done;
	}
	if (masterkey_write_file(tfd, buf, len) == -1) {
		masterkey_err(err, errlen, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	if (rename(tmp, path) == -1) {
		masterkey_err(err, errlen, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto done;
	}
	free(tmp);
	tmp = NULL;
	if (masterkey_sync_dir(path) == -1) {
		masterkey_err(err, errlen, "%s: key %u added, but fsync of "
		    "the directory failed: %s", path, id, strerror(errno));
		goto done;
	}
	rc = 0;
 done:
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	if (fd != -1)
		close(fd);	/* releases the lock */
	if (key != NULL)
		sodium_free(key);
	if (buf != NULL)
		sodium_free(buf);
	masterkey_free(mk);
	return rc;
}
