/*
 * rotate-key [--resume]: append a fresh master key (masterkey_rotate),
 * then re-wrap every message's data key under it: unwrap with the key
 * the message names, wrap with the newest, write only the wrapped key
 * (store_set_wrapped_key).  Bodies, headers and chunks are untouched.
 *
 * A message already under the newest key is skipped, so an interrupted
 * run is finished by "rotate-key --resume", which re-wraps without
 * adding a key (running rotate-key again is safe too: it adds one more
 * key and re-wraps everything under that).
 *
 * The daemons load the key file at start: until they are restarted the
 * milter wraps new messages under the previous key (still valid) and the
 * portal cannot open messages re-wrapped under the new one.  Hence:
 * rotate-key, restart both daemons, rotate-key --resume.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "envelope.h"
#include "masterkey.h"
#include "store.h"

struct rotate_ids {
	uint8_t		(*v)[MSGID_LEN];
	size_t		  n, cap;
	uint32_t	  current;
	size_t		  current_already;
	int		  oom;
};

struct rotate_report {
	size_t	messages;
	size_t	rewrapped;
	size_t	already;	/* under the newest key before this run */
	size_t	gone;		/* deleted meanwhile */
	size_t	failed;		/* unknown key id, or it does not unwrap */
	size_t	store_errors;
};

static uint32_t
rotate_key_id(const uint8_t *wrapped)
{
	return (uint32_t)wrapped[0] << 24 | (uint32_t)wrapped[1] << 16 |
	    (uint32_t)wrapped[2] << 8 | (uint32_t)wrapped[3];
}

/* The ids of messages not yet under the newest key. */
static int
rotate_collect(void *arg, const struct store_message *m)
{
	struct rotate_ids	*ids = arg;
	void			*nv;
	size_t			 cap;

	if (rotate_key_id(m->wrapped_key) == ids->current) {
		ids->current_already++;
		return 0;
	}
	if (ids->n == ids->cap) {
		cap = ids->cap ? ids->cap * 2 : 256;
		if ((nv = reallocarray(ids->v, cap, MSGID_LEN)) == NULL) {
			ids->oom = 1;
			return 1;
		}
		ids->v = nv;
		ids->cap = cap;
	}
	memcpy(ids->v[ids->n++], m->id, MSGID_LEN);
	return 0;
}

/* Re-wrap one message's data key under the newest key. */
static void
rotate_one(struct store *store, const struct masterkey *mk,
    const uint8_t id[MSGID_LEN], struct rotate_report *r)
{
	struct store_message	 m;
	struct envelope_key	*dk;
	uint8_t			 wrapped[ENVELOPE_WRAPPED_LEN];
	char			 idstr[MSGID_STRLEN + 1];
	int			 st;

	msgid_encode(id, idstr);
	if ((st = store_get_message(store, id, &m)) == STORE_NOTFOUND) {
		r->gone++;
		return;
	}
	if (st != STORE_OK) {
		r->store_errors++;
		return;
	}
	if (rotate_key_id(m.wrapped_key) == masterkey_current_id(mk)) {
		r->already++;
		goto done;
	}
	if ((dk = envelope_unwrap_key(mk, id, m.wrapped_key)) == NULL) {
		fprintf(stderr, "sealpost-admin: %s: its data key does not "
		    "unwrap with master key %" PRIu32 " (missing from the key "
		    "file?): left as it is\n", idstr,
		    rotate_key_id(m.wrapped_key));
		r->failed++;
		goto done;
	}
	st = envelope_wrap_key(mk, id, dk, wrapped);
	envelope_key_free(dk);
	if (st == -1) {
		fprintf(stderr, "sealpost-admin: %s: cannot wrap its data key\n",
		    idstr);
		r->failed++;
		goto done;
	}
	st = store_set_wrapped_key(store, id, wrapped);
	if (st == STORE_OK)
		r->rewrapped++;
	else if (st == STORE_NOTFOUND)
		r->gone++;
	else {
		fprintf(stderr, "sealpost-admin: %s: %s\n", idstr,
		    store_strerror(st));
		r->store_errors++;
	}
done:
	sodium_memzero(wrapped, sizeof(wrapped));
	store_message_clear(&m);
}

int
admin_rotate_key(struct admin *a, int argc, char **argv)
{
	struct store		*store = NULL;
	struct masterkey	*mk = NULL;
	struct rotate_ids	 ids;
	struct rotate_report	 r;
	char			 err[512];
	size_t			 i;
	int			 st, rc, resume = 0;

	memset(&ids, 0, sizeof(ids));
	memset(&r, 0, sizeof(r));
	if (argc == 2 && strcmp(argv[1], "--resume") == 0)
		resume = 1;
	else if (argc != 1)
		return admin_usage("rotate-key [--resume] [--json]");
	/* The store first: nothing is added to the key file if it fails. */
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	rc = ADMIN_SYSERR;
	if (masterkey_load(a->cfg.master_key_file, &mk, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "sealpost-admin: %s\n", err);
		goto done;
	}
	if (!resume) {
		masterkey_free(mk);
		mk = NULL;
		if (masterkey_rotate(a->cfg.master_key_file, err,
		    sizeof(err)) == -1 ||
		    masterkey_load(a->cfg.master_key_file, &mk, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "sealpost-admin: %s\n", err);
			goto done;
		}
	}
	ids.current = masterkey_current_id(mk);
	st = store_list_messages(store, NULL, STORE_ROLE_RECIPIENT, 0, 0,
	    rotate_collect, &ids);
	if (st < 0 || ids.oom) {
		admin_store_error("list messages", ids.oom ? STORE_ERROR : st);
		goto done;
	}
	r.messages = ids.n + ids.current_already;
	r.already = ids.current_already;
	for (i = 0; i < ids.n; i++)
		rotate_one(store, mk, ids.v[i], &r);
	rc = r.failed == 0 && r.store_errors == 0 ? ADMIN_OK : ADMIN_SYSERR;
	if (a->json)
		printf("{\"ok\": %s, \"key_id\": %" PRIu32 ", \"added\": %s, "
		    "\"messages\": %zu, \"rewrapped\": %zu, \"already\": %zu, "
		    "\"gone\": %zu, \"failed\": %zu, \"store_errors\": %zu}\n",
		    rc == ADMIN_OK ? "true" : "false", ids.current,
		    resume ? "false" : "true", r.messages, r.rewrapped,
		    r.already, r.gone, r.failed, r.store_errors);
	else {
		if (!resume)
			printf("master key %" PRIu32 " added to %s\n",
			    ids.current, a->cfg.master_key_file);
		printf("%zu data key%s re-wrapped under key %" PRIu32 ", %zu "
		    "already were, %zu failed\n", r.rewrapped,
		    r.rewrapped == 1 ? "" : "s", ids.current, r.already,
		    r.failed + r.store_errors);
		if (!resume)
			printf("now restart sealpost-milter and sealpost-portal "
			    "so that they load key %" PRIu32 ", then run "
			    "sealpost-admin rotate-key --resume\n", ids.current);
	}
done:
	free(ids.v);
	masterkey_free(mk);
	store_close(store);
	return rc;
}
