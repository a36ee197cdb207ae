#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"
#include "spool.h"

#define SPOOL_MAX_CHUNK	(ENVELOPE_CHUNK_SIZE + ENVELOPE_CHUNK_OVERHEAD)
#define SPOOL_HDR_LEN	4	/* big-endian chunk length before each chunk */

/*
 * Most secure mail is small: its chunks stay in memory (SPOOL_MEM_MAX at
 * most, so memory still does not grow with message size) and no file is
 * created, which spares the file system an inode per message.  The first
 * append that would pass the limit moves everything into the file.
 */
#define SPOOL_MEM_MAX	(256 * 1024)

struct spool {
	char		*dir;
	int		 fd;		/* -1 while the chunks fit in mem */
	uint8_t		*mem;		/* framed chunks, SPOOL_MEM_MAX */
	size_t		 memlen;
	size_t		 memoff;	/* read position in mem */
	uint32_t	 written;	/* chunks appended */
	uint32_t	 read;		/* next chunk to read back */
	int		 rewound;
	uint8_t		*buf;		/* SPOOL_MAX_CHUNK, for reading back */
};

struct spool *
spool_new(const char *dir)
{
	struct spool *sp;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return NULL;
	sp->fd = -1;
	if ((sp->dir = strdup(dir)) == NULL) {
		free(sp);
		return NULL;
	}
	return sp;
}

int
spool_check_dir(const char *dir)
{
	int	fd;

	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1)
		return -1;
	close(fd);
	return 0;
}

void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd != -1)
		close(sp->fd);
	free(sp->mem);
	free(sp->buf);
	free(sp->dir);
	free(sp);
}

static int
write_all(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t len)
{
	uint8_t	*b = p;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Past SPOOL_MEM_MAX: the file takes over, starting with what mem held. */
static int
spool_to_file(struct spool *sp)
{
	if ((sp->fd = open(sp->dir, O_TMPFILE | O_RDWR | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	if (sp->memlen > 0 && write_all(sp->fd, sp->mem, sp->memlen) == -1)
		return -1;
	free(sp->mem);
	sp->mem = NULL;
	sp->memlen = 0;
	return 0;
}

int
spool_append(struct spool *sp, uint32_t index, const uint8_t *ct, size_t len)
{
	uint8_t hdr[SPOOL_HDR_LEN];

	if (index != sp->written || len > SPOOL_MAX_CHUNK || sp->rewound) {
		errno = EINVAL;
		return -1;
	}
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	if (sp->fd == -1 && sp->memlen + sizeof(hdr) + len <= SPOOL_MEM_MAX) {
		if (sp->mem == NULL && (sp->mem = malloc(SPOOL_MEM_MAX)) == NULL)
			return -1;
		memcpy(sp->mem + sp->memlen, hdr, sizeof(hdr));
		memcpy(sp->mem + sp->memlen + sizeof(hdr), ct, len);
		sp->memlen += sizeof(hdr) + len;
		sp->written++;
		return 0;
	}
	if (sp->fd == -1 && spool_to_file(sp) == -1)
		return -1;
	if (write_all(sp->fd, hdr, sizeof(hdr)) == -1 ||
	    write_all(sp->fd, ct, len) == -1)
		return -1;
	sp->written++;
	return 0;
}

/* spool_read_chunk from memory: the chunk is used in place. */
static int
spool_read_mem(struct spool *sp, const uint8_t **ct, size_t *len)
{
	const uint8_t	*h;
	size_t		 n;

	if (sp->memlen - sp->memoff < SPOOL_HDR_LEN)
		return -1;
	h = sp->mem + sp->memoff;
	n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (n > sp->memlen - sp->memoff - SPOOL_HDR_LEN)
		return -1;
	*ct = h + SPOOL_HDR_LEN;
	*len = n;
	sp->memoff += SPOOL_HDR_LEN + n;
	sp->read++;
	return 0;
}

int
spool_read_chunk(void *arg, uint32_t index, const uint8_t **ct, size_t *len)
{
	struct spool	*sp = arg;
	uint8_t		 hdr[4];
	size_t		 n;

	/* The store may retry a transaction (map resize): start over. */
	if (index == 0 || !sp->rewound) {
		if (sp->fd != -1 && lseek(sp->fd, 0, SEEK_SET) == -1)
			return -1;
		sp->rewound = 1;
		sp->read = 0;
		sp->memoff = 0;
	}
	if (index != sp->read || index >= sp->written) {
		log_warnx("spool: chunk %u requested out of order", index);
		return -1;
	}
	if (sp->fd == -1)
		return spool_read_mem(sp, ct, len);
	if (sp->buf == NULL && (sp->buf = malloc(SPOOL_MAX_CHUNK)) == NULL)
		return -1;
	if (read_all(sp->fd, hdr, sizeof(hdr)) == -1)
		return -1;
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
	    hdr[3];
	if (n > SPOOL_MAX_CHUNK || read_all(sp->fd, sp->buf, n) == -1)
		return -1;
	sp->read++;
	*ct = sp->buf;
	*len = n;
	return 0;
}
