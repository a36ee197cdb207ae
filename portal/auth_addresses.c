/*
 * Which addresses are the signed-in user's (SPEC "Security properties":
 * a recipient opens only messages addressed to one of their confirmed
 * addresses): the login address and its confirmed aliases, read from
 * the store once per request.  Every "is this user a recipient or the
 * sender" decision of the portal goes through user->addresses.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "log.h"
#include "store.h"

struct addr_collect {
	struct auth_user	*user;
	int			 oom;
};

static int
collect_confirmed(void *arg, const struct store_alias *a)
{
	struct addr_collect	*c = arg;
	struct auth_user	*u = c->user;
	char			**v;

	if (a->status != STORE_ALIAS_CONFIRMED ||
	    strcasecmp(a->alias, u->address) == 0)
		return 0;
	if ((v = reallocarray(u->addresses, u->naddresses + 1,
	    sizeof(*v))) == NULL)
		goto oom;
	u->addresses = v;
	if ((v[u->naddresses] = strdup(a->alias)) == NULL)
		goto oom;
	u->naddresses++;
	return 0;
 oom:
	c->oom = 1;
	return 1;
}

int
auth_addresses_load(struct portal *p, struct auth_user *user)
{
	struct addr_collect	c = { user, 0 };
	int			st;

	if ((user->addresses = calloc(1, sizeof(*user->addresses))) == NULL ||
	    (user->addresses[0] = strdup(user->address)) == NULL)
		return -1;
	user->naddresses = 1;
	st = store_list_aliases(p->store, user->address, collect_confirmed,
	    &c);
	if (c.oom || (st != STORE_OK && st != STORE_NOTFOUND)) {
		log_warnx("cannot read the aliases of %s: %s", user->address,
		    c.oom ? "out of memory" : store_strerror(st));
		return -1;
	}
	return 0;
}

int
auth_user_has(const struct auth_user *user, const char *address)
{
	size_t	i;

	if (address == NULL || address[0] == '\0')
		return 0;
	for (i = 0; i < user->naddresses; i++)
		if (strcasecmp(user->addresses[i], address) == 0)
			return 1;
	return 0;
}
