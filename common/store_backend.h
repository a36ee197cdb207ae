/*
 * What a store backend provides to store.c.  Each function has the
 * contract of its store_* counterpart in store.h; store.c has already
 * checked the arguments that do not depend on the backend.
 */
#ifndef SEALPOST_STORE_BACKEND_H
#define SEALPOST_STORE_BACKEND_H

#include "store.h"

struct store_ops {
	const char	*name;		/* the store_backend value */

	/* -1 with err set on failure; *be is then untouched. */
	int	(*open)(const struct config *cfg, int flags, void **be,
		    char *err, size_t errlen);
	void	(*close)(void *be);

	int	(*put_message)(void *be, const struct store_message *m,
		    store_chunk_fn next, void *arg);
	int	(*get_message)(void *be, const uint8_t id[MSGID_LEN],
		    struct store_message *out);
	int	(*get_chunk)(void *be, const uint8_t id[MSGID_LEN],
		    uint32_t index, uint8_t **ct, size_t *len);
	int	(*set_flags)(void *be, const uint8_t id[MSGID_LEN],
		    uint32_t set, uint32_t clear);
	int	(*delete_message)(void *be, const uint8_t id[MSGID_LEN]);
	int	(*list_messages)(void *be, const char *address,
		    enum store_role role, size_t offset, size_t limit,
		    store_list_fn fn, void *arg);
	int	(*stat)(void *be, struct store_stats *out);
};

extern const struct store_ops store_lmdb_ops;

#endif
