/*
 * The store interface: argument checks common to every backend, then
 * dispatch through the backend's store_ops.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_backend.h"

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
