/*
 * retention_run against a temporary LMDB store, with an injected clock
 * and sendmail_command pointing at a script that saves each mail: which
 * messages are purged (with their chunks and opens), the revoked
 * message's day of grace, and expiry reminders (only to recipients who
 * never opened, once, not to disabled or unsubscribed accounts, retried
 * when every mail failed).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>
#include <signal.h>

#include "config.h"
#include "msgid.h"
#include "retention.h"
#include "store.h"

#define NOW	((int64_t)1800000000)	/* 2027-01-15T08:00:00Z */
#define DAY	((int64_t)86400)
#define URL	"https://portal.example.test"

struct fixture {
	char		 dir[64];
	char		 maildir[96];
	char		 ok_cmd[192];	/* saves the mail */
	char		 fail_cmd[192];	/* exits 1 */
	struct config	 cfg;
	struct store	*st;
};

static struct fixture	*F;

static void
write_script(const char *path, const char *text)
{
	FILE	*fp;

	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0700), 0);
}

static int
setup(void **state)
{
	struct fixture	*f;
	char		 text[1024], path[160], script[512], err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_retention.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->maildir, sizeof(f->maildir), "%s/mail", f->dir);
	if (mkdir(f->maildir, 0700) == -1)
		return -1;
	/* Without -t the mailer appends the recipient as the last word. */
	snprintf(path, sizeof(path), "%s/sendmail-ok", f->dir);
	snprintf(script, sizeof(script), "#!/bin/sh\n"
	    "for a; do rcpt=$a; done\n"
	    "f=$(mktemp %s/mail.XXXXXX) || exit 75\n"
	    "{ printf 'X-Test-Rcpt: %%s\\n' \"$rcpt\"; cat; } >\"$f\"\n",
	    f->maildir);
	write_script(path, script);
	snprintf(f->ok_cmd, sizeof(f->ok_cmd), "%s -i", path);
	snprintf(path, sizeof(path), "%s/sendmail-fail", f->dir);
	write_script(path, "#!/bin/sh\ncat >/dev/null\nexit 1\n");
	snprintf(f->fail_cmd, sizeof(f->fail_cmd), "%s -i", path);

	snprintf(text, sizeof(text),
	    "store_path = %s/store\n"
	    "store_map_size = 64M\n"
	    "templates_dir = %s/conf/templates\n"
	    "portal_url = " URL "/\n"
	    "noreply_address = noreply@example.com\n"
	    "sendmail_command = %s\n"
	    "expiry_reminder = 7d\n", f->dir, SOURCE_DIR, f->ok_cmd);
	if (config_load_string(&f->cfg, "test.conf", text, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	if (store_open(&f->cfg, STORE_OPEN_CREATE, &f->st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	F = f;
	*state = f;
	return 0;
}

static void
rm_dir_files(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		 p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 p[160];

	store_close(f->st);
	config_free(&f->cfg);
	snprintf(p, sizeof(p), "%s/store", f->dir);
	rm_dir_files(p);
	rm_dir_files(f->maildir);
	rm_dir_files(f->dir);
	free(f);
	F = NULL;
	return 0;
}

static void
set_sendmail(struct fixture *f, const char *cmd)
{
	free(f->cfg.sendmail_command);
	f->cfg.sendmail_command = strdup(cmd);
	assert_non_null(f->cfg.sendmail_command);
}

/* Two chunks per message, so that "chunks gone" means more than one. */
static int
chunk_src(void *arg, uint32_t index, const uint8_t **ct, size_t *len)
{
	static const uint8_t	data[2][8] = { "chunk-0", "chunk-1" };

	if (index > 1)
		return -1;
	*ct = data[index];
	*len = sizeof(data[index]);
	return 0;
}

/* Put a message with id derived from tag; rcpts NULL-terminated. */
static void
put_msg(uint8_t tag, int64_t received, int64_t expires, uint32_t flags,
    const char *const *rcpts, uint8_t id[MSGID_LEN])
{
	struct store_message	m;
	uint8_t			hdr[24];
	size_t			n;

	memset(&m, 0, sizeof(m));
	memset(m.id, 0x3c, MSGID_LEN);
	m.id[15] = tag;
	m.version = 1;
	m.flags = flags;
	m.received = received;
	m.expires = expires;
	m.size = 14;
	m.nchunks = 2;
	m.sender = "sender@example.com";
	for (n = 0; rcpts[n] != NULL; n++)
		;
	m.recipients = (char **)rcpts;
	m.nrecipients = n;
	memset(hdr, tag, sizeof(hdr));
	m.headers_ct = hdr;
	m.headers_ctlen = sizeof(hdr);
	assert_int_equal(store_put_message(F->st, &m, chunk_src, NULL),
	    STORE_OK);
	memcpy(id, m.id, MSGID_LEN);
}

static int
exists(const uint8_t id[MSGID_LEN])
{
	struct store_message	m;
	int			st;

	st = store_get_message(F->st, id, &m);
	store_message_clear(&m);
	assert_true(st == STORE_OK || st == STORE_NOTFOUND);
	return st == STORE_OK;
}

static uint32_t
flags_of(const uint8_t id[MSGID_LEN])
{
	struct store_message	m;
	uint32_t		flags;

	assert_int_equal(store_get_message(F->st, id, &m), STORE_OK);
	flags = m.flags;
	store_message_clear(&m);
	return flags;
}

static int64_t
expires_of(const uint8_t id[MSGID_LEN])
{
	struct store_message	m;
	int64_t			t;

	assert_int_equal(store_get_message(F->st, id, &m), STORE_OK);
	t = m.expires;
	store_message_clear(&m);
	return t;
}

static void
assert_chunks(const uint8_t id[MSGID_LEN], int want_present)
{
	uint8_t		*ct = NULL;
	size_t		 len;
	uint32_t	 i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(store_get_chunk(F->st, id, i, &ct, &len),
		    want_present ? STORE_OK : STORE_NOTFOUND);
		free(ct);
		ct = NULL;
	}
}

static int
run(int64_t now, struct retention_report *r)
{
	return retention_run(F->st, &F->cfg, NULL, (time_t)now, r);
}

/*
 * Saved mails: "X-Test-Rcpt: ADDR" then the message; the body is
 * quoted-printable, so soft line breaks and =XX are undone.
 */
struct mail {
	char	rcpt[256];
	char	*text;		/* decoded */
};

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *
qp_decode(const char *s)
{
	char	*out, *o;
	int	 h, l;

	out = o = malloc(strlen(s) + 1);
	assert_non_null(out);
	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\n') {
			s += 2;
		} else if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=' && (h = hexv(s[1])) != -1 &&
		    (l = hexv(s[2])) != -1) {
			*o++ = (char)(h * 16 + l);
			s += 3;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* Read every saved mail into v (at most max); returns the count. */
static size_t
read_mails(struct mail *v, size_t max)
{
	struct dirent	*de;
	DIR		*d;
	FILE		*fp;
	char		 p[512], *buf;
	size_t		 n = 0, len;
	long		 sz;

	d = opendir(F->maildir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "mail.", 5) != 0)
			continue;
		assert_true(n < max);
		snprintf(p, sizeof(p), "%s/%s", F->maildir, de->d_name);
		fp = fopen(p, "r");
		assert_non_null(fp);
		assert_int_equal(fseek(fp, 0, SEEK_END), 0);
		sz = ftell(fp);
		rewind(fp);
		buf = calloc(1, (size_t)sz + 1);
		assert_non_null(buf);
		len = fread(buf, 1, (size_t)sz, fp);
		fclose(fp);
		buf[len] = '\0';
		assert_int_equal(sscanf(buf, "X-Test-Rcpt: %255s", v[n].rcpt),
		    1);
		v[n].text = qp_decode(buf);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void
free_mails(struct mail *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].text);
}

static void
clear_mails(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 p[512];

	d = opendir(F->maildir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", F->maildir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static size_t
mails_to(const struct mail *v, size_t n, const char *rcpt)
{
	size_t	i, c = 0;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].rcpt, rcpt) == 0)
			c++;
	return c;
}

/*
 * What one run at NOW does to each kind of message (reminders off, so
 * that only purging shows).
 */
static const struct purge_case {
	const char	*label;
	int64_t		 received;	/* relative to NOW */
	int64_t		 expires;	/* relative to NOW */
	uint32_t	 flags;
	int		 want_kept;
	int64_t		 want_expires;	/* relative to NOW, when kept */
} purge_cases[] = {
	{ "expired a day ago", -91 * DAY, -DAY, 0, 0, 0 },
	{ "expired a second ago", -90 * DAY, -1, 0, 0, 0 },
	{ "expires this second", -90 * DAY, 0, 0, 1, 0 },
	{ "expires tomorrow", -89 * DAY, DAY, 0, 1, DAY },
	{ "fresh", -60, 90 * DAY, 0, 1, 90 * DAY },
	{ "reminded and expired", -91 * DAY, -5, STORE_MSG_REMINDED, 0, 0 },
	{ "revoked and expired", -91 * DAY, -10, STORE_MSG_REVOKED, 0, 0 },
	{ "revoked, 80 days left: a day of grace", -10 * DAY, 80 * DAY,
	    STORE_MSG_REVOKED, 1, DAY },
	{ "revoked, 12 hours left: unchanged", -90 * DAY, DAY / 2,
	    STORE_MSG_REVOKED, 1, DAY / 2 },
	{ "revoked, exactly a day left: unchanged", -89 * DAY, DAY,
	    STORE_MSG_REVOKED, 1, DAY },
};

#define NPURGE	(sizeof(purge_cases) / sizeof(purge_cases[0]))

static void
test_purge_table(void **state)
{
	static const char *const rcpts[] = { "alice@example.net",
	    "bob@example.org", NULL };
	struct retention_report	 r;
	uint8_t			 ids[NPURGE][MSGID_LEN];
	int64_t			 when;
	size_t			 i, want_exp = 0, want_rev = 0, want_sched = 0;

	F->cfg.expiry_reminder = 0;
	for (i = 0; i < NPURGE; i++) {
		put_msg((uint8_t)i, NOW + purge_cases[i].received,
		    NOW + purge_cases[i].expires, purge_cases[i].flags, rcpts,
		    ids[i]);
		assert_int_equal(store_record_open(F->st, ids[i],
		    "alice@example.net", NOW - 30), STORE_OK);
		if (!purge_cases[i].want_kept) {
			if (purge_cases[i].flags & STORE_MSG_REVOKED)
				want_rev++;
			else
				want_exp++;
		} else if (purge_cases[i].want_expires !=
		    purge_cases[i].expires)
			want_sched++;
	}
	assert_int_equal(run(NOW, &r), 0);
	for (i = 0; i < NPURGE; i++) {
		print_message("case: %s\n", purge_cases[i].label);
		assert_int_equal(exists(ids[i]), purge_cases[i].want_kept);
		assert_chunks(ids[i], purge_cases[i].want_kept);
		assert_int_equal(store_get_open(F->st, ids[i],
		    "alice@example.net", &when), purge_cases[i].want_kept ?
		    STORE_OK : STORE_NOTFOUND);
		if (purge_cases[i].want_kept)
			assert_true(expires_of(ids[i]) ==
			    NOW + purge_cases[i].want_expires);
	}
	assert_int_equal(r.scanned, NPURGE);
	assert_int_equal(r.purged_expired, want_exp);
	assert_int_equal(r.purged_revoked, want_rev);
	assert_int_equal(r.revoked_scheduled, want_sched);
	assert_int_equal(r.reminders_sent, 0);
	assert_int_equal(r.store_errors, 0);

	/* Nothing left to do: a second run changes nothing. */
	assert_int_equal(run(NOW, &r), 0);
	assert_int_equal(r.scanned, NPURGE - want_exp - want_rev);
	assert_int_equal(r.purged_expired + r.purged_revoked +
	    r.revoked_scheduled, 0);
}

/* A revoked message stays a day after the run that saw it revoked. */
static void
test_revoked_grace(void **state)
{
	static const char *const rcpts[] = { "alice@example.net", NULL };
	struct retention_report	 r;
	uint8_t			 id[MSGID_LEN], other[MSGID_LEN];

	put_msg(1, NOW - DAY, NOW + 89 * DAY, 0, rcpts, id);
	put_msg(2, NOW - DAY, NOW + 89 * DAY, 0, rcpts, other);
	assert_int_equal(store_set_flags(F->st, id, STORE_MSG_REVOKED, 0),
	    STORE_OK);
	assert_int_equal(run(NOW, &r), 0);
	assert_int_equal(r.revoked_scheduled, 1);
	assert_true(expires_of(id) == NOW + RETENTION_REVOKED_GRACE);

	assert_int_equal(run(NOW + RETENTION_REVOKED_GRACE - 1, &r), 0);
	assert_true(exists(id));
	assert_int_equal(r.revoked_scheduled + r.purged_revoked, 0);
	assert_int_equal(run(NOW + RETENTION_REVOKED_GRACE, &r), 0);
	assert_true(exists(id));

	assert_int_equal(run(NOW + RETENTION_REVOKED_GRACE + 1, &r), 0);
	assert_false(exists(id));
	assert_chunks(id, 0);
	assert_int_equal(r.purged_revoked, 1);
	assert_int_equal(r.purged_expired, 0);
	/* The other message is untouched. */
	assert_true(exists(other));
	assert_chunks(other, 1);
	assert_true(expires_of(other) == NOW + 89 * DAY);
}

static void
put_account(const char *address, uint32_t flags)
{
	struct store_account	a;

	memset(&a, 0, sizeof(a));
	a.address = (char *)address;
	a.password_hash = "";
	a.flags = flags;
	a.created = NOW - 100 * DAY;
	assert_int_equal(store_put_account(F->st, &a), STORE_OK);
}

static void
test_reminders(void **state)
{
	static const char *const rcpts[] = { "amy@example.net",
	    "opened@example.org", "carl@example.com", "AMY@example.net",
	    "gone@example.org", "off@example.org", NULL };
	static const char *const one[] = { "amy@example.net", NULL };
	static const char *const all_opened[] = { "opened@example.org", NULL };
	struct retention_report	 r;
	struct mail		 mails[16];
	uint8_t			 id[MSGID_LEN], shortlived[MSGID_LEN];
	uint8_t			 later[MSGID_LEN], revoked[MSGID_LEN];
	uint8_t			 seen[MSGID_LEN];
	char			 idstr[MSGID_STRLEN + 1], link[128];
	size_t			 n, i;

	put_account("gone@example.org", STORE_ACCOUNT_UNSUBSCRIBED);
	put_account("off@example.org", STORE_ACCOUNT_DISABLED);
	put_account("carl@example.com", 0);
	/* Expires in 5 days, 90-day lifetime: due. */
	put_msg(1, NOW - 85 * DAY, NOW + 5 * DAY, 0, rcpts, id);
	assert_int_equal(store_record_open(F->st, id, "opened@example.org",
	    NOW - DAY), STORE_OK);
	/* Lifetime not longer than expiry_reminder: never reminded. */
	put_msg(2, NOW - DAY, NOW + 5 * DAY, 0, one, shortlived);
	/* Expires in 8 days: not yet. */
	put_msg(3, NOW - 82 * DAY, NOW + 8 * DAY, 0, one, later);
	/* Revoked: no reminder (its deletion is scheduled instead). */
	put_msg(4, NOW - 85 * DAY, NOW + 5 * DAY, STORE_MSG_REVOKED, one,
	    revoked);
	/* Everybody opened it: nothing to send. */
	put_msg(5, NOW - 85 * DAY, NOW + 5 * DAY, 0, all_opened, seen);
	assert_int_equal(store_record_open(F->st, seen, "opened@example.org",
	    NOW - 2 * DAY), STORE_OK);

	assert_int_equal(run(NOW, &r), 0);
	n = read_mails(mails, 16);
	for (i = 0; i < n; i++)
		print_message("reminder to %s\n", mails[i].rcpt);
	assert_int_equal(n, 2);
	assert_int_equal(mails_to(mails, n, "amy@example.net"), 1);
	assert_int_equal(mails_to(mails, n, "carl@example.com"), 1);
	assert_int_equal(r.reminders_sent, 2);
	assert_int_equal(r.reminder_failures, 0);
	assert_int_equal(r.reminded_messages, 2);	/* id and seen */
	assert_int_equal(r.revoked_scheduled, 1);
	msgid_encode(id, idstr);
	snprintf(link, sizeof(link), URL "/m/%s", idstr);
	for (i = 0; i < n; i++) {
		assert_non_null(strstr(mails[i].text, link));
		/* NOW + 5 days, as the template shows it. */
		assert_non_null(strstr(mails[i].text, "2027-01-20 08:00 UTC"));
		assert_non_null(strstr(mails[i].text, "Subject: Reminder: a "
		    "secure message for you expires soon"));
		assert_null(strstr(mails[i].text, "{{"));
		/* The footer: how to stop these (portal_url ends in '/'). */
		assert_non_null(strstr(mails[i].text, URL "/unsubscribe"));
		assert_null(strstr(mails[i].text, "//unsubscribe"));
	}
	free_mails(mails, n);
	assert_true(flags_of(id) & STORE_MSG_REMINDED);
	assert_true(flags_of(seen) & STORE_MSG_REMINDED);
	assert_false(flags_of(shortlived) & STORE_MSG_REMINDED);
	assert_false(flags_of(later) & STORE_MSG_REMINDED);
	assert_false(flags_of(revoked) & STORE_MSG_REMINDED);

	/* Once: an hour later nothing more for id; later is not due. */
	clear_mails();
	assert_int_equal(run(NOW + 3600, &r), 0);
	assert_int_equal(read_mails(mails, 16), 0);
	assert_int_equal(r.reminders_sent, 0);

	/* Three days on, later is due (its only recipient never opened). */
	assert_int_equal(run(NOW + 3 * DAY, &r), 0);
	n = read_mails(mails, 16);
	assert_int_equal(n, 1);
	assert_string_equal(mails[0].rcpt, "amy@example.net");
	msgid_encode(later, idstr);
	snprintf(link, sizeof(link), URL "/m/%s", idstr);
	assert_non_null(strstr(mails[0].text, link));
	free_mails(mails, n);
	assert_true(flags_of(later) & STORE_MSG_REMINDED);
}

static void
test_reminders_off(void **state)
{
	static const char *const one[] = { "amy@example.net", NULL };
	struct retention_report	 r;
	struct mail		 mails[4];
	uint8_t			 id[MSGID_LEN];

	F->cfg.expiry_reminder = 0;
	put_msg(1, NOW - 89 * DAY, NOW + DAY, 0, one, id);
	assert_int_equal(run(NOW, &r), 0);
	assert_int_equal(read_mails(mails, 4), 0);
	assert_int_equal(r.reminded_messages, 0);
	assert_false(flags_of(id) & STORE_MSG_REMINDED);
}

/* Every mail failed: the flag is cleared, and the next run retries. */
static void
test_reminder_retry(void **state)
{
	static const char *const two[] = { "amy@example.net",
	    "bob@example.org", NULL };
	struct retention_report	 r;
	struct mail		 mails[4];
	uint8_t			 id[MSGID_LEN];
	size_t			 n;

	put_msg(1, NOW - 85 * DAY, NOW + 5 * DAY, 0, two, id);
	set_sendmail(F, F->fail_cmd);
	assert_int_equal(run(NOW, &r), -1);
	assert_int_equal(r.reminder_failures, 2);
	assert_int_equal(r.reminders_sent, 0);
	assert_int_equal(r.reminded_messages, 0);
	assert_false(flags_of(id) & STORE_MSG_REMINDED);

	set_sendmail(F, F->ok_cmd);
	assert_int_equal(run(NOW + 3600, &r), 0);
	n = read_mails(mails, 4);
	assert_int_equal(n, 2);
	assert_int_equal(mails_to(mails, n, "amy@example.net"), 1);
	assert_int_equal(mails_to(mails, n, "bob@example.org"), 1);
	free_mails(mails, n);
	assert_true(flags_of(id) & STORE_MSG_REMINDED);
}

/* A template with a typo is found by the start-up check. */
static void
test_check_template(void **state)
{
	char	 err[512], tdir[128], path[192];
	char	*saved;
	FILE	*fp;

	assert_int_equal(retention_check_template(&F->cfg, err, sizeof(err)),
	    0);
	snprintf(tdir, sizeof(tdir), "%s/tpl", F->dir);
	assert_int_equal(mkdir(tdir, 0700), 0);
	snprintf(path, sizeof(path), "%s/" RETENTION_TEMPLATE, tdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("Open {{link}} before {{expiry}}.\n", fp);
	fclose(fp);
	saved = F->cfg.templates_dir;
	F->cfg.templates_dir = tdir;
	assert_int_equal(retention_check_template(&F->cfg, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "unknown placeholder {{expiry}}"));
	F->cfg.expiry_reminder = 0;
	assert_int_equal(retention_check_template(&F->cfg, err, sizeof(err)),
	    0);
	F->cfg.templates_dir = saved;
	unlink(path);
	rmdir(tdir);
}

static void
test_format(void **state)
{
	struct retention_report	r = { 9, 2, 1, 3, 4, 5, 1, 0 };
	char			buf[512];

	retention_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "scanned=9 purged-expired=2 "
	    "purged-revoked=1 revoked-scheduled=3 reminded-messages=4 "
	    "reminders-sent=5 reminder-failures=1 store-errors=0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_purge_table, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_revoked_grace, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reminders, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reminders_off, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reminder_retry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_template, setup,
		    teardown),
		cmocka_unit_test(test_format),
	};

	signal(SIGPIPE, SIG_IGN);
	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
