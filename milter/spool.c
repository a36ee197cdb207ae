#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"
#include "spool.h"

#define SPOOL_MAX_CHUNK	(ENVELOPE_CHUNK_SIZE + ENVELOPE_CHUNK_OVERHEAD)

struct spool {
	int		 fd;
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
	if ((sp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1) {
		free(sp);
		return NULL;
	}
	return sp;
}

void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd != -1)
		close(sp->fd);
	free(sp->buf);
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

int
spool_append(struct spool *sp, uint32_t index, const uint8_t *ct, size_t len)
{
	uint8_t hdr[4];

	if (index != sp->written || len > SPOOL_MAX_CHUNK || sp->rewound) {
		errno = EINVAL;
		return -1;
	}
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	if (write_all(sp->fd, hdr, sizeof(hdr)) == -1 ||
	    write_all(sp->fd, ct, len) == -1)
		return -1;
	sp->written++;
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
		if (lseek(sp->fd, 0, SEEK_SET) == -1)
			return -1;
		sp->rewound = 1;
		sp->read = 0;
	}
	if (index != sp->read || index >= sp->written) {
		log_warnx("spool: chunk %u requested out of order", index);
		return -1;
	}
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
