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

	/*
	 * Accounts, sessions, tokens and opens.  Addresses arrive lowercased,
	 * 1 .. STORE_PORTAL_MAX_ADDRESS bytes (store_record_portal.h); out
	 * structs arrive zeroed and are left zeroed on any status but
	 * STORE_OK.
	 */
	int	(*get_account)(void *be, const char *address,
		    struct store_account *out);
	int	(*put_account)(void *be, const struct store_account *a);
	int	(*delete_account)(void *be, const char *address);
	int	(*list_accounts)(void *be, store_account_fn fn, void *arg);
	int	(*put_session)(void *be, const struct store_session *s);
	int	(*get_session)(void *be, const uint8_t key[STORE_KEY_LEN],
		    struct store_session *out);
	int	(*touch_session)(void *be, const uint8_t key[STORE_KEY_LEN],
		    int64_t last_seen);
	int	(*delete_session)(void *be, const uint8_t key[STORE_KEY_LEN]);
	int	(*delete_sessions)(void *be, const char *address);
	int	(*purge_sessions)(void *be, int64_t idle_before,
		    int64_t created_before, size_t *removed);
	int	(*put_token)(void *be, const struct store_token *t);
	int	(*peek_token)(void *be, const uint8_t key[STORE_KEY_LEN],
		    int kind, int64_t now, struct store_token *out);
	int	(*take_token)(void *be, const uint8_t key[STORE_KEY_LEN],
		    int kind, int64_t now, struct store_token *out);
	int	(*delete_tokens)(void *be, const char *address, int kind);
	int	(*record_open)(void *be, const uint8_t id[MSGID_LEN],
		    const char *address, int64_t when);
	int	(*get_open)(void *be, const uint8_t id[MSGID_LEN],
		    const char *address, int64_t *when);

	int	(*put_alias)(void *be, const struct store_alias *a);
	int	(*get_alias)(void *be, const char *alias,
		    struct store_alias *out);
	int	(*delete_alias)(void *be, const char *alias);
	int	(*list_aliases)(void *be, const char *master,
		    store_alias_fn fn, void *arg);
	int	(*promote_alias)(void *be, const char *alias);

	int	(*stat)(void *be, struct store_stats *out);

	int	(*set_expires)(void *be, const uint8_t id[MSGID_LEN],
		    int64_t expires);
	int	(*set_wrapped_key)(void *be, const uint8_t id[MSGID_LEN],
		    const uint8_t *wrapped);
	/* dest_dir: a non-empty path (store.c checks). */
	int	(*backup)(void *be, const char *dest_dir, char *err,
		    size_t errlen);
};

extern const struct store_ops store_lmdb_ops;

#endif
