/*
 * The password policy (NIST SP 800-63B style: length and a blocklist, no
 * composition rules): at least min_len characters (UTF-8 code points),
 * at most PASSWORD_MAX_BYTES bytes; refused if it contains the account's
 * address or its local part (any case; local parts shorter than 3
 * characters are not checked, or every password with an "a" would fail
 * for a@example.org), if it is on the shipped list of common passwords
 * (templates_dir/common-passwords.txt, compared lowercased), if it uses
 * fewer than PASSWORD_MIN_DISTINCT different characters, or if it is one
 * run of consecutive characters ("abcdefghijklmnop", "987654...").
 */
#ifndef SEALPOST_PASSWORD_H
#define SEALPOST_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX_BYTES	1024
#define PASSWORD_MIN_DISTINCT	5
#define PASSWORD_LIST_FILE	"common-passwords.txt"

enum password_verdict {
	PASSWORD_OK = 0,
	PASSWORD_TOO_SHORT,
	PASSWORD_TOO_LONG,
	PASSWORD_HAS_ADDRESS,
	PASSWORD_COMMON,
	PASSWORD_REPETITIVE,
	PASSWORD_SEQUENCE,
	PASSWORD_INVALID,	/* not UTF-8, or holds a control character */
};

struct password_list;

/*
 * Load the list: one password per line, '#' comments and blank lines
 * skipped, stored lowercased.  -1 with err if the file cannot be read or
 * holds no entry.  The caller frees with password_list_free().
 */
int	password_list_load(const char *path, struct password_list **out,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
void	password_list_free(struct password_list *list);
size_t	password_list_count(const struct password_list *list);
/* 1 if pw, lowercased (ASCII), is on the list. */
int	password_list_contains(const struct password_list *list,
	    const char *pw);

/* An enum password_verdict.  list may be NULL (no blocklist). */
int	password_check(const char *pw, const char *address, size_t min_len,
	    const struct password_list *list)
	    __attribute__((warn_unused_result));

/* A sentence for the form, into buf. */
void	password_verdict_text(int verdict, size_t min_len, char *buf,
	    size_t len);

#endif
