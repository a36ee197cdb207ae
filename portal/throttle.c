/*
 * Sliding-window event counts per key: each key keeps the times of its
 * last `max` events in a ring, so "blocked" is one comparison with the
 * oldest of them.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "throttle.h"

struct throttle_entry {
	time_t		*ts;		/* ring of max event times */
	unsigned	 n;		/* events held, <= max */
	unsigned	 next;		/* where the next one goes */
};

struct throttle_table {
	struct throttle_limit	 limit;
	GHashTable		*keys;	/* char * -> struct throttle_entry * */
};

struct throttle {
	struct throttle_table	 t[THROTTLE_NKINDS];
};

static const struct throttle_limit throttle_defaults[THROTTLE_NKINDS] = {
	[THROTTLE_LOGIN_ADDRESS] = { THROTTLE_LOGIN_ADDRESS_MAX,
	    THROTTLE_LOGIN_WINDOW },
	[THROTTLE_LOGIN_IP] = { THROTTLE_LOGIN_IP_MAX, THROTTLE_LOGIN_WINDOW },
	[THROTTLE_MAIL_ADDRESS] = { THROTTLE_MAIL_ADDRESS_MAX,
	    THROTTLE_MAIL_WINDOW },
	[THROTTLE_MAIL_IP] = { THROTTLE_MAIL_IP_MAX, THROTTLE_MAIL_WINDOW },
	[THROTTLE_MAIL_ONCE] = { THROTTLE_MAIL_ONCE_MAX,
	    THROTTLE_MAIL_WINDOW },
};

static void
entry_free(void *p)
{
	struct throttle_entry	*e = p;

	if (e == NULL)
		return;
	free(e->ts);
	free(e);
}

static time_t
entry_newest(const struct throttle_entry *e, unsigned max)
{
	return e->ts[(e->next + max - 1) % max];
}

static time_t
entry_oldest(const struct throttle_entry *e, unsigned max)
{
	return e->ts[(e->next + max - e->n) % max];
}

struct throttle *
throttle_new(const struct throttle_limit limits[THROTTLE_NKINDS])
{
	struct throttle	*t;
	int		 k;

	if (limits == NULL)
		limits = throttle_defaults;
	for (k = 0; k < THROTTLE_NKINDS; k++)
		if (limits[k].max < 1 || limits[k].max > 1000 ||
		    limits[k].window < 1)
			return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	for (k = 0; k < THROTTLE_NKINDS; k++) {
		t->t[k].limit = limits[k];
		t->t[k].keys = g_hash_table_new_full(g_str_hash, g_str_equal,
		    free, entry_free);
	}
	return t;
}

void
throttle_free(struct throttle *t)
{
	int	k;

	if (t == NULL)
		return;
	for (k = 0; k < THROTTLE_NKINDS; k++)
		if (t->t[k].keys != NULL)
			g_hash_table_destroy(t->t[k].keys);
	free(t);
}

static struct throttle_table *
throttle_table(struct throttle *t, int kind)
{
	if (t == NULL || kind < 0 || kind >= THROTTLE_NKINDS)
		return NULL;
	return &t->t[kind];
}

int
throttle_blocked(struct throttle *t, int kind, const char *key, time_t now)
{
	struct throttle_table	*tab;
	struct throttle_entry	*e;

	if ((tab = throttle_table(t, kind)) == NULL || key == NULL)
		return 0;
	if ((e = g_hash_table_lookup(tab->keys, key)) == NULL)
		return 0;
	return e->n == tab->limit.max &&
	    now - entry_oldest(e, tab->limit.max) < tab->limit.window;
}

/* Make room for one more key: drop the quiet ones, else the stalest. */
static void
throttle_prune(struct throttle_table *tab, time_t now)
{
	GHashTableIter		 it;
	void			*k, *v;
	const char		*stalest = NULL;
	time_t			 stalest_t = 0, newest;

	g_hash_table_iter_init(&it, tab->keys);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		newest = entry_newest(v, tab->limit.max);
		if (now - newest >= tab->limit.window)
			g_hash_table_iter_remove(&it);
	}
	if (g_hash_table_size(tab->keys) < THROTTLE_MAX_KEYS)
		return;
	g_hash_table_iter_init(&it, tab->keys);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		newest = entry_newest(v, tab->limit.max);
		if (stalest == NULL || newest < stalest_t) {
			stalest = k;
			stalest_t = newest;
		}
	}
	if (stalest != NULL)
		g_hash_table_remove(tab->keys, stalest);
}

int
throttle_record(struct throttle *t, int kind, const char *key, time_t now)
{
	struct throttle_table	*tab;
	struct throttle_entry	*e;
	char			*k;

	if ((tab = throttle_table(t, kind)) == NULL || key == NULL)
		return -1;
	if ((e = g_hash_table_lookup(tab->keys, key)) == NULL) {
		if (g_hash_table_size(tab->keys) >= THROTTLE_MAX_KEYS)
			throttle_prune(tab, now);
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return -1;
		if ((e->ts = calloc(tab->limit.max, sizeof(*e->ts))) == NULL ||
		    (k = strdup(key)) == NULL) {
			entry_free(e);
			return -1;
		}
		g_hash_table_insert(tab->keys, k, e);
	}
	e->ts[e->next] = now;
	e->next = (e->next + 1) % tab->limit.max;
	if (e->n < tab->limit.max)
		e->n++;
	return 0;
}

void
throttle_clear(struct throttle *t, int kind, const char *key)
{
	struct throttle_table	*tab;

	if ((tab = throttle_table(t, kind)) == NULL || key == NULL)
		return;
	g_hash_table_remove(tab->keys, key);
}
