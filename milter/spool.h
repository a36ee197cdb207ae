/*
 * The spool holds a secure message's sealed chunks while its body streams
 * in, so that memory does not grow with message size and no store
 * transaction spans the SMTP conversation.  Small messages stay in memory
 * (spool.c: SPOOL_MEM_MAX); larger ones go to an unlinked temporary file
 * (O_TMPFILE) in spool_dir: it vanishes with the process.  Either way it
 * only ever holds ciphertext.
 */
#ifndef SEALPOST_SPOOL_H
#define SEALPOST_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

/* NULL with errno set on failure.  The file is made when needed. */
struct spool	*spool_new(const char *dir);
/* Whether dir can hold spool files (start-up check): 0, or -1 and errno. */
int		 spool_check_dir(const char *dir);
void		 spool_free(struct spool *);

/* Append one sealed chunk; chunk indexes must arrive in order. 0 or -1. */
int		 spool_append(struct spool *, uint32_t index, const uint8_t *ct,
		    size_t len) __attribute__((warn_unused_result));

/*
 * store_chunk_fn reading the chunks back in order (arg is the spool).
 * The bytes are valid until the next call.
 */
int		 spool_read_chunk(void *arg, uint32_t index, const uint8_t **ct,
		    size_t *len);

#endif
