/*
 * The LMDB store backend.
 *
 * One environment in the store_path directory, with these tables:
 *	messages	id (16 bytes) -> store_record (store_record.h)
 *	chunks		id || be32 index -> ciphertext of that chunk
 *	index		(MDB_DUPSORT) role byte || lowercased address ->
 *			be64 received || id, so the last dup is the newest
 *	accounts	lowercased address -> account (store_record_portal.h)
 *	sessions	32-byte key -> session
 *	session_index	(MDB_DUPSORT) lowercased address -> session key
 *	tokens		32-byte key -> token
 *	opens		id || lowercased address -> be64 first open time
 *	aliases		lowercased alias -> alias record (store_record_portal.h)
 *	alias_index	(MDB_DUPSORT) lowercased master -> alias
 *
 * MDB_NOTLS because libmilter calls us from many threads; MDB_WRITEMAP so
 * that a large write transaction dirties pages of the file mapping rather
 * than malloc'd copies (the milter's memory must not grow with message
 * size); full sync on commit.
 *
 * The map starts at max(file size, 64 MiB) capped at store_map_size and
 * doubles on MDB_MAP_FULL, as Postfix's slmdb does: abort, grow, rerun the
 * whole transaction.  mdb_env_set_mapsize() may only run when this process
 * has no transaction open, so every transaction holds s->lock shared and
 * a resize holds it exclusive.
 *
 * Every write commits with a full sync, session touches included:
 * MDB_NOSYNC with MDB_WRITEMAP lets the kernel write a meta page before
 * the pages it names, and a power loss could then corrupt the whole
 * environment.  The portal touches a session at most once a minute.
 *
 * Messages are group committed.  A commit costs two syncs (data pages,
 * then the meta page) under LMDB's single writer lock, so one commit per
 * message would cap the milter at a few hundred messages a second
 * whatever the number of threads.  store_put_message callers therefore
 * join a queue (s->gc_*): when no commit is running the caller at the
 * head becomes the leader, takes up to LMDB_BATCH_MAX messages or about
 * LMDB_BATCH_BYTES of chunks from the queue, writes all of them in one
 * transaction (calling each caller's chunk source from its own thread:
 * they are plain file reads, and their owners are blocked meanwhile),
 * commits once, and hands each waiter its status; the next head, if
 * any, then leads.  No caller returns before the transaction holding its
 * message is synced.  MDB_MAP_FULL and MDB_MAP_RESIZED rerun the whole
 * batch as for any transaction; if the batch still fails (STORE_FULL, a
 * duplicate id, a chunk source failing, anything else), its messages
 * are committed one by one, so each caller gets its own true status and
 * one bad message never fails the others.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "log.h"
#include "msgid.h"
#include "store.h"
#include "store_backend.h"
#include "store_record.h"
#include "store_record_portal.h"

#define LMDB_MAXDBS		16
#define LMDB_MIN_MAP		((uint64_t)64 * 1024 * 1024)
#define LMDB_MAX_ATTEMPTS	64
#define LMDB_EBODY		(-1)	/* a body failed and has logged why */
#define LMDB_KEYBUF		512
#define LMDB_CHUNK_KEYLEN	(MSGID_LEN + 4)
#define LMDB_INDEX_DATALEN	(8 + MSGID_LEN)
#define LMDB_OPEN_KEYLEN	(MSGID_LEN + STORE_PORTAL_MAX_ADDRESS)
#define LMDB_BATCH_MAX		64	/* messages per group commit */
#define LMDB_BATCH_BYTES	((uint64_t)64 * 1024 * 1024)

enum lmdb_mode {
	LMDB_WRITE = 0,
	LMDB_READ = 1,
};

struct lmdb_put;

struct lmdb_store {
	MDB_env			*env;
	MDB_dbi			 messages;
	MDB_dbi			 chunks;
	MDB_dbi			 index;
	MDB_dbi			 accounts;
	MDB_dbi			 aliases;
	MDB_dbi			 alias_index;
	MDB_dbi			 sessions;
	MDB_dbi			 session_index;
	MDB_dbi			 tokens;
	MDB_dbi			 opens;
	pthread_rwlock_t	 lock;		/* shared: a txn; exclusive: resize */
	size_t			 map_size;	/* written with lock exclusive */
	size_t			 map_max;	/* store_map_size in whole pages */
	uint64_t		 map_max_cfg;
	size_t			 pagesize;
	size_t			 maxkey;	/* usable index key length */
	pthread_mutex_t		 gc_lock;	/* the group commit queue */
	struct lmdb_put		*gc_head;	/* waiting, oldest first */
	struct lmdb_put		*gc_tail;
	int			 gc_busy;	/* a leader is committing */
};

typedef int (*lmdb_body_fn)(struct lmdb_store *, MDB_txn *, void *);

static void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

static size_t
round_up(uint64_t n, size_t unit)
{
	uint64_t	r;

	r = (n + unit - 1) / unit * unit;
	return r > SIZE_MAX ? SIZE_MAX / unit * unit : (size_t)r;
}

/* Size of data.mdb now; with MDB_WRITEMAP, the largest map of any process. */
static uint64_t
lmdb_file_size(struct lmdb_store *s)
{
	struct stat	sb;
	int		fd;

	if (mdb_env_get_fd(s->env, &fd) != 0 || fstat(fd, &sb) == -1)
		return 0;
	return (uint64_t)sb.st_size;
}

static void
lmdb_refresh_map_size(struct lmdb_store *s)
{
	MDB_envinfo	info;

	if (mdb_env_info(s->env, &info) == 0)
		s->map_size = info.me_mapsize;
}

/*
 * After MDB_MAP_FULL in a transaction begun with map size seen: double
 * the map, unless another thread has already grown it.
 */
static int
lmdb_grow(struct lmdb_store *s, size_t seen)
{
	uint64_t	fsize;
	size_t		cur, want;
	int		rc, status = STORE_OK;

	if ((rc = pthread_rwlock_wrlock(&s->lock)) != 0) {
		log_warnx("store: lmdb: lock: %s", strerror(rc));
		return STORE_ERROR;
	}
	cur = s->map_size;
	if (cur != seen)
		goto done;
	want = cur > SIZE_MAX / 2 ? SIZE_MAX : cur * 2;
	if (want > s->map_max)
		want = s->map_max;
	/*
	 * Never shrink the file: with MDB_WRITEMAP the map is ftruncate()d
	 * to its size, and another process may map (and use) beyond ours.
	 */
	fsize = lmdb_file_size(s);
	if (fsize > want)
		want = round_up(fsize, s->pagesize);
	if (want <= cur) {
		log_warnx("store: lmdb: map full at %zu bytes "
		    "(store_map_size %llu)", cur,
		    (unsigned long long)s->map_max_cfg);
		status = STORE_FULL;
		goto done;
	}
	if ((rc = mdb_env_set_mapsize(s->env, want)) != 0) {
		log_warnx("store: lmdb: grow map to %zu bytes: %s", want,
		    mdb_strerror(rc));
		status = STORE_ERROR;
		goto done;
	}
	lmdb_refresh_map_size(s);
	log_info("store: lmdb: map grown from %zu to %zu bytes", cur,
	    s->map_size);
done:
	pthread_rwlock_unlock(&s->lock);
	return status;
}

/* After MDB_MAP_RESIZED: adopt the size another process has set. */
static int
lmdb_adopt(struct lmdb_store *s)
{
	int	rc, status = STORE_OK;

	if ((rc = pthread_rwlock_wrlock(&s->lock)) != 0) {
		log_warnx("store: lmdb: lock: %s", strerror(rc));
		return STORE_ERROR;
	}
	if ((rc = mdb_env_set_mapsize(s->env, 0)) != 0) {
		log_warnx("store: lmdb: adopt map size: %s", mdb_strerror(rc));
		status = STORE_ERROR;
	} else {
		lmdb_refresh_map_size(s);
		log_info("store: lmdb: map is now %zu bytes (grown by another "
		    "process)", s->map_size);
	}
	pthread_rwlock_unlock(&s->lock);
	return status;
}

static int
lmdb_reader_check(struct lmdb_store *s, int *dead)
{
	int	rc;

	*dead = 0;
	if ((rc = mdb_reader_check(s->env, dead)) != 0) {
		log_warnx("store: lmdb: reader check: %s", mdb_strerror(rc));
		return -1;
	}
	if (*dead > 0)
		log_info("store: lmdb: cleared %d stale reader slot(s)", *dead);
	return 0;
}

/* Begin, run body, commit or abort: one attempt of lmdb_run. */
static int
lmdb_attempt(struct lmdb_store *s, enum lmdb_mode mode, lmdb_body_fn body,
    void *arg)
{
	MDB_txn	*txn;
	int	 rc;

	rc = mdb_txn_begin(s->env, NULL, mode == LMDB_READ ? MDB_RDONLY : 0,
	    &txn);
	if (rc != 0)
		return rc;
	rc = body(s, txn, arg);
	if (rc == 0 && mode != LMDB_READ)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	return rc;
}

/*
 * Run body in a transaction, retrying it whole after the map grew or
 * moved.  body returns 0, an LMDB code, or LMDB_EBODY; MDB_NOTFOUND
 * from body means the object asked for is absent.
 */
static int
lmdb_run(struct lmdb_store *s, const char *what, enum lmdb_mode mode,
    lmdb_body_fn body, void *arg)
{
	size_t	 seen;
	int	 attempt, rc, status, dead, readers_checked = 0;

	for (attempt = 0; attempt < LMDB_MAX_ATTEMPTS; attempt++) {
		if ((rc = pthread_rwlock_rdlock(&s->lock)) != 0) {
			log_warnx("store: %s: lock: %s", what, strerror(rc));
			return STORE_ERROR;
		}
		seen = s->map_size;
		rc = lmdb_attempt(s, mode, body, arg);
		pthread_rwlock_unlock(&s->lock);

		switch (rc) {
		case 0:
			return STORE_OK;
		case MDB_NOTFOUND:
			return STORE_NOTFOUND;
		case LMDB_EBODY:
			return STORE_ERROR;
		case MDB_MAP_FULL:
			if ((status = lmdb_grow(s, seen)) != STORE_OK)
				return status;
			continue;
		case MDB_MAP_RESIZED:
			if (lmdb_adopt(s) != STORE_OK)
				return STORE_ERROR;
			continue;
		case MDB_READERS_FULL:
			/* Slots of dead processes, perhaps: clear, retry once. */
			if (!readers_checked) {
				readers_checked = 1;
				(void)lmdb_reader_check(s, &dead);
				continue;
			}
			break;
		default:
			break;
		}
		log_warnx("store: %s: %s", what, mdb_strerror(rc));
		return STORE_ERROR;
	}
	log_warnx("store: %s: gave up after %d attempts", what, attempt);
	return STORE_ERROR;
}

/* Index key: role byte, then the address in ASCII lower case, truncated. */
static size_t
lmdb_index_key(const struct lmdb_store *s, enum store_role role,
    const char *addr, uint8_t *key)
{
	size_t	i, len;

	len = strlen(addr);
	if (len > s->maxkey - 1)
		len = s->maxkey - 1;
	key[0] = (uint8_t)role;
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)addr[i];

		key[1 + i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
	}
	return 1 + len;
}

static void
lmdb_index_data(uint8_t *data, int64_t received, const uint8_t *id)
{
	be64_put(data, (uint64_t)received);
	memcpy(data + 8, id, MSGID_LEN);
}

static int
ascii_caseeq(const char *a, const char *b)
{
	unsigned char	ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 32;
		if (cb >= 'A' && cb <= 'Z')
			cb += 32;
		if (ca != cb)
			return 0;
		if (ca == '\0')
			return 1;
	}
}

/* Index keys may be truncated: confirm on the record itself. */
static int
lmdb_record_matches(const struct store_message *m, const char *addr,
    enum store_role role)
{
	size_t	i;

	if (role == STORE_ROLE_SENDER)
		return ascii_caseeq(m->sender, addr);
	for (i = 0; i < m->nrecipients; i++)
		if (ascii_caseeq(m->recipients[i], addr))
			return 1;
	return 0;
}

static void
lmdb_log_id(const char *what, const uint8_t *id, const char *problem)
{
	char	sid[MSGID_STRLEN + 1];

	msgid_encode(id, sid);
	log_warnx("store: %s: message %s: %s", what, sid, problem);
}

static int
lmdb_open_tables(struct lmdb_store *s, char *err, size_t errlen)
{
	MDB_txn	*txn;
	int	 rc, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			if ((rc = mdb_env_set_mapsize(s->env, 0)) != 0)
				break;
			continue;
		}
		if (rc != 0)
			break;
		if ((rc = mdb_dbi_open(txn, "messages", MDB_CREATE,
		    &s->messages)) != 0 ||
		    (rc = mdb_dbi_open(txn, "chunks", MDB_CREATE,
		    &s->chunks)) != 0 ||
		    (rc = mdb_dbi_open(txn, "index", MDB_CREATE | MDB_DUPSORT,
		    &s->index)) != 0 ||
		    (rc = mdb_dbi_open(txn, "accounts", MDB_CREATE,
		    &s->accounts)) != 0 ||
		    (rc = mdb_dbi_open(txn, "sessions", MDB_CREATE,
		    &s->sessions)) != 0 ||
		    (rc = mdb_dbi_open(txn, "session_index",
		    MDB_CREATE | MDB_DUPSORT, &s->session_index)) != 0 ||
		    (rc = mdb_dbi_open(txn, "tokens", MDB_CREATE,
		    &s->tokens)) != 0 ||
		    (rc = mdb_dbi_open(txn, "opens", MDB_CREATE,
		    &s->opens)) != 0 ||
		    (rc = mdb_dbi_open(txn, "aliases", MDB_CREATE,
		    &s->aliases)) != 0 ||
		    (rc = mdb_dbi_open(txn, "alias_index",
		    MDB_CREATE | MDB_DUPSORT, &s->alias_index)) != 0) {
			mdb_txn_abort(txn);
			break;
		}
		rc = mdb_txn_commit(txn);
		break;
	}
	if (rc != 0)
		snprintf(err, errlen, "open tables: %s", mdb_strerror(rc));
	return rc == 0 ? 0 : -1;
}

static int
lmdb_open(const struct config *cfg, int flags, void **be, char *err,
    size_t errlen)
{
	struct lmdb_store	*s = NULL;
	struct stat		 sb;
	const char		*path = cfg->store_path;
	char			 datafile[4096];
	uint64_t		 fsize = 0, want;
	long			 ps;
	int			 rc, dead;

	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "store_path is not set");
		return -1;
	}
	if (cfg->store_map_size == 0) {
		snprintf(err, errlen, "store_map_size is not set");
		return -1;
	}
	if ((flags & STORE_OPEN_CREATE) && mkdir(path, 0700) == -1 &&
	    errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", path);
		return -1;
	}
	if ((size_t)snprintf(datafile, sizeof(datafile), "%s/data.mdb",
	    path) >= sizeof(datafile)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (stat(datafile, &sb) == 0)
		fsize = (uint64_t)sb.st_size;
	else if (errno != ENOENT || !(flags & STORE_OPEN_CREATE)) {
		snprintf(err, errlen, "%s: %s", datafile, strerror(errno));
		return -1;
	}

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ps = sysconf(_SC_PAGESIZE);
	s->pagesize = ps > 0 ? (size_t)ps : 4096;
	s->map_max_cfg = cfg->store_map_size;
	s->map_max = cfg->store_map_size > SIZE_MAX ? SIZE_MAX :
	    (size_t)cfg->store_map_size;
	s->map_max = s->map_max / s->pagesize * s->pagesize;
	if (s->map_max == 0)
		s->map_max = s->pagesize;

	/* Start big enough for the file; never truncate it (see lmdb_grow). */
	want = fsize > LMDB_MIN_MAP ? fsize : LMDB_MIN_MAP;
	if (want > s->map_max)
		want = s->map_max;
	if (fsize > want)
		want = fsize;

	if ((rc = mdb_env_create(&s->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(s->env, LMDB_MAXDBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env,
	    round_up(want, s->pagesize))) != 0) {
		snprintf(err, errlen, "%s: %s", path, mdb_strerror(rc));
		goto err;
	}
	if ((rc = mdb_env_open(s->env, path, MDB_NOTLS | MDB_WRITEMAP,
	    0600)) != 0) {
		snprintf(err, errlen, "%s: %s", path, mdb_strerror(rc));
		goto err;
	}
	s->maxkey = (size_t)mdb_env_get_maxkeysize(s->env);
	if (s->maxkey > LMDB_KEYBUF)
		s->maxkey = LMDB_KEYBUF;
	if (s->maxkey < LMDB_OPEN_KEYLEN) {
		snprintf(err, errlen, "%s: lmdb key size too small", path);
		goto err;
	}
	lmdb_refresh_map_size(s);
	(void)lmdb_reader_check(s, &dead);
	if (lmdb_open_tables(s, err, errlen) == -1)
		goto err;
	if ((rc = pthread_rwlock_init(&s->lock, NULL)) != 0) {
		snprintf(err, errlen, "rwlock: %s", strerror(rc));
		goto err;
	}
	if ((rc = pthread_mutex_init(&s->gc_lock, NULL)) != 0) {
		pthread_rwlock_destroy(&s->lock);
		snprintf(err, errlen, "mutex: %s", strerror(rc));
		goto err;
	}
	*be = s;
	return 0;

err:
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
	return -1;
}

static void
lmdb_close(void *be)
{
	struct lmdb_store	*s = be;

	if (s == NULL)
		return;
	mdb_env_close(s->env);
	pthread_mutex_destroy(&s->gc_lock);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

/* One store_put_message call; lives on its caller's stack. */
struct lmdb_put {
	const struct store_message	*m;
	const uint8_t			*rec;
	size_t				 reclen;
	store_chunk_fn			 next;
	void				*arg;
	/* Group commit, under gc_lock (the leader sets status before done). */
	struct lmdb_put			*qnext;
	pthread_cond_t			 cond;	/* done or leader */
	int				 done;
	int				 leader;
	int				 status;
};

/* The messages one leader commits together. */
struct lmdb_batch {
	struct lmdb_put	*v[LMDB_BATCH_MAX];
	size_t		 n;
};

static int
lmdb_index_put(struct lmdb_store *s, MDB_txn *txn, enum store_role role,
    const char *addr, uint8_t *idata)
{
	uint8_t	kbuf[LMDB_KEYBUF];
	MDB_val	key, data;
	int	rc;

	key.mv_size = lmdb_index_key(s, role, addr, kbuf);
	key.mv_data = kbuf;
	data.mv_size = LMDB_INDEX_DATALEN;
	data.mv_data = idata;
	rc = mdb_put(txn, s->index, &key, &data, MDB_NODUPDATA);
	return rc == MDB_KEYEXIST ? 0 : rc;	/* the same address twice */
}

static int
lmdb_body_put(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_put			*p = arg;
	const struct store_message	*m = p->m;
	const uint8_t			*ct;
	uint8_t				 ckey[LMDB_CHUNK_KEYLEN];
	uint8_t				 idata[LMDB_INDEX_DATALEN];
	MDB_val				 key, data;
	size_t				 i, len;
	uint32_t			 n;
	int				 rc;

	key.mv_size = MSGID_LEN;
	key.mv_data = (void *)m->id;
	data.mv_size = p->reclen;
	data.mv_data = (void *)p->rec;
	rc = mdb_put(txn, s->messages, &key, &data, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		lmdb_log_id("put message", m->id, "id already stored");
		return LMDB_EBODY;
	}
	if (rc != 0)
		return rc;

	/* Local file reads only: the caller's spool. */
	memcpy(ckey, m->id, MSGID_LEN);
	for (n = 0; n < m->nchunks; n++) {
		ct = NULL;
		len = 0;
		if (p->next(p->arg, n, &ct, &len) == -1 ||
		    (ct == NULL && len > 0)) {
			log_warnx("store: put message: chunk %u: source failed",
			    n);
			return LMDB_EBODY;
		}
		be32_put(ckey + MSGID_LEN, n);
		key.mv_size = sizeof(ckey);
		key.mv_data = ckey;
		data.mv_size = len;
		data.mv_data = NULL;
		if ((rc = mdb_put(txn, s->chunks, &key, &data,
		    MDB_RESERVE)) != 0)
			return rc;
		if (len > 0)
			memcpy(data.mv_data, ct, len);
	}

	lmdb_index_data(idata, m->received, m->id);
	if (m->sender[0] != '\0' && (rc = lmdb_index_put(s, txn,
	    STORE_ROLE_SENDER, m->sender, idata)) != 0)
		return rc;
	for (i = 0; i < m->nrecipients; i++)
		if ((rc = lmdb_index_put(s, txn, STORE_ROLE_RECIPIENT,
		    m->recipients[i], idata)) != 0)
			return rc;
	return 0;
}

static int
lmdb_body_put_batch(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_batch	*b = arg;
	size_t			 i;
	int			 rc;

	for (i = 0; i < b->n; i++)
		if ((rc = lmdb_body_put(s, txn, b->v[i])) != 0)
			return rc;
	return 0;
}

/*
 * Move the head of the queue, and as many followers as the bounds allow,
 * into b.  The head always goes, however large.
 */
static void
lmdb_batch_take(struct lmdb_store *s, struct lmdb_batch *b)
{
	struct lmdb_put	*p;
	uint64_t	 bytes = 0;

	b->n = 0;
	while ((p = s->gc_head) != NULL && b->n < LMDB_BATCH_MAX) {
		if (b->n > 0 && (bytes >= LMDB_BATCH_BYTES ||
		    p->m->size > LMDB_BATCH_BYTES - bytes))
			break;
		bytes += p->m->size;
		s->gc_head = p->qnext;
		if (s->gc_head == NULL)
			s->gc_tail = NULL;
		p->qnext = NULL;
		b->v[b->n++] = p;
	}
}

/* One transaction and one sync for the batch; one each if that fails. */
static void
lmdb_batch_commit(struct lmdb_store *s, struct lmdb_batch *b)
{
	size_t	i;
	int	status;

	status = lmdb_run(s, "put message", LMDB_WRITE,
	    b->n == 1 ? lmdb_body_put : lmdb_body_put_batch,
	    b->n == 1 ? (void *)b->v[0] : (void *)b);
	if (status == STORE_OK || b->n == 1) {
		for (i = 0; i < b->n; i++)
			b->v[i]->status = status;
		return;
	}
	log_info("store: put message: batch of %zu failed (%s), "
	    "committing one by one", b->n, store_strerror(status));
	for (i = 0; i < b->n; i++)
		b->v[i]->status = lmdb_run(s, "put message", LMDB_WRITE,
		    lmdb_body_put, b->v[i]);
}

/*
 * Queue p and wait until a leader has committed it, or lead: commit a
 * batch from the head of the queue (p is the head then), wake its
 * members, and pass the lead on to the next head.
 */
static int
lmdb_put_grouped(struct lmdb_store *s, struct lmdb_put *p)
{
	struct lmdb_batch	 b;
	struct lmdb_put		*q;
	size_t			 i;
	int			 rc, status;

	if ((rc = pthread_cond_init(&p->cond, NULL)) != 0) {
		log_warnx("store: put message: cond: %s", strerror(rc));
		return STORE_ERROR;
	}
	if ((rc = pthread_mutex_lock(&s->gc_lock)) != 0) {
		log_warnx("store: put message: lock: %s", strerror(rc));
		pthread_cond_destroy(&p->cond);
		return STORE_ERROR;
	}
	p->qnext = NULL;
	p->done = p->leader = 0;
	p->status = STORE_ERROR;
	if (s->gc_tail != NULL)
		s->gc_tail->qnext = p;
	else
		s->gc_head = p;
	s->gc_tail = p;
	/* Nobody leading means the queue was empty: p is its head. */
	if (!s->gc_busy) {
		s->gc_busy = 1;
		p->leader = 1;
	}
	while (!p->done && !p->leader)
		pthread_cond_wait(&p->cond, &s->gc_lock);
	if (!p->done) {
		lmdb_batch_take(s, &b);
		pthread_mutex_unlock(&s->gc_lock);
		lmdb_batch_commit(s, &b);
		pthread_mutex_lock(&s->gc_lock);
		/* Signal under the lock: a waiter's cond dies with it. */
		for (i = 0; i < b.n; i++) {
			b.v[i]->done = 1;
			if (b.v[i] != p)
				pthread_cond_signal(&b.v[i]->cond);
		}
		if ((q = s->gc_head) != NULL) {
			q->leader = 1;
			pthread_cond_signal(&q->cond);
		} else
			s->gc_busy = 0;
	}
	status = p->status;
	pthread_mutex_unlock(&s->gc_lock);
	pthread_cond_destroy(&p->cond);
	return status;
}

static int
lmdb_put_message(void *be, const struct store_message *m, store_chunk_fn next,
    void *arg)
{
	struct lmdb_put	p;
	uint8_t		*rec;
	size_t		 reclen;
	int		 status;

	if (store_record_encode(m, &rec, &reclen) == -1) {
		lmdb_log_id("put message", m->id, "cannot encode the record");
		return STORE_ERROR;
	}
	memset(&p, 0, sizeof(p));
	p.m = m;
	p.rec = rec;
	p.reclen = reclen;
	p.next = next;
	p.arg = arg;
	status = lmdb_put_grouped(be, &p);
	free(rec);
	return status;
}

struct lmdb_get {
	const uint8_t		*id;
	struct store_message	*m;
	uint32_t		 index;
	uint8_t			*ct;
	size_t			 len;
	uint32_t		 set, clear;
};

/* Fetch and decode the record of g->id into g->m. */
static int
lmdb_load(struct lmdb_store *s, MDB_txn *txn, struct lmdb_get *g,
    const char *what)
{
	MDB_val	key, data;
	int	rc;

	key.mv_size = MSGID_LEN;
	key.mv_data = (void *)g->id;
	if ((rc = mdb_get(txn, s->messages, &key, &data)) != 0)
		return rc;
	store_message_clear(g->m);
	if (store_record_decode(data.mv_data, data.mv_size, g->m) == -1) {
		lmdb_log_id(what, g->id, "corrupt record");
		return LMDB_EBODY;
	}
	return 0;
}

static int
lmdb_body_get(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	return lmdb_load(s, txn, arg, "get message");
}

static int
lmdb_get_message(void *be, const uint8_t id[MSGID_LEN],
    struct store_message *out)
{
	struct lmdb_get	g = { .id = id, .m = out };

	return lmdb_run(be, "get message", LMDB_READ, lmdb_body_get, &g);
}

static int
lmdb_body_get_chunk(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_get	*g = arg;
	uint8_t		 ckey[LMDB_CHUNK_KEYLEN];
	MDB_val		 key, data;
	int		 rc;

	memcpy(ckey, g->id, MSGID_LEN);
	be32_put(ckey + MSGID_LEN, g->index);
	key.mv_size = sizeof(ckey);
	key.mv_data = ckey;
	if ((rc = mdb_get(txn, s->chunks, &key, &data)) != 0)
		return rc;
	free(g->ct);
	if ((g->ct = malloc(data.mv_size > 0 ? data.mv_size : 1)) == NULL) {
		log_warnx("store: get chunk: out of memory");
		return LMDB_EBODY;
	}
	if (data.mv_size > 0)
		memcpy(g->ct, data.mv_data, data.mv_size);
	g->len = data.mv_size;
	return 0;
}

static int
lmdb_get_chunk(void *be, const uint8_t id[MSGID_LEN], uint32_t index,
    uint8_t **ct, size_t *len)
{
	struct lmdb_get	g = { .id = id, .index = index };
	int		status;

	status = lmdb_run(be, "get chunk", LMDB_READ, lmdb_body_get_chunk, &g);
	if (status != STORE_OK) {
		free(g.ct);
		return status;
	}
	*ct = g.ct;
	*len = g.len;
	return STORE_OK;
}

static int
lmdb_body_set_flags(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_get	*g = arg;
	uint8_t		*rec = NULL;
	size_t		 reclen;
	MDB_val		 key, data;
	int		 rc;

	if ((rc = lmdb_load(s, txn, g, "set flags")) != 0)
		return rc;
	g->m->flags = (g->m->flags | g->set) & ~g->clear;
	if (store_record_encode(g->m, &rec, &reclen) == -1) {
		lmdb_log_id("set flags", g->id, "cannot encode the record");
		return LMDB_EBODY;
	}
	key.mv_size = MSGID_LEN;
	key.mv_data = (void *)g->id;
	data.mv_size = reclen;
	data.mv_data = rec;
	rc = mdb_put(txn, s->messages, &key, &data, 0);
	free(rec);
	return rc;
}

static int
lmdb_set_flags(void *be, const uint8_t id[MSGID_LEN], uint32_t set,
    uint32_t clear)
{
	struct store_message	m;
	struct lmdb_get		g = { .id = id, .m = &m, .set = set,
				    .clear = clear };
	int			status;

	memset(&m, 0, sizeof(m));
	status = lmdb_run(be, "set flags", LMDB_WRITE, lmdb_body_set_flags, &g);
	store_message_clear(&m);
	return status;
}

static int
lmdb_index_del(struct lmdb_store *s, MDB_txn *txn, enum store_role role,
    const char *addr, uint8_t *idata)
{
	uint8_t	kbuf[LMDB_KEYBUF];
	MDB_val	key, data;
	int	rc;

	key.mv_size = lmdb_index_key(s, role, addr, kbuf);
	key.mv_data = kbuf;
	data.mv_size = LMDB_INDEX_DATALEN;
	data.mv_data = idata;
	rc = mdb_del(txn, s->index, &key, &data);
	return rc == MDB_NOTFOUND ? 0 : rc;	/* the same address twice */
}

struct lmdb_ientry {
	uint8_t	key[LMDB_KEYBUF];
	size_t	keylen;
	uint8_t	data[LMDB_INDEX_DATALEN];
};

/*
 * The record is unreadable, so its addresses are unknown: scan the whole
 * index for entries naming id, then delete them (not while iterating).
 */
static int
lmdb_index_purge(struct lmdb_store *s, MDB_txn *txn, const uint8_t *id)
{
	struct lmdb_ientry	*v = NULL, *nv;
	MDB_cursor		*cur;
	MDB_val			 key, data;
	size_t			 n = 0, cap = 0, i;
	int			 rc;

	if ((rc = mdb_cursor_open(txn, s->index, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
		if (data.mv_size != LMDB_INDEX_DATALEN ||
		    key.mv_size > LMDB_KEYBUF ||
		    memcmp((uint8_t *)data.mv_data + 8, id, MSGID_LEN) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				log_warnx("store: delete message: "
				    "out of memory");
				rc = LMDB_EBODY;
				break;
			}
			v = nv;
		}
		memcpy(v[n].key, key.mv_data, key.mv_size);
		v[n].keylen = key.mv_size;
		memcpy(v[n].data, data.mv_data, LMDB_INDEX_DATALEN);
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto done;
	rc = 0;
	for (i = 0; i < n; i++) {
		key.mv_size = v[i].keylen;
		key.mv_data = v[i].key;
		data.mv_size = LMDB_INDEX_DATALEN;
		data.mv_data = v[i].data;
		if ((rc = mdb_del(txn, s->index, &key, &data)) != 0)
			break;
	}
done:
	free(v);
	return rc;
}

static int
lmdb_chunks_del(struct lmdb_store *s, MDB_txn *txn, const uint8_t *id)
{
	MDB_cursor	*cur;
	uint8_t		 ckey[LMDB_CHUNK_KEYLEN];
	MDB_val		 key, data;
	int		 rc;

	memcpy(ckey, id, MSGID_LEN);
	memset(ckey + MSGID_LEN, 0, 4);
	if ((rc = mdb_cursor_open(txn, s->chunks, &cur)) != 0)
		return rc;
	for (;;) {
		key.mv_size = sizeof(ckey);
		key.mv_data = ckey;
		if ((rc = mdb_cursor_get(cur, &key, &data,
		    MDB_SET_RANGE)) != 0)
			break;
		if (key.mv_size != sizeof(ckey) ||
		    memcmp(key.mv_data, id, MSGID_LEN) != 0)
			break;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* First-open records of message id: keys id || address, contiguous. */
static int
lmdb_opens_del(struct lmdb_store *s, MDB_txn *txn, const uint8_t *id)
{
	MDB_cursor	*cur;
	MDB_val		 key, data;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, s->opens, &cur)) != 0)
		return rc;
	for (;;) {
		key.mv_size = MSGID_LEN;
		key.mv_data = (void *)id;
		if ((rc = mdb_cursor_get(cur, &key, &data,
		    MDB_SET_RANGE)) != 0)
			break;
		if (key.mv_size < MSGID_LEN ||
		    memcmp(key.mv_data, id, MSGID_LEN) != 0)
			break;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lmdb_body_delete(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_get	*g = arg;
	uint8_t		 idata[LMDB_INDEX_DATALEN];
	MDB_val		 key;
	size_t		 i;
	int		 rc;

	rc = lmdb_load(s, txn, g, "delete message");
	if (rc == LMDB_EBODY) {
		if ((rc = lmdb_index_purge(s, txn, g->id)) != 0)
			return rc;
	} else if (rc != 0)
		return rc;
	else {
		lmdb_index_data(idata, g->m->received, g->id);
		if (g->m->sender[0] != '\0' && (rc = lmdb_index_del(s, txn,
		    STORE_ROLE_SENDER, g->m->sender, idata)) != 0)
			return rc;
		for (i = 0; i < g->m->nrecipients; i++)
			if ((rc = lmdb_index_del(s, txn, STORE_ROLE_RECIPIENT,
			    g->m->recipients[i], idata)) != 0)
				return rc;
	}
	if ((rc = lmdb_chunks_del(s, txn, g->id)) != 0 ||
	    (rc = lmdb_opens_del(s, txn, g->id)) != 0)
		return rc;
	key.mv_size = MSGID_LEN;
	key.mv_data = (void *)g->id;
	return mdb_del(txn, s->messages, &key, NULL);
}

static int
lmdb_delete_message(void *be, const uint8_t id[MSGID_LEN])
{
	struct store_message	m;
	struct lmdb_get		g = { .id = id, .m = &m };
	int			status;

	memset(&m, 0, sizeof(m));
	status = lmdb_run(be, "delete message", LMDB_WRITE, lmdb_body_delete,
	    &g);
	store_message_clear(&m);
	return status;
}

struct lmdb_list {
	const char	*address;
	enum store_role	 role;
	size_t		 offset;
	size_t		 limit;
	store_list_fn	 fn;
	void		*arg;
	size_t		 skipped;
	size_t		 called;
	int		 done;
};

struct lmdb_sortent {
	uint8_t		key[LMDB_INDEX_DATALEN];	/* be64 received || id */
};

/* Hand message id to the callback if it matches and is past offset. */
static int
lmdb_list_one(struct lmdb_store *s, MDB_txn *txn, struct lmdb_list *l,
    const uint8_t *id)
{
	struct store_message	m;
	MDB_val			key, data;
	int			rc;

	key.mv_size = MSGID_LEN;
	key.mv_data = (void *)id;
	if ((rc = mdb_get(txn, s->messages, &key, &data)) == MDB_NOTFOUND) {
		lmdb_log_id("list messages", id, "index entry without record");
		return 0;
	}
	if (rc != 0)
		return rc;
	if (store_record_decode(data.mv_data, data.mv_size, &m) == -1) {
		lmdb_log_id("list messages", id, "corrupt record, skipped");
		return 0;
	}
	if (l->address != NULL && !lmdb_record_matches(&m, l->address,
	    l->role)) {
		store_message_clear(&m);
		return 0;
	}
	if (l->skipped < l->offset) {
		l->skipped++;
		store_message_clear(&m);
		return 0;
	}
	rc = l->fn(l->arg, &m);
	store_message_clear(&m);
	l->called++;
	if (rc != 0 || (l->limit != 0 && l->called >= l->limit))
		l->done = 1;
	return 0;
}

static int
lmdb_sortent_cmp(const void *a, const void *b)
{
	/* Newest first: descending. */
	return memcmp(((const struct lmdb_sortent *)b)->key,
	    ((const struct lmdb_sortent *)a)->key, LMDB_INDEX_DATALEN);
}

/* Every message: collect (received, id), sort, then walk. */
static int
lmdb_list_all(struct lmdb_store *s, MDB_txn *txn, struct lmdb_list *l)
{
	struct lmdb_sortent	*v = NULL, *nv;
	MDB_cursor		*cur;
	MDB_val			 key, data;
	size_t			 n = 0, cap = 0, i;
	int64_t			 received;
	int			 rc;

	if ((rc = mdb_cursor_open(txn, s->messages, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
		if (key.mv_size != MSGID_LEN || store_record_received(
		    data.mv_data, data.mv_size, &received) == -1 ||
		    received < 0) {
			log_warnx("store: list messages: corrupt record "
			    "skipped");
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				log_warnx("store: list messages: "
				    "out of memory");
				rc = LMDB_EBODY;
				break;
			}
			v = nv;
		}
		lmdb_index_data(v[n].key, received, key.mv_data);
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto done;
	rc = 0;
	if (n > 0)
		qsort(v, n, sizeof(*v), lmdb_sortent_cmp);
	for (i = 0; i < n && !l->done; i++)
		if ((rc = lmdb_list_one(s, txn, l, v[i].key + 8)) != 0)
			break;
done:
	free(v);
	return rc;
}

/* One address: its dups, last (newest) first. */
static int
lmdb_list_address(struct lmdb_store *s, MDB_txn *txn, struct lmdb_list *l)
{
	MDB_cursor	*cur;
	uint8_t		 kbuf[LMDB_KEYBUF];
	MDB_val		 key, data;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, s->index, &cur)) != 0)
		return rc;
	key.mv_size = lmdb_index_key(s, l->role, l->address, kbuf);
	key.mv_data = kbuf;
	if ((rc = mdb_cursor_get(cur, &key, &data, MDB_SET)) == 0)
		rc = mdb_cursor_get(cur, &key, &data, MDB_LAST_DUP);
	while (rc == 0 && !l->done) {
		if (data.mv_size != LMDB_INDEX_DATALEN)
			log_warnx("store: list messages: bad index entry "
			    "skipped");
		else if ((rc = lmdb_list_one(s, txn, l,
		    (uint8_t *)data.mv_data + 8)) != 0)
			break;
		rc = mdb_cursor_get(cur, &key, &data, MDB_PREV_DUP);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lmdb_body_list(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_list	*l = arg;

	if (l->address == NULL)
		return lmdb_list_all(s, txn, l);
	return lmdb_list_address(s, txn, l);
}

static int
lmdb_list_messages(void *be, const char *address, enum store_role role,
    size_t offset, size_t limit, store_list_fn fn, void *arg)
{
	struct lmdb_list	l = {
		.address = address, .role = role, .offset = offset,
		.limit = limit, .fn = fn, .arg = arg,
	};

	return lmdb_run(be, "list messages", LMDB_READ, lmdb_body_list, &l);
}

/*
 * Accounts, sessions, single-use tokens and first opens.  store.c hands
 * every address lowercased and at most STORE_PORTAL_MAX_ADDRESS bytes,
 * so addresses are whole keys here, never truncated (lmdb_open checks
 * the key size).
 */

static void
lmdb_val(MDB_val *v, const void *p, size_t len)
{
	v->mv_size = len;
	v->mv_data = (void *)p;
}

static uint64_t
be64_get(const uint8_t *p)
{
	return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) |
	    ((uint64_t)p[2] << 40) | ((uint64_t)p[3] << 32) |
	    ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
	    ((uint64_t)p[6] << 8) | p[7];
}

/* Room for element n of size sz in v: v or its new home, NULL if none. */
static void *
lmdb_reserve(void *v, size_t n, size_t *cap, size_t sz)
{
	void	*nv;
	size_t	 ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	if ((nv = reallocarray(v, ncap, sz)) == NULL)
		return NULL;
	*cap = ncap;
	return nv;
}

/* An encoded session holds its CSRF secret. */
static void
lmdb_free_wiped(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

struct lmdb_account {
	const char		*address;
	const uint8_t		*rec;
	size_t			 reclen;
	struct store_account	*out;
	struct store_account	*v;		/* list: every account */
	size_t			 n, cap;
};

static int
lmdb_body_get_account(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_account	*a = arg;
	MDB_val			 key, data;
	int			 rc;

	store_account_clear(a->out);
	lmdb_val(&key, a->address, strlen(a->address));
	if ((rc = mdb_get(txn, s->accounts, &key, &data)) != 0)
		return rc;
	if (store_record_decode_account(data.mv_data, data.mv_size,
	    a->out) == -1 || strcmp(a->out->address, a->address) != 0) {
		store_account_clear(a->out);
		log_warnx("store: get account: corrupt record");
		return LMDB_EBODY;
	}
	return 0;
}

static int
lmdb_get_account(void *be, const char *address, struct store_account *out)
{
	struct lmdb_account	a = { .address = address, .out = out };
	int			status;

	status = lmdb_run(be, "get account", LMDB_READ,
	    lmdb_body_get_account, &a);
	if (status != STORE_OK)
		store_account_clear(out);
	return status;
}

static int
lmdb_body_put_account(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_account	*a = arg;
	MDB_val			 key, data;

	lmdb_val(&key, a->address, strlen(a->address));
	lmdb_val(&data, a->rec, a->reclen);
	return mdb_put(txn, s->accounts, &key, &data, 0);
}

static int
lmdb_put_account(void *be, const struct store_account *in)
{
	struct lmdb_account	 a = { .address = in->address };
	uint8_t			*rec;
	size_t			 reclen;
	int			 status;

	if (store_record_encode_account(in, &rec, &reclen) == -1) {
		log_warnx("store: put account: cannot encode the record");
		return STORE_ERROR;
	}
	a.rec = rec;
	a.reclen = reclen;
	status = lmdb_run(be, "put account", LMDB_WRITE,
	    lmdb_body_put_account, &a);
	free(rec);
	return status;
}

static int
lmdb_session_index_put(struct lmdb_store *s, MDB_txn *txn,
    const char *address, const uint8_t *skey)
{
	MDB_val	key, data;
	int	rc;

	lmdb_val(&key, address, strlen(address));
	lmdb_val(&data, skey, STORE_KEY_LEN);
	rc = mdb_put(txn, s->session_index, &key, &data, MDB_NODUPDATA);
	return rc == MDB_KEYEXIST ? 0 : rc;
}

static int
lmdb_session_index_del(struct lmdb_store *s, MDB_txn *txn,
    const char *address, const uint8_t *skey)
{
	MDB_val	key, data;
	int	rc;

	lmdb_val(&key, address, strlen(address));
	lmdb_val(&data, skey, STORE_KEY_LEN);
	rc = mdb_del(txn, s->session_index, &key, &data);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct lmdb_ikey {
	uint8_t	key[STORE_PORTAL_MAX_ADDRESS];
	size_t	keylen;
};

/*
 * The session's record is unreadable, so its address is unknown: scan
 * the index for entries naming skey, then delete them (not while
 * iterating).
 */
static int
lmdb_session_index_purge(struct lmdb_store *s, MDB_txn *txn,
    const uint8_t *skey)
{
	struct lmdb_ikey	*v = NULL, *nv;
	MDB_cursor		*cur;
	MDB_val			 key, data;
	size_t			 n = 0, cap = 0, i;
	int			 rc;

	if ((rc = mdb_cursor_open(txn, s->session_index, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
		if (data.mv_size != STORE_KEY_LEN ||
		    key.mv_size > STORE_PORTAL_MAX_ADDRESS ||
		    memcmp(data.mv_data, skey, STORE_KEY_LEN) != 0)
			continue;
		if ((nv = lmdb_reserve(v, n, &cap, sizeof(*v))) == NULL) {
			log_warnx("store: session index: out of memory");
			rc = LMDB_EBODY;
			break;
		}
		v = nv;
		memcpy(v[n].key, key.mv_data, key.mv_size);
		v[n].keylen = key.mv_size;
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto done;
	rc = 0;
	for (i = 0; i < n; i++) {
		lmdb_val(&key, v[i].key, v[i].keylen);
		lmdb_val(&data, skey, STORE_KEY_LEN);
		if ((rc = mdb_del(txn, s->session_index, &key, &data)) != 0)
			break;
	}
done:
	free(v);
	return rc;
}

/* Fetch and decode session skey into *out (cleared first). */
static int
lmdb_session_load(struct lmdb_store *s, MDB_txn *txn, const uint8_t *skey,
    struct store_session *out, const char *what)
{
	MDB_val	key, data;
	int	rc;

	store_session_clear(out);
	lmdb_val(&key, skey, STORE_KEY_LEN);
	if ((rc = mdb_get(txn, s->sessions, &key, &data)) != 0)
		return rc;
	if (store_record_decode_session(data.mv_data, data.mv_size,
	    out) == -1 || memcmp(out->key, skey, STORE_KEY_LEN) != 0) {
		store_session_clear(out);
		log_warnx("store: %s: corrupt session record", what);
		return LMDB_EBODY;
	}
	return 0;
}

/* Remove session skey: its record and its index entries. */
static int
lmdb_session_del(struct lmdb_store *s, MDB_txn *txn, const uint8_t *skey,
    const char *what)
{
	struct store_session	sess;
	MDB_val			key;
	int			rc;

	memset(&sess, 0, sizeof(sess));
	rc = lmdb_session_load(s, txn, skey, &sess, what);
	if (rc == 0)
		rc = lmdb_session_index_del(s, txn, sess.address, skey);
	else if (rc == LMDB_EBODY)
		rc = lmdb_session_index_purge(s, txn, skey);
	store_session_clear(&sess);
	if (rc != 0)
		return rc;
	lmdb_val(&key, skey, STORE_KEY_LEN);
	return mdb_del(txn, s->sessions, &key, NULL);
}

/*
 * Every session of address, through the index.  A session whose record
 * names another address (a stale entry) is left alone; the address's
 * index key goes in any case.
 */
static int
lmdb_sessions_del_address(struct lmdb_store *s, MDB_txn *txn,
    const char *address)
{
	struct store_session	  sess;
	uint8_t			(*v)[STORE_KEY_LEN] = NULL;
	void			 *nv;
	MDB_cursor		 *cur;
	MDB_val			  key, data;
	size_t			  n = 0, cap = 0, i;
	int			  rc;

	if ((rc = mdb_cursor_open(txn, s->session_index, &cur)) != 0)
		return rc;
	lmdb_val(&key, address, strlen(address));
	rc = mdb_cursor_get(cur, &key, &data, MDB_SET);
	for (; rc == 0; rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT_DUP)) {
		if (data.mv_size != STORE_KEY_LEN) {
			log_warnx("store: delete sessions: bad index entry "
			    "skipped");
			continue;
		}
		if ((nv = lmdb_reserve(v, n, &cap, sizeof(*v))) == NULL) {
			log_warnx("store: delete sessions: out of memory");
			rc = LMDB_EBODY;
			break;
		}
		v = nv;
		memcpy(v[n], data.mv_data, STORE_KEY_LEN);
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto done;

	memset(&sess, 0, sizeof(sess));
	for (i = 0; i < n; i++) {
		rc = lmdb_session_load(s, txn, v[i], &sess,
		    "delete sessions");
		if (rc == MDB_NOTFOUND ||
		    (rc == 0 && strcmp(sess.address, address) != 0)) {
			store_session_clear(&sess);
			continue;
		}
		store_session_clear(&sess);
		if (rc == LMDB_EBODY)
			rc = lmdb_session_index_purge(s, txn, v[i]);
		if (rc != 0)
			goto done;
		lmdb_val(&key, v[i], STORE_KEY_LEN);
		if ((rc = mdb_del(txn, s->sessions, &key, NULL)) != 0)
			goto done;
	}
	lmdb_val(&key, address, strlen(address));
	rc = mdb_del(txn, s->session_index, &key, NULL);
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	free(v);
	return rc;
}

static int
lmdb_body_delete_account(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_account	*a = arg;
	MDB_val			 key;
	int			 rc;

	lmdb_val(&key, a->address, strlen(a->address));
	if ((rc = mdb_del(txn, s->accounts, &key, NULL)) != 0)
		return rc;
	return lmdb_sessions_del_address(s, txn, a->address);
}

static int
lmdb_delete_account(void *be, const char *address)
{
	struct lmdb_account	a = { .address = address };

	return lmdb_run(be, "delete account", LMDB_WRITE,
	    lmdb_body_delete_account, &a);
}

static void
lmdb_accounts_clear(struct lmdb_account *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		store_account_clear(&a->v[i]);
	a->n = 0;
}

/* Collect every account; the callbacks run after the transaction. */
static int
lmdb_body_list_accounts(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_account	*a = arg;
	void			*nv;
	MDB_cursor		*cur;
	MDB_val			 key, data;
	int			 rc;

	lmdb_accounts_clear(a);		/* a rerun starts afresh */
	if ((rc = mdb_cursor_open(txn, s->accounts, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
		if ((nv = lmdb_reserve(a->v, a->n, &a->cap,
		    sizeof(*a->v))) == NULL) {
			log_warnx("store: list accounts: out of memory");
			rc = LMDB_EBODY;
			break;
		}
		a->v = nv;
		if (store_record_decode_account(data.mv_data, data.mv_size,
		    &a->v[a->n]) == -1 ||
		    strlen(a->v[a->n].address) != key.mv_size ||
		    memcmp(a->v[a->n].address, key.mv_data,
		    key.mv_size) != 0) {
			store_account_clear(&a->v[a->n]);
			log_warnx("store: list accounts: corrupt record "
			    "skipped");
			continue;
		}
		a->n++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lmdb_list_accounts(void *be, store_account_fn fn, void *arg)
{
	struct lmdb_account	a = { .address = NULL };
	size_t			i;
	int			status;

	status = lmdb_run(be, "list accounts", LMDB_READ,
	    lmdb_body_list_accounts, &a);
	for (i = 0; status == STORE_OK && i < a.n; i++)
		if (fn(arg, &a.v[i]) != 0)
			break;
	lmdb_accounts_clear(&a);
	free(a.v);
	return status;
}

struct lmdb_session {
	const uint8_t			*key;
	const struct store_session	*in;
	const uint8_t			*rec;
	size_t				 reclen;
	struct store_session		*out;
	int64_t				 last_seen;
	int64_t				 idle_before, created_before;
	size_t				 removed;
};

static int
lmdb_body_put_session(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_session	*p = arg;
	struct store_session	 old;
	MDB_val			 key, data;
	int			 rc;

	/* Replacing a session of another address: move its index entry. */
	memset(&old, 0, sizeof(old));
	rc = lmdb_session_load(s, txn, p->in->key, &old, "put session");
	if (rc == MDB_NOTFOUND)
		rc = 0;
	else if (rc == LMDB_EBODY)
		rc = lmdb_session_index_purge(s, txn, p->in->key);
	else if (rc == 0 && strcmp(old.address, p->in->address) != 0)
		rc = lmdb_session_index_del(s, txn, old.address, p->in->key);
	store_session_clear(&old);
	if (rc != 0)
		return rc;
	lmdb_val(&key, p->in->key, STORE_KEY_LEN);
	lmdb_val(&data, p->rec, p->reclen);
	if ((rc = mdb_put(txn, s->sessions, &key, &data, 0)) != 0)
		return rc;
	return lmdb_session_index_put(s, txn, p->in->address, p->in->key);
}

static int
lmdb_put_session(void *be, const struct store_session *in)
{
	struct lmdb_session	 p = { .in = in };
	uint8_t			*rec;
	size_t			 reclen;
	int			 status;

	if (store_record_encode_session(in, &rec, &reclen) == -1) {
		log_warnx("store: put session: cannot encode the record");
		return STORE_ERROR;
	}
	p.rec = rec;
	p.reclen = reclen;
	status = lmdb_run(be, "put session", LMDB_WRITE,
	    lmdb_body_put_session, &p);
	lmdb_free_wiped(rec, reclen);
	return status;
}

static int
lmdb_body_get_session(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_session	*p = arg;

	return lmdb_session_load(s, txn, p->key, p->out, "get session");
}

static int
lmdb_get_session(void *be, const uint8_t key[STORE_KEY_LEN],
    struct store_session *out)
{
	struct lmdb_session	p = { .key = key, .out = out };
	int			status;

	status = lmdb_run(be, "get session", LMDB_READ,
	    lmdb_body_get_session, &p);
	if (status != STORE_OK)
		store_session_clear(out);
	return status;
}

/* last_seen only moves forward: requests may finish out of order. */
static int
lmdb_body_touch_session(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_session	*p = arg;
	struct store_session	 sess;
	uint8_t			*rec;
	size_t			 reclen;
	MDB_val			 key, data;
	int			 rc;

	memset(&sess, 0, sizeof(sess));
	if ((rc = lmdb_session_load(s, txn, p->key, &sess,
	    "touch session")) != 0)
		return rc;
	if (p->last_seen <= sess.last_seen) {
		store_session_clear(&sess);
		return 0;
	}
	sess.last_seen = p->last_seen;
	rc = store_record_encode_session(&sess, &rec, &reclen);
	store_session_clear(&sess);
	if (rc == -1) {
		log_warnx("store: touch session: cannot encode the record");
		return LMDB_EBODY;
	}
	lmdb_val(&key, p->key, STORE_KEY_LEN);
	lmdb_val(&data, rec, reclen);
	rc = mdb_put(txn, s->sessions, &key, &data, 0);
	lmdb_free_wiped(rec, reclen);
	return rc;
}

static int
lmdb_touch_session(void *be, const uint8_t key[STORE_KEY_LEN],
    int64_t last_seen)
{
	struct lmdb_session	p = { .key = key, .last_seen = last_seen };

	return lmdb_run(be, "touch session", LMDB_WRITE,
	    lmdb_body_touch_session, &p);
}

static int
lmdb_body_delete_session(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_session	*p = arg;

	return lmdb_session_del(s, txn, p->key, "delete session");
}

static int
lmdb_delete_session(void *be, const uint8_t key[STORE_KEY_LEN])
{
	struct lmdb_session	p = { .key = key };

	return lmdb_run(be, "delete session", LMDB_WRITE,
	    lmdb_body_delete_session, &p);
}

static int
lmdb_body_delete_sessions(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	return lmdb_sessions_del_address(s, txn, arg);
}

static int
lmdb_delete_sessions(void *be, const char *address)
{
	return lmdb_run(be, "delete sessions", LMDB_WRITE,
	    lmdb_body_delete_sessions, (void *)address);
}

struct lmdb_purge_ent {
	uint8_t	key[STORE_KEY_LEN];
	char	address[STORE_PORTAL_MAX_ADDRESS + 1];	/* "" if corrupt */
};

/* Collect the sessions to remove, then remove them (not while iterating). */
static int
lmdb_body_purge_sessions(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_session	*p = arg;
	struct lmdb_purge_ent	*v = NULL, *nv;
	struct store_session	 sess;
	MDB_cursor		*cur;
	MDB_val			 key, data;
	size_t			 n = 0, cap = 0, i;
	int			 rc, corrupt;

	p->removed = 0;
	if ((rc = mdb_cursor_open(txn, s->sessions, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
		if (key.mv_size != STORE_KEY_LEN) {
			log_warnx("store: purge sessions: bad key skipped");
			continue;
		}
		corrupt = store_record_decode_session(data.mv_data,
		    data.mv_size, &sess) == -1 ||
		    memcmp(sess.key, key.mv_data, STORE_KEY_LEN) != 0;
		if (!corrupt && sess.last_seen >= p->idle_before &&
		    sess.created >= p->created_before) {
			store_session_clear(&sess);
			continue;
		}
		if ((nv = lmdb_reserve(v, n, &cap, sizeof(*v))) == NULL) {
			store_session_clear(&sess);
			log_warnx("store: purge sessions: out of memory");
			rc = LMDB_EBODY;
			break;
		}
		v = nv;
		memcpy(v[n].key, key.mv_data, STORE_KEY_LEN);
		if (corrupt) {
			log_warnx("store: purge sessions: corrupt record "
			    "removed");
			v[n].address[0] = '\0';
		} else	/* the decoder bounds it */
			memcpy(v[n].address, sess.address,
			    strlen(sess.address) + 1);
		store_session_clear(&sess);
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto done;
	rc = 0;
	for (i = 0; i < n; i++) {
		lmdb_val(&key, v[i].key, STORE_KEY_LEN);
		if ((rc = mdb_del(txn, s->sessions, &key, NULL)) != 0)
			break;
		if (v[i].address[0] != '\0')
			rc = lmdb_session_index_del(s, txn, v[i].address,
			    v[i].key);
		else
			rc = lmdb_session_index_purge(s, txn, v[i].key);
		if (rc != 0)
			break;
	}
	if (rc == 0)
		p->removed = n;
done:
	free(v);
	return rc;
}

static int
lmdb_purge_sessions(void *be, int64_t idle_before, int64_t created_before,
    size_t *removed)
{
	struct lmdb_session	p = { .idle_before = idle_before,
				    .created_before = created_before };
	int			status;

	status = lmdb_run(be, "purge sessions", LMDB_WRITE,
	    lmdb_body_purge_sessions, &p);
	*removed = status == STORE_OK ? p.removed : 0;
	return status;
}

struct lmdb_token {
	const uint8_t		*key;
	int			 kind;
	int64_t			 now;
	const char		*address;
	const uint8_t		*rec;
	size_t			 reclen;
	struct store_token	 t;		/* the token found */
	int			 expired;	/* found but expired */
};

/*
 * Fetch token p->key into p->t: MDB_NOTFOUND if absent, of another kind
 * or expired (then p->expired is set), LMDB_EBODY if corrupt.
 */
static int
lmdb_token_load(struct lmdb_store *s, MDB_txn *txn, struct lmdb_token *p,
    const char *what)
{
	MDB_val	key, data;
	int	rc;

	store_token_clear(&p->t);
	p->expired = 0;
	lmdb_val(&key, p->key, STORE_KEY_LEN);
	if ((rc = mdb_get(txn, s->tokens, &key, &data)) != 0)
		return rc;
	if (store_record_decode_token(data.mv_data, data.mv_size,
	    &p->t) == -1 || memcmp(p->t.key, p->key, STORE_KEY_LEN) != 0) {
		store_token_clear(&p->t);
		log_warnx("store: %s: corrupt token record", what);
		return LMDB_EBODY;
	}
	if (p->t.kind != p->kind) {
		store_token_clear(&p->t);
		return MDB_NOTFOUND;	/* not this link's to use */
	}
	if (p->now >= p->t.expires) {
		store_token_clear(&p->t);
		p->expired = 1;
		return MDB_NOTFOUND;
	}
	return 0;
}

static int
lmdb_body_put_token(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_token	*p = arg;
	MDB_val			 key, data;

	lmdb_val(&key, p->key, STORE_KEY_LEN);
	lmdb_val(&data, p->rec, p->reclen);
	return mdb_put(txn, s->tokens, &key, &data, 0);
}

static int
lmdb_put_token(void *be, const struct store_token *t)
{
	struct lmdb_token	 p = { .key = t->key };
	uint8_t			*rec;
	size_t			 reclen;
	int			 status;

	if (store_record_encode_token(t, &rec, &reclen) == -1) {
		log_warnx("store: put token: cannot encode the record");
		return STORE_ERROR;
	}
	p.rec = rec;
	p.reclen = reclen;
	status = lmdb_run(be, "put token", LMDB_WRITE, lmdb_body_put_token,
	    &p);
	free(rec);
	return status;
}

static int
lmdb_body_peek_token(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	return lmdb_token_load(s, txn, arg, "peek token");
}

/* Delete the token if it is (still) of p->kind and expired at p->now. */
static int
lmdb_body_expire_token(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_token	*p = arg;
	MDB_val			 key;
	int			 rc;

	rc = lmdb_token_load(s, txn, p, "expire token");
	store_token_clear(&p->t);
	if (rc == 0 || (rc == MDB_NOTFOUND && !p->expired))
		return 0;	/* replaced, or gone: nothing to do */
	if (rc != MDB_NOTFOUND)
		return rc;
	lmdb_val(&key, p->key, STORE_KEY_LEN);
	return mdb_del(txn, s->tokens, &key, NULL);
}

static int
lmdb_peek_token(void *be, const uint8_t key[STORE_KEY_LEN], int kind,
    int64_t now, struct store_token *out)
{
	struct lmdb_token	p = { .key = key, .kind = kind, .now = now };
	int			status;

	status = lmdb_run(be, "peek token", LMDB_READ, lmdb_body_peek_token,
	    &p);
	if (status == STORE_OK) {
		*out = p.t;
		return STORE_OK;
	}
	store_token_clear(&p.t);
	/* Not found either way; a failed delete has been logged. */
	if (status == STORE_NOTFOUND && p.expired)
		(void)lmdb_run(be, "expire token", LMDB_WRITE,
		    lmdb_body_expire_token, &p);
	store_token_clear(&p.t);
	return status;
}

/* Found and valid: delete and hand out.  Expired: delete, not found. */
static int
lmdb_body_take_token(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_token	*p = arg;
	MDB_val			 key;
	int			 rc;

	rc = lmdb_token_load(s, txn, p, "take token");
	if (rc != 0 && !(rc == MDB_NOTFOUND && p->expired))
		return rc;
	lmdb_val(&key, p->key, STORE_KEY_LEN);
	return mdb_del(txn, s->tokens, &key, NULL);
}

static int
lmdb_take_token(void *be, const uint8_t key[STORE_KEY_LEN], int kind,
    int64_t now, struct store_token *out)
{
	struct lmdb_token	p = { .key = key, .kind = kind, .now = now };
	int			status;

	status = lmdb_run(be, "take token", LMDB_WRITE, lmdb_body_take_token,
	    &p);
	if (status == STORE_OK && !p.expired) {
		*out = p.t;
		return STORE_OK;
	}
	store_token_clear(&p.t);
	return status == STORE_OK ? STORE_NOTFOUND : status;
}

/* Tokens are few and short-lived: a scan, no index. */
static int
lmdb_body_delete_tokens(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_token	  *p = arg;
	struct store_token	   t;
	uint8_t			 (*v)[STORE_KEY_LEN] = NULL;
	void			  *nv;
	MDB_cursor		  *cur;
	MDB_val			   key, data;
	size_t			   n = 0, cap = 0, i;
	int			   rc, match;

	if ((rc = mdb_cursor_open(txn, s->tokens, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
		if (key.mv_size != STORE_KEY_LEN ||
		    store_record_decode_token(data.mv_data, data.mv_size,
		    &t) == -1) {
			log_warnx("store: delete tokens: corrupt record "
			    "skipped");
			continue;
		}
		match = t.kind == p->kind && strcmp(t.address, p->address) == 0;
		store_token_clear(&t);
		if (!match)
			continue;
		if ((nv = lmdb_reserve(v, n, &cap, sizeof(*v))) == NULL) {
			log_warnx("store: delete tokens: out of memory");
			rc = LMDB_EBODY;
			break;
		}
		v = nv;
		memcpy(v[n], key.mv_data, STORE_KEY_LEN);
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto done;
	rc = 0;
	for (i = 0; i < n; i++) {
		lmdb_val(&key, v[i], STORE_KEY_LEN);
		if ((rc = mdb_del(txn, s->tokens, &key, NULL)) != 0)
			break;
	}
done:
	free(v);
	return rc;
}

static int
lmdb_delete_tokens(void *be, const char *address, int kind)
{
	struct lmdb_token	p = { .address = address, .kind = kind };

	return lmdb_run(be, "delete tokens", LMDB_WRITE,
	    lmdb_body_delete_tokens, &p);
}

struct lmdb_open {
	uint8_t		key[LMDB_OPEN_KEYLEN];	/* id || address */
	size_t		keylen;
	int64_t		when;
};

static void
lmdb_open_key(struct lmdb_open *o, const uint8_t *id, const char *address)
{
	size_t	len = strlen(address);	/* store.c bounds it */

	memcpy(o->key, id, MSGID_LEN);
	memcpy(o->key + MSGID_LEN, address, len);
	o->keylen = MSGID_LEN + len;
}

static int
lmdb_body_get_open(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_open	*o = arg;
	MDB_val			 key, data;
	uint64_t		 u;
	int			 rc;

	lmdb_val(&key, o->key, o->keylen);
	if ((rc = mdb_get(txn, s->opens, &key, &data)) != 0)
		return rc;
	if (data.mv_size != 8) {
		lmdb_log_id("get open", o->key, "corrupt open record");
		return LMDB_EBODY;
	}
	u = be64_get(data.mv_data);
	memcpy(&o->when, &u, sizeof(o->when));
	return 0;
}

static int
lmdb_get_open(void *be, const uint8_t id[MSGID_LEN], const char *address,
    int64_t *when)
{
	struct lmdb_open	o;
	int			status;

	lmdb_open_key(&o, id, address);
	status = lmdb_run(be, "get open", LMDB_READ, lmdb_body_get_open, &o);
	if (status == STORE_OK)
		*when = o.when;
	return status;
}

static int
lmdb_body_record_open(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_open	*o = arg;
	uint8_t			 buf[8];
	MDB_val			 key, data;
	int			 rc;

	be64_put(buf, (uint64_t)o->when);
	lmdb_val(&key, o->key, o->keylen);
	lmdb_val(&data, buf, sizeof(buf));
	rc = mdb_put(txn, s->opens, &key, &data, MDB_NOOVERWRITE);
	return rc == MDB_KEYEXIST ? 0 : rc;	/* the first open stays */
}

static int
lmdb_record_open(void *be, const uint8_t id[MSGID_LEN], const char *address,
    int64_t when)
{
	struct lmdb_open	o;
	int			status;

	/* Every read of a message records; most find the first one. */
	lmdb_open_key(&o, id, address);
	status = lmdb_run(be, "record open", LMDB_READ, lmdb_body_get_open,
	    &o);
	if (status != STORE_NOTFOUND)
		return status;
	o.when = when;
	return lmdb_run(be, "record open", LMDB_WRITE, lmdb_body_record_open,
	    &o);
}

static int
lmdb_body_stat(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct store_stats	*out = arg;
	MDB_stat		 ms;
	MDB_envinfo		 info;
	int			 rc;

	if ((rc = mdb_stat(txn, s->accounts, &ms)) != 0)
		return rc;
	out->accounts = ms.ms_entries;
	if ((rc = mdb_stat(txn, s->sessions, &ms)) != 0)
		return rc;
	out->sessions = ms.ms_entries;
	if ((rc = mdb_stat(txn, s->tokens, &ms)) != 0)
		return rc;
	out->tokens = ms.ms_entries;
	if ((rc = mdb_stat(txn, s->messages, &ms)) != 0 ||
	    (rc = mdb_env_info(s->env, &info)) != 0)
		return rc;
	out->messages = ms.ms_entries;
	out->map_size = info.me_mapsize;
	out->map_used = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	return 0;
}

static int
lmdb_stat(void *be, struct store_stats *out)
{
	struct lmdb_store	*s = be;
	int			 dead, status;

	if (lmdb_reader_check(s, &dead) == -1)
		return STORE_ERROR;
	if ((status = lmdb_run(s, "stat", LMDB_READ, lmdb_body_stat,
	    out)) != STORE_OK)
		return status;
	out->map_max = s->map_max_cfg;
	out->stale_readers = dead;
	return STORE_OK;
}

/* ---- aliases ---------------------------------------------------------- */

struct lmdb_alias {
	const char		*alias;
	const struct store_alias *in;
	struct store_alias	*out;
	struct store_alias	*v;		/* list */
	size_t			 n, cap;
};

static int
lmdb_alias_read(struct lmdb_store *s, MDB_txn *txn, const char *alias,
    struct store_alias *out)
{
	MDB_val	key, data;
	int	rc;

	lmdb_val(&key, alias, strlen(alias));
	if ((rc = mdb_get(txn, s->aliases, &key, &data)) != 0)
		return rc;
	if (store_record_decode_alias(data.mv_data, data.mv_size, out) == -1 ||
	    strcmp(out->alias, alias) != 0) {
		store_alias_clear(out);
		log_warnx("store: alias: corrupt record");
		return LMDB_EBODY;
	}
	return 0;
}

/* Write a (record and index entry), replacing any earlier master's. */
static int
lmdb_alias_write(struct lmdb_store *s, MDB_txn *txn,
    const struct store_alias *a)
{
	struct store_alias	 old;
	MDB_val			 key, data;
	uint8_t			*rec;
	size_t			 reclen;
	int			 rc;

	memset(&old, 0, sizeof(old));
	rc = lmdb_alias_read(s, txn, a->alias, &old);
	if (rc == 0) {
		lmdb_val(&key, old.master, strlen(old.master));
		lmdb_val(&data, old.alias, strlen(old.alias));
		rc = mdb_del(txn, s->alias_index, &key, &data);
		store_alias_clear(&old);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	} else if (rc != MDB_NOTFOUND)
		return rc;
	if (store_record_encode_alias(a, &rec, &reclen) == -1) {
		log_warnx("store: alias: cannot encode the record");
		return LMDB_EBODY;
	}
	lmdb_val(&key, a->alias, strlen(a->alias));
	lmdb_val(&data, rec, reclen);
	rc = mdb_put(txn, s->aliases, &key, &data, 0);
	free(rec);
	if (rc != 0)
		return rc;
	lmdb_val(&key, a->master, strlen(a->master));
	lmdb_val(&data, a->alias, strlen(a->alias));
	rc = mdb_put(txn, s->alias_index, &key, &data, MDB_NODUPDATA);
	return rc == MDB_KEYEXIST ? 0 : rc;
}

static int
lmdb_alias_remove(struct lmdb_store *s, MDB_txn *txn, const char *alias)
{
	struct store_alias	old;
	MDB_val			key, data;
	int			rc;

	memset(&old, 0, sizeof(old));
	if ((rc = lmdb_alias_read(s, txn, alias, &old)) != 0)
		return rc;
	lmdb_val(&key, old.master, strlen(old.master));
	lmdb_val(&data, old.alias, strlen(old.alias));
	rc = mdb_del(txn, s->alias_index, &key, &data);
	store_alias_clear(&old);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	lmdb_val(&key, alias, strlen(alias));
	return mdb_del(txn, s->aliases, &key, NULL);
}

static int
lmdb_body_put_alias(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_alias *a = arg;

	return lmdb_alias_write(s, txn, a->in);
}

static int
lmdb_put_alias(void *be, const struct store_alias *in)
{
	struct lmdb_alias a = { .in = in };

	return lmdb_run(be, "put alias", LMDB_WRITE, lmdb_body_put_alias, &a);
}

static int
lmdb_body_get_alias(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_alias *a = arg;

	store_alias_clear(a->out);
	return lmdb_alias_read(s, txn, a->alias, a->out);
}

static int
lmdb_get_alias(void *be, const char *alias, struct store_alias *out)
{
	struct lmdb_alias	a = { .alias = alias, .out = out };
	int			status;

	status = lmdb_run(be, "get alias", LMDB_READ, lmdb_body_get_alias, &a);
	if (status != STORE_OK)
		store_alias_clear(out);
	return status;
}

static int
lmdb_body_delete_alias(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_alias *a = arg;

	return lmdb_alias_remove(s, txn, a->alias);
}

static int
lmdb_delete_alias(void *be, const char *alias)
{
	struct lmdb_alias a = { .alias = alias };

	return lmdb_run(be, "delete alias", LMDB_WRITE,
	    lmdb_body_delete_alias, &a);
}

static void
lmdb_aliases_clear(struct lmdb_alias *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		store_alias_clear(&a->v[i]);
	a->n = 0;
}

/* Collect master's aliases (a->alias is the master here). */
static int
lmdb_aliases_collect(struct lmdb_store *s, MDB_txn *txn, struct lmdb_alias *a)
{
	MDB_cursor	*cur;
	MDB_val		 key, data;
	char		*alias;
	void		*nv;
	int		 rc, r2;

	lmdb_aliases_clear(a);		/* a rerun starts afresh */
	if ((rc = mdb_cursor_open(txn, s->alias_index, &cur)) != 0)
		return rc;
	lmdb_val(&key, a->alias, strlen(a->alias));
	rc = mdb_cursor_get(cur, &key, &data, MDB_SET_KEY);
	for (; rc == 0; rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT_DUP)) {
		if ((nv = lmdb_reserve(a->v, a->n, &a->cap,
		    sizeof(*a->v))) == NULL ||
		    (alias = strndup(data.mv_data, data.mv_size)) == NULL) {
			log_warnx("store: list aliases: out of memory");
			rc = LMDB_EBODY;
			break;
		}
		a->v = nv;
		memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
		r2 = lmdb_alias_read(s, txn, alias, &a->v[a->n]);
		free(alias);
		if (r2 == MDB_NOTFOUND || r2 == LMDB_EBODY)
			continue;	/* a stale index entry: skip it */
		if (r2 != 0) {
			rc = r2;
			break;
		}
		a->n++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lmdb_body_list_aliases(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	return lmdb_aliases_collect(s, txn, arg);
}

static int
lmdb_list_aliases(void *be, const char *master, store_alias_fn fn, void *arg)
{
	struct lmdb_alias	a = { .alias = master };
	size_t			i;
	int			status;

	status = lmdb_run(be, "list aliases", LMDB_READ,
	    lmdb_body_list_aliases, &a);
	for (i = 0; status == STORE_OK && i < a.n; i++)
		if (fn(arg, &a.v[i]) != 0)
			break;
	lmdb_aliases_clear(&a);
	free(a.v);
	return status;
}

/*
 * The account moves from the old master to the alias, the old master
 * becomes a confirmed alias, every other alias follows, and the
 * account's sessions end: one transaction.
 */
static int
lmdb_body_promote_alias(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_alias	*p = arg;
	struct lmdb_alias	 others = { .alias = NULL };
	struct store_alias	 al, moved;
	struct store_account	 acc;
	MDB_val			 key, data;
	uint8_t			*rec = NULL;
	size_t			 reclen, i;
	char			*old = NULL;
	int			 rc;

	memset(&al, 0, sizeof(al));
	memset(&acc, 0, sizeof(acc));
	if ((rc = lmdb_alias_read(s, txn, p->alias, &al)) != 0)
		return rc;
	if (al.status != STORE_ALIAS_CONFIRMED) {
		rc = MDB_NOTFOUND;
		goto done;
	}
	if ((old = strdup(al.master)) == NULL) {
		rc = LMDB_EBODY;
		goto done;
	}
	/* The account record, under its new address. */
	lmdb_val(&key, old, strlen(old));
	if ((rc = mdb_get(txn, s->accounts, &key, &data)) != 0)
		goto done;
	if (store_record_decode_account(data.mv_data, data.mv_size,
	    &acc) == -1) {
		log_warnx("store: promote alias: corrupt account");
		rc = LMDB_EBODY;
		goto done;
	}
	free(acc.address);
	if ((acc.address = strdup(p->alias)) == NULL ||
	    store_record_encode_account(&acc, &rec, &reclen) == -1) {
		rc = LMDB_EBODY;
		goto done;
	}
	if ((rc = mdb_del(txn, s->accounts, &key, NULL)) != 0)
		goto done;
	lmdb_val(&key, p->alias, strlen(p->alias));
	lmdb_val(&data, rec, reclen);
	if ((rc = mdb_put(txn, s->accounts, &key, &data, 0)) != 0)
		goto done;
	if ((rc = lmdb_sessions_del_address(s, txn, old)) != 0)
		goto done;
	/* The new master is nobody's alias; the others follow it. */
	if ((rc = lmdb_alias_remove(s, txn, p->alias)) != 0)
		goto done;
	others.alias = old;
	if ((rc = lmdb_aliases_collect(s, txn, &others)) != 0)
		goto done;
	for (i = 0; i < others.n; i++) {
		moved = others.v[i];
		moved.master = (char *)p->alias;
		if ((rc = lmdb_alias_write(s, txn, &moved)) != 0)
			goto done;
	}
	memset(&moved, 0, sizeof(moved));
	moved.alias = old;
	moved.master = (char *)p->alias;
	moved.status = STORE_ALIAS_CONFIRMED;
	moved.created = al.created;
	rc = lmdb_alias_write(s, txn, &moved);
done:
	lmdb_aliases_clear(&others);
	free(others.v);
	store_alias_clear(&al);
	store_account_clear(&acc);
	free(rec);
	free(old);
	return rc;
}

static int
lmdb_promote_alias(void *be, const char *alias)
{
	struct lmdb_alias a = { .alias = alias };

	return lmdb_run(be, "promote alias", LMDB_WRITE,
	    lmdb_body_promote_alias, &a);
}

/* ---- maintenance: expiry, key rotation, backup ------------------------ */

struct lmdb_update {
	struct lmdb_get	 g;
	const uint8_t	*wrapped;	/* new wrapped key, or NULL */
	int64_t		 expires;
	int		 set_expires;
};

/* Rewrite one record with new fields; chunks and index are untouched
 * (neither expires nor the wrapped key is in an index key). */
static int
lmdb_body_update(struct lmdb_store *s, MDB_txn *txn, void *arg)
{
	struct lmdb_update	*u = arg;
	uint8_t			*rec = NULL;
	size_t			 reclen;
	MDB_val			 key, data;
	int			 rc;

	if ((rc = lmdb_load(s, txn, &u->g, "update message")) != 0)
		return rc;
	if (u->wrapped != NULL)
		memcpy(u->g.m->wrapped_key, u->wrapped, ENVELOPE_WRAPPED_LEN);
	if (u->set_expires)
		u->g.m->expires = u->expires;
	if (store_record_encode(u->g.m, &rec, &reclen) == -1) {
		lmdb_log_id("update message", u->g.id,
		    "cannot encode the record");
		return LMDB_EBODY;
	}
	key.mv_size = MSGID_LEN;
	key.mv_data = (void *)u->g.id;
	data.mv_size = reclen;
	data.mv_data = rec;
	rc = mdb_put(txn, s->messages, &key, &data, 0);
	free(rec);
	return rc;
}

static int
lmdb_update(void *be, struct lmdb_update *u)
{
	struct store_message	m;
	int			status;

	memset(&m, 0, sizeof(m));
	u->g.m = &m;
	status = lmdb_run(be, "update message", LMDB_WRITE, lmdb_body_update,
	    u);
	store_message_clear(&m);
	return status;
}

static int
lmdb_set_expires(void *be, const uint8_t id[MSGID_LEN], int64_t expires)
{
	struct lmdb_update	u = { .g = { .id = id }, .expires = expires,
				    .set_expires = 1 };

	return lmdb_update(be, &u);
}

static int
lmdb_set_wrapped_key(void *be, const uint8_t id[MSGID_LEN],
    const uint8_t *wrapped)
{
	struct lmdb_update	u = { .g = { .id = id }, .wrapped = wrapped };

	return lmdb_update(be, &u);
}

/* 1 if dir has no entry but . and .., 0 if it has, -1 (errno). */
static int
lmdb_dir_empty(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	int		 empty = 1;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

static int
lmdb_fsync_path(const char *path, int flags)
{
	int	fd, rc;

	if ((fd = open(path, flags | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * mdb_env_copyfd2 with MDB_CP_COMPACT: one read transaction, so the copy
 * is the store as of one commit, free pages left out.  Our own file
 * descriptor, so that data.mdb is created 0600 and synced.  The copy's
 * read transaction holds s->lock shared like any other (no resize of
 * this process's map meanwhile); another process growing the map is
 * adopted and the copy started again.
 */
static int
lmdb_backup(void *be, const char *dest, char *err, size_t errlen)
{
	struct lmdb_store	*s = be;
	struct stat		 sb;
	char			 file[4096];
	int			 fd = -1, rc = 0, attempt, created = 0, lrc;

	if (stat(dest, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a "
			    "directory", dest);
			return -1;
		}
		if ((rc = lmdb_dir_empty(dest)) == -1) {
			snprintf(err, errlen, "%s: %s", dest, strerror(errno));
			return -1;
		}
		if (rc == 0) {
			snprintf(err, errlen, "%s: not empty", dest);
			return -1;
		}
	} else if (errno != ENOENT || mkdir(dest, 0700) == -1) {
		snprintf(err, errlen, "%s: %s", dest, strerror(errno));
		return -1;
	} else
		created = 1;
	if ((size_t)snprintf(file, sizeof(file), "%s/data.mdb", dest) >=
	    sizeof(file)) {
		snprintf(err, errlen, "%s: path too long", dest);
		goto err;
	}
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		goto err;
	}
	for (attempt = 0; attempt < LMDB_MAX_ATTEMPTS; attempt++) {
		if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1) {
			snprintf(err, errlen, "%s: %s", file, strerror(errno));
			goto err;
		}
		if ((lrc = pthread_rwlock_rdlock(&s->lock)) != 0) {
			snprintf(err, errlen, "lock: %s", strerror(lrc));
			goto err;
		}
		rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
		pthread_rwlock_unlock(&s->lock);
		if (rc != MDB_MAP_RESIZED)
			break;
		if (lmdb_adopt(s) != STORE_OK)
			break;
	}
	if (rc != 0) {
		snprintf(err, errlen, "copy to %s: %s", file, mdb_strerror(rc));
		goto err;
	}
	if (fsync(fd) == -1) {
		snprintf(err, errlen, "%s: fsync: %s", file, strerror(errno));
		goto err;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		goto err;
	}
	fd = -1;
	if (lmdb_fsync_path(dest, O_RDONLY | O_DIRECTORY) == -1) {
		snprintf(err, errlen, "%s: fsync: %s", dest, strerror(errno));
		goto err;
	}
	log_info("store: backup written to %s", dest);
	return 0;
err:
	if (fd != -1) {
		close(fd);
		unlink(file);
	}
	if (created)
		rmdir(dest);
	return -1;
}

const struct store_ops store_lmdb_ops = {
	.name = "lmdb",
	.open = lmdb_open,
	.close = lmdb_close,
	.put_message = lmdb_put_message,
	.get_message = lmdb_get_message,
	.get_chunk = lmdb_get_chunk,
	.set_flags = lmdb_set_flags,
	.delete_message = lmdb_delete_message,
	.list_messages = lmdb_list_messages,
	.get_account = lmdb_get_account,
	.put_account = lmdb_put_account,
	.delete_account = lmdb_delete_account,
	.list_accounts = lmdb_list_accounts,
	.put_session = lmdb_put_session,
	.get_session = lmdb_get_session,
	.touch_session = lmdb_touch_session,
	.delete_session = lmdb_delete_session,
	.delete_sessions = lmdb_delete_sessions,
	.purge_sessions = lmdb_purge_sessions,
	.put_token = lmdb_put_token,
	.peek_token = lmdb_peek_token,
	.take_token = lmdb_take_token,
	.delete_tokens = lmdb_delete_tokens,
	.record_open = lmdb_record_open,
	.get_open = lmdb_get_open,
	.put_alias = lmdb_put_alias,
	.get_alias = lmdb_get_alias,
	.delete_alias = lmdb_delete_alias,
	.list_aliases = lmdb_list_aliases,
	.promote_alias = lmdb_promote_alias,
	.stat = lmdb_stat,
	.set_expires = lmdb_set_expires,
	.set_wrapped_key = lmdb_set_wrapped_key,
	.backup = lmdb_backup,
};
