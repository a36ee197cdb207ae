/*
 * The master key: 32 random bytes in a file of mode 0600 outside the store.
 * The file holds one line per key, "ID HEX", newest last; the newest key
 * wraps new data keys, older ones still unwrap (rotation re-wraps them).
 * The key material lives in sodium_malloc'd memory.
 */
#ifndef SEALPOST_MASTERKEY_H
#define SEALPOST_MASTERKEY_H

#include <stddef.h>
#include <stdint.h>

#define MASTERKEY_LEN	32

struct masterkey;

/*
 * Load path.  Refuses a file that group or others can read or write, or
 * that is not a regular file.  -1 with a message in err on failure.
 */
int	masterkey_load(const char *path, struct masterkey **out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/* Create path with one fresh key, mode 0600; refuses to overwrite. */
int	masterkey_create(const char *path, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/*
 * Append a fresh key with id max + 1 to path, atomically (temp file of mode
 * 0600, fsync, rename); the old keys stay for unwrapping.  Concurrent
 * rotations are serialised with flock on the file.
 */
int	masterkey_rotate(const char *path, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
void	masterkey_free(struct masterkey *);

/* The id of the newest key (used to wrap). */
uint32_t masterkey_current_id(const struct masterkey *);
/* The key with this id, or NULL (borrowed until masterkey_free). */
const uint8_t *masterkey_get(const struct masterkey *, uint32_t id);

#endif
