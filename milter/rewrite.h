/*
 * The rewrite plan: which header edits turn a secure message into its
 * notification.  Built from the header names alone (no libmilter), and
 * applied in order by callbacks.c: header deletions and changes first
 * (for each name, highest occurrence first, so that indexes stay valid),
 * then additions, then the body replacement.
 */
#ifndef SEALPOST_REWRITE_H
#define SEALPOST_REWRITE_H

#include <stddef.h>

#include "config.h"

enum rewrite_op_type {
	REWRITE_CHANGE,		/* value NULL deletes occurrence index */
	REWRITE_ADD,
};

struct rewrite_op {
	enum rewrite_op_type	 type;
	char			*name;
	int			 index;		/* 1-based, among same-named headers */
	char			*value;		/* with its leading space */
};

struct rewrite_plan {
	struct rewrite_op	*ops;
	size_t			 nops;
	char			*body;		/* replacement body (CRLF), or NULL */
	size_t			 bodylen;
	struct strlist		 delrcpts;	/* envelope recipients to remove */
	struct strlist		 addrcpts;	/* and to add (alias masters) */
};

/* Append a copy of addr to l; 0 or -1. */
int	rewrite_strlist_add(struct strlist *l, const char *addr)
	    __attribute__((warn_unused_result));

/* 1 if a header of this name survives into the notification as it is. */
int	rewrite_header_kept(const char *name);

/*
 * Plan the header edits for headers names[0..n-1] (in message order):
 * every header not kept is deleted, Subject is set to subject (its first
 * occurrence changed, others deleted, added if absent), Reply-To is set to
 * reply_to, and MIME-Version and Content-Type are set for the
 * notification body.  Values are given without a leading space.  0 or -1.
 */
int	rewrite_plan_headers(struct rewrite_plan *plan, const char *const *names,
	    size_t n, const char *subject, const char *reply_to,
	    const char *content_type) __attribute__((warn_unused_result));

/* Frees everything the plan owns; the struct itself is the caller's. */
void	rewrite_plan_clear(struct rewrite_plan *plan);

#endif
