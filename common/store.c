/*
 * The store interface: argument checks common to every backend, then
 * dispatch through the backend's store_ops.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "store.h"
#include "store_backend.h"
#include "store_record_portal.h"

struct store {
	const struct store_ops	*ops;
	void			*be;
};

static const struct store_ops *const store_backends[] = {
	&store_lmdb_ops,
};

void
store_message_clear(struct store_message *m)
{
	size_t	i;

	if (m == NULL)
		return;
	free(m->sender);
	if (m->recipients != NULL) {
		for (i = 0; i < m->nrecipients; i++)
			free(m->recipients[i]);
		free(m->recipients);
	}
	free(m->headers_ct);
	memset(m, 0, sizeof(*m));
}

int
store_open(const struct config *cfg, int flags, struct store **out,
    char *err, size_t errlen)
{
	const struct store_ops	*ops = NULL;
	struct store		*st;
	size_t			 i;

	if (cfg->store_backend == NULL || cfg->store_backend[0] == '\0') {
		snprintf(err, errlen, "store_backend is not set");
		return -1;
	}
	for (i = 0; i < sizeof(store_backends) / sizeof(store_backends[0]);
	    i++) {
		if (strcmp(store_backends[i]->name, cfg->store_backend) == 0)
			ops = store_backends[i];
	}
	if (ops == NULL) {
		snprintf(err, errlen, "store_backend %s: unknown backend",
		    cfg->store_backend);
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->ops = ops;
	if (ops->open(cfg, flags, &st->be, err, errlen) == -1) {
		free(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->be);
	free(st);
}

int
store_put_message(struct store *st, const struct store_message *m,
    store_chunk_fn next, void *arg)
{
	/* Every message is for someone, and the index sorts on received. */
	if (m->nrecipients == 0 || m->recipients == NULL) {
		log_warnx("store: put message: no recipient");
		return STORE_ERROR;
	}
	if (m->received < 0) {
		log_warnx("store: put message: negative received time");
		return STORE_ERROR;
	}
	if (m->nchunks > 0 && next == NULL) {
		log_warnx("store: put message: no chunk source");
		return STORE_ERROR;
	}
	return st->ops->put_message(st->be, m, next, arg);
}

int
store_get_message(struct store *st, const uint8_t id[MSGID_LEN],
    struct store_message *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->get_message(st->be, id, out);
}

int
store_get_chunk(struct store *st, const uint8_t id[MSGID_LEN], uint32_t index,
    uint8_t **ct, size_t *len)
{
	*ct = NULL;
	*len = 0;
	return st->ops->get_chunk(st->be, id, index, ct, len);
}

int
store_set_flags(struct store *st, const uint8_t id[MSGID_LEN], uint32_t set,
    uint32_t clear)
{
	return st->ops->set_flags(st->be, id, set, clear);
}

int
store_delete_message(struct store *st, const uint8_t id[MSGID_LEN])
{
	return st->ops->delete_message(st->be, id);
}

int
store_list_messages(struct store *st, const char *address,
    enum store_role role, size_t offset, size_t limit, store_list_fn fn,
    void *arg)
{
	if (fn == NULL) {
		log_warnx("store: list messages: no callback");
		return STORE_ERROR;
	}
	if (address != NULL && role != STORE_ROLE_RECIPIENT &&
	    role != STORE_ROLE_SENDER) {
		log_warnx("store: list messages: bad role %d", (int)role);
		return STORE_ERROR;
	}
	return st->ops->list_messages(st->be, address, role, offset, limit,
	    fn, arg);
}

void
store_account_clear(struct store_account *a)
{
	if (a == NULL)
		return;
	free(a->address);
	free(a->password_hash);
	memset(a, 0, sizeof(*a));
}

void
store_session_clear(struct store_session *s)
{
	if (s == NULL)
		return;
	free(s->address);
	sodium_memzero(s, sizeof(*s));	/* the CSRF secret */
}

void
store_token_clear(struct store_token *t)
{
	if (t == NULL)
		return;
	free(t->address);
	free(t->data);
	memset(t, 0, sizeof(*t));
}

/*
 * Lowercase (ASCII) address into buf.  -1 if it cannot name a stored
 * address (empty or too long): lookups then answer STORE_NOTFOUND, since
 * the portal passes what users typed, and writes refuse it.
 */
static int
store_address(const char *address, char buf[STORE_PORTAL_MAX_ADDRESS + 1])
{
	size_t	i;

	for (i = 0; address[i] != '\0'; i++) {
		unsigned char c = (unsigned char)address[i];

		if (i >= STORE_PORTAL_MAX_ADDRESS)
			return -1;
		buf[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	buf[i] = '\0';
	return i > 0 ? 0 : -1;
}

static int
store_kind_ok(int kind)
{
	return kind >= 1 && kind <= STORE_PORTAL_TOKEN_KIND_MAX;
}

int
store_get_account(struct store *st, const char *address,
    struct store_account *out)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	memset(out, 0, sizeof(*out));
	if (address == NULL) {
		log_warnx("store: get account: no address");
		return STORE_ERROR;
	}
	if (store_address(address, addr) == -1)
		return STORE_NOTFOUND;
	return st->ops->get_account(st->be, addr, out);
}

int
store_put_account(struct store *st, const struct store_account *a)
{
	struct store_account	copy;
	char			addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (a->address == NULL || store_address(a->address, addr) == -1) {
		log_warnx("store: put account: empty or overlong address");
		return STORE_ERROR;
	}
	copy = *a;
	copy.address = addr;
	if (copy.password_hash == NULL)
		copy.password_hash = "";
	if (strlen(copy.password_hash) > STORE_PORTAL_MAX_HASH) {
		log_warnx("store: put account: password hash too long");
		return STORE_ERROR;
	}
	return st->ops->put_account(st->be, &copy);
}

int
store_delete_account(struct store *st, const char *address)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (address == NULL) {
		log_warnx("store: delete account: no address");
		return STORE_ERROR;
	}
	if (store_address(address, addr) == -1)
		return STORE_NOTFOUND;
	return st->ops->delete_account(st->be, addr);
}

int
store_list_accounts(struct store *st, store_account_fn fn, void *arg)
{
	if (fn == NULL) {
		log_warnx("store: list accounts: no callback");
		return STORE_ERROR;
	}
	return st->ops->list_accounts(st->be, fn, arg);
}

int
store_put_session(struct store *st, const struct store_session *s)
{
	struct store_session	copy;
	char			addr[STORE_PORTAL_MAX_ADDRESS + 1];
	int			status;

	if (s->address == NULL || store_address(s->address, addr) == -1) {
		log_warnx("store: put session: empty or overlong address");
		return STORE_ERROR;
	}
	if (strnlen(s->ip, sizeof(s->ip)) >= sizeof(s->ip)) {
		log_warnx("store: put session: ip not terminated");
		return STORE_ERROR;
	}
	copy = *s;
	copy.address = addr;
	status = st->ops->put_session(st->be, &copy);
	sodium_memzero(&copy, sizeof(copy));
	return status;
}

int
store_get_session(struct store *st, const uint8_t key[STORE_KEY_LEN],
    struct store_session *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->get_session(st->be, key, out);
}

int
store_touch_session(struct store *st, const uint8_t key[STORE_KEY_LEN],
    int64_t last_seen)
{
	return st->ops->touch_session(st->be, key, last_seen);
}

int
store_delete_session(struct store *st, const uint8_t key[STORE_KEY_LEN])
{
	return st->ops->delete_session(st->be, key);
}

int
store_delete_sessions(struct store *st, const char *address)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (address == NULL) {
		log_warnx("store: delete sessions: no address");
		return STORE_ERROR;
	}
	if (store_address(address, addr) == -1)
		return STORE_OK;	/* no session can have it */
	return st->ops->delete_sessions(st->be, addr);
}

int
store_purge_sessions(struct store *st, int64_t idle_before,
    int64_t created_before, size_t *removed)
{
	size_t	n = 0;
	int	status;

	status = st->ops->purge_sessions(st->be, idle_before, created_before,
	    &n);
	if (removed != NULL)
		*removed = status == STORE_OK ? n : 0;
	return status;
}

int
store_put_token(struct store *st, const struct store_token *t)
{
	struct store_token	copy;
	char			addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (!store_kind_ok(t->kind)) {
		log_warnx("store: put token: bad kind %d", t->kind);
		return STORE_ERROR;
	}
	if (t->address == NULL || store_address(t->address, addr) == -1) {
		log_warnx("store: put token: empty or overlong address");
		return STORE_ERROR;
	}
	copy = *t;
	copy.address = addr;
	if (copy.data == NULL)
		copy.data = "";
	if (strlen(copy.data) > STORE_PORTAL_MAX_DATA) {
		log_warnx("store: put token: data too long");
		return STORE_ERROR;
	}
	return st->ops->put_token(st->be, &copy);
}

int
store_peek_token(struct store *st, const uint8_t key[STORE_KEY_LEN], int kind,
    int64_t now, struct store_token *out)
{
	memset(out, 0, sizeof(*out));
	if (!store_kind_ok(kind)) {
		log_warnx("store: peek token: bad kind %d", kind);
		return STORE_ERROR;
	}
	return st->ops->peek_token(st->be, key, kind, now, out);
}

int
store_take_token(struct store *st, const uint8_t key[STORE_KEY_LEN], int kind,
    int64_t now, struct store_token *out)
{
	memset(out, 0, sizeof(*out));
	if (!store_kind_ok(kind)) {
		log_warnx("store: take token: bad kind %d", kind);
		return STORE_ERROR;
	}
	return st->ops->take_token(st->be, key, kind, now, out);
}

int
store_delete_tokens(struct store *st, const char *address, int kind)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (!store_kind_ok(kind)) {
		log_warnx("store: delete tokens: bad kind %d", kind);
		return STORE_ERROR;
	}
	if (address == NULL) {
		log_warnx("store: delete tokens: no address");
		return STORE_ERROR;
	}
	if (store_address(address, addr) == -1)
		return STORE_OK;	/* no token can have it */
	return st->ops->delete_tokens(st->be, addr, kind);
}

int
store_record_open(struct store *st, const uint8_t id[MSGID_LEN],
    const char *address, int64_t when)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (address == NULL || store_address(address, addr) == -1) {
		log_warnx("store: record open: empty or overlong address");
		return STORE_ERROR;
	}
	return st->ops->record_open(st->be, id, addr, when);
}

int
store_get_open(struct store *st, const uint8_t id[MSGID_LEN],
    const char *address, int64_t *when)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	*when = 0;
	if (address == NULL) {
		log_warnx("store: get open: no address");
		return STORE_ERROR;
	}
	if (store_address(address, addr) == -1)
		return STORE_NOTFOUND;
	return st->ops->get_open(st->be, id, addr, when);
}

int
store_stat(struct store *st, struct store_stats *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->stat(st->be, out);
}

const char *
store_strerror(int status)
{
	switch (status) {
	case STORE_OK:
		return "success";
	case STORE_NOTFOUND:
		return "not found";
	case STORE_ERROR:
		return "store error";
	case STORE_FULL:
		return "store is full (store_map_size reached)";
	default:
		return "unknown store status";
	}
}

void
store_alias_clear(struct store_alias *a)
{
	if (a == NULL)
		return;
	free(a->alias);
	free(a->master);
	memset(a, 0, sizeof(*a));
}

int
store_put_alias(struct store *st, const struct store_alias *a)
{
	struct store_alias	copy;
	char			alias[STORE_PORTAL_MAX_ADDRESS + 1];
	char			master[STORE_PORTAL_MAX_ADDRESS + 1];

	if (a->alias == NULL || a->master == NULL ||
	    store_address(a->alias, alias) == -1 ||
	    store_address(a->master, master) == -1 ||
	    strcmp(alias, master) == 0) {
		log_warnx("store: put alias: bad address");
		return STORE_ERROR;
	}
	copy = *a;
	copy.alias = alias;
	copy.master = master;
	return st->ops->put_alias(st->be, &copy);
}

int
store_get_alias(struct store *st, const char *alias, struct store_alias *out)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	memset(out, 0, sizeof(*out));
	if (alias == NULL || store_address(alias, addr) == -1)
		return STORE_NOTFOUND;
	return st->ops->get_alias(st->be, addr, out);
}

int
store_delete_alias(struct store *st, const char *alias)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (alias == NULL || store_address(alias, addr) == -1)
		return STORE_NOTFOUND;
	return st->ops->delete_alias(st->be, addr);
}

int
store_list_aliases(struct store *st, const char *master, store_alias_fn fn,
    void *arg)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (fn == NULL || master == NULL) {
		log_warnx("store: list aliases: no callback or master");
		return STORE_ERROR;
	}
	if (store_address(master, addr) == -1)
		return STORE_OK;
	return st->ops->list_aliases(st->be, addr, fn, arg);
}

int
store_promote_alias(struct store *st, const char *alias)
{
	char	addr[STORE_PORTAL_MAX_ADDRESS + 1];

	if (alias == NULL || store_address(alias, addr) == -1)
		return STORE_NOTFOUND;
	return st->ops->promote_alias(st->be, addr);
}

int
store_set_expires(struct store *st, const uint8_t id[MSGID_LEN],
    int64_t expires)
{
	return st->ops->set_expires(st->be, id, expires);
}

int
store_set_wrapped_key(struct store *st, const uint8_t id[MSGID_LEN],
    const uint8_t *wrapped)
{
	if (wrapped == NULL) {
		log_warnx("store: set wrapped key: no key");
		return STORE_ERROR;
	}
	return st->ops->set_wrapped_key(st->be, id, wrapped);
}

int
store_backup(struct store *st, const char *dest_dir, char *err, size_t errlen)
{
	if (dest_dir == NULL || dest_dir[0] == '\0') {
		snprintf(err, errlen, "no destination directory");
		return -1;
	}
	return st->ops->backup(st->be, dest_dir, err, errlen);
}
