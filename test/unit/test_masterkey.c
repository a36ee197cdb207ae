/*
 * The master key file: create, load, the permission and file type checks,
 * strict parsing with line numbers, rotation.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "masterkey.h"

#define HEX_A	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HEX_B	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
/* HEX_A without its last two digits */
#define HEX_62	"00112233445566778899aabbccddeeff00112233445566778899aabbccddee"
#define HEX_UC	"00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"

static char	tmpdir[64];
static char	err[512];

static void
path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void
write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* The whole file, NUL-terminated; caller frees. */
static char *
read_file(const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	int		 fd;

	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	if (lenp != NULL)
		*lenp = (size_t)st.st_size;
	return buf;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/test_masterkey.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	err[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static size_t
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n = 0;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_create_load(void **state)
{
	struct masterkey	*mk = NULL;
	struct stat		 st;
	char			 path[128], *text, hex[65];
	const uint8_t		*k;
	size_t			 len;
	mode_t			 old;

	path_in(path, sizeof(path), "master.key");
	/* Exactly 0600 whatever the umask. */
	old = umask(0);
	assert_int_equal(masterkey_create(path, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	/* One line: "1 " and 64 lowercase hex digits. */
	text = read_file(path, &len);
	assert_int_equal(len, 2 + 64 + 1);
	assert_memory_equal(text, "1 ", 2);
	assert_int_equal(text[66], '\n');
	assert_int_equal(strspn(text + 2, "0123456789abcdef"), 64);

	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), 0);
	assert_non_null(mk);
	assert_int_equal(masterkey_current_id(mk), 1);
	k = masterkey_get(mk, 1);
	assert_non_null(k);
	sodium_bin2hex(hex, sizeof(hex), k, MASTERKEY_LEN);
	assert_memory_equal(hex, text + 2, 64);
	assert_null(masterkey_get(mk, 0));
	assert_null(masterkey_get(mk, 2));
	masterkey_free(mk);

	/* Refuses to overwrite, and leaves the file alone. */
	err[0] = '\0';
	assert_int_equal(masterkey_create(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "already exists"));
	{
		char	*again = read_file(path, NULL);

		assert_string_equal(again, text);
		free(again);
	}
	free(text);

	/* Two creations give different keys; a umask that takes the
	 * owner's write bit still gives 0600. */
	path_in(path, sizeof(path), "second.key");
	old = umask(0277);
	assert_int_equal(masterkey_create(path, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	text = read_file(path, NULL);
	path_in(path, sizeof(path), "master.key");
	{
		char	*first = read_file(path, NULL);

		assert_string_not_equal(first, text);
		free(first);
	}
	free(text);
}

/* Create does not follow a symlink, even a dangling one. */
static void
test_create_symlink(void **state)
{
	char	path[128], target[128];

	path_in(target, sizeof(target), "target");
	path_in(path, sizeof(path), "link");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(masterkey_create(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(access(target, F_OK), -1);

	path_in(path, sizeof(path), "nodir/master.key");
	assert_int_equal(masterkey_create(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
}

static void
test_load_modes(void **state)
{
	static const struct {
		mode_t	mode;
		int	want;
		const char *msg;
	} cases[] = {
		{ 0600, 0, NULL },
		{ 0400, 0, NULL },
		{ 0700, 0, NULL },
		{ 0644, -1, "mode 0644 is too open, want 0600" },
		{ 0640, -1, "mode 0640 is too open, want 0600" },
		{ 0604, -1, "mode 0604 is too open, want 0600" },
		{ 0660, -1, "mode 0660 is too open, want 0600" },
		{ 0620, -1, "mode 0620 is too open, want 0600" },
		{ 0602, -1, "mode 0602 is too open, want 0600" },
		{ 0610, -1, "mode 0610 is too open, want 0600" },
		{ 0601, -1, "mode 0601 is too open, want 0600" },
	};
	struct masterkey	*mk;
	char			 path[128], want[256];
	size_t			 i;

	path_in(path, sizeof(path), "master.key");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("mode %04o\n", (unsigned int)cases[i].mode);
		write_file(path, "1 " HEX_A "\n", 67, cases[i].mode);
		mk = (struct masterkey *)&mk;
		err[0] = '\0';
		assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)),
		    cases[i].want);
		if (cases[i].want == 0) {
			assert_non_null(mk);
			masterkey_free(mk);
		} else {
			assert_null(mk);
			snprintf(want, sizeof(want), "%s: %s", path,
			    cases[i].msg);
			assert_string_equal(err, want);
		}
		assert_int_equal(unlink(path), 0);
	}
}

static void
test_load_not_regular(void **state)
{
	struct masterkey	*mk;
	char			 path[128], target[128];

	/* A symlink to a good key file. */
	path_in(target, sizeof(target), "master.key");
	write_file(target, "1 " HEX_A "\n", 67, 0600);
	path_in(path, sizeof(path), "link.key");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), -1);
	assert_null(mk);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "symbolic link"));

	/* A directory. */
	path_in(path, sizeof(path), "dir.key");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), -1);
	assert_null(mk);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a regular file"));

	/* A FIFO: refused without blocking. */
	path_in(path, sizeof(path), "fifo.key");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), -1);
	assert_null(mk);
	assert_non_null(strstr(err, "not a regular file"));

	/* Missing. */
	path_in(path, sizeof(path), "missing.key");
	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), -1);
	assert_null(mk);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
}

static void
test_load_parse(void **state)
{
	static const struct {
		const char	*label;
		const char	*text;
		int		 line;	/* 0: loads */
		uint32_t	 current;
	} cases[] = {
		{ "one key", "1 " HEX_A "\n", 0, 1 },
		{ "two keys", "1 " HEX_A "\n2 " HEX_B "\n", 0, 2 },
		{ "gap in ids", "1 " HEX_A "\n7 " HEX_B "\n", 0, 7 },
		{ "first id not 1", "3 " HEX_A "\n", 0, 3 },
		{ "largest id", "4294967295 " HEX_A "\n", 0, 4294967295u },
		{ "uppercase hex", "1 " HEX_UC "\n", 0, 1 },
		{ "empty file", "", 1, 0 },
		{ "bad hex", "1 zz" HEX_62 "\n", 1, 0 },
		{ "bad hex at end", "1 " "00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeefg\n", 1, 0 },
		{ "short key", "1 " HEX_62 "\n", 1, 0 },
		{ "odd key", "1 " HEX_62 "e\n", 1, 0 },
		{ "long key", "1 " HEX_A "00\n", 1, 0 },
		{ "no key", "1 \n", 1, 0 },
		{ "id only", "1\n", 1, 0 },
		{ "blank line", "\n", 1, 0 },
		{ "bad id", "x " HEX_A "\n", 1, 0 },
		{ "id 0", "0 " HEX_A "\n", 1, 0 },
		{ "leading zero", "01 " HEX_A "\n", 1, 0 },
		{ "negative id", "-1 " HEX_A "\n", 1, 0 },
		{ "plus sign", "+1 " HEX_A "\n", 1, 0 },
		{ "id too large", "4294967296 " HEX_A "\n", 1, 0 },
		{ "id far too large", "99999999999 " HEX_A "\n", 1, 0 },
		{ "no id", " " HEX_A "\n", 1, 0 },
		{ "no space", "1" HEX_A "\n", 1, 0 },
		{ "two spaces", "1  " HEX_A "\n", 1, 0 },
		{ "tab", "1\t" HEX_A "\n", 1, 0 },
		{ "trailing space", "1 " HEX_A " \n", 1, 0 },
		{ "CRLF", "1 " HEX_A "\r\n", 1, 0 },
		{ "no final newline", "1 " HEX_A, 1, 0 },
		{ "comment", "# key\n1 " HEX_A "\n", 1, 0 },
		{ "bad second line", "1 " HEX_A "\n2 " HEX_62 "\n", 2, 0 },
		{ "blank second line", "1 " HEX_A "\n\n", 2, 0 },
		{ "duplicate id", "1 " HEX_A "\n1 " HEX_B "\n", 2, 0 },
		{ "ids decrease", "2 " HEX_A "\n1 " HEX_B "\n", 2, 0 },
		{ "bad third line", "1 " HEX_A "\n2 " HEX_B "\n3 xyz\n", 3, 0 },
		{ "third line no newline", "1 " HEX_A "\n2 " HEX_B "\n3 "
		    HEX_A, 3, 0 },
	};
	struct masterkey	*mk;
	char			 path[128], want[160];
	size_t			 i;

	path_in(path, sizeof(path), "master.key");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("parse: %s\n", cases[i].label);
		write_file(path, cases[i].text, strlen(cases[i].text), 0600);
		err[0] = '\0';
		mk = (struct masterkey *)&mk;
		if (cases[i].line == 0) {
			assert_int_equal(masterkey_load(path, &mk, err,
			    sizeof(err)), 0);
			assert_non_null(mk);
			assert_int_equal(masterkey_current_id(mk),
			    cases[i].current);
			assert_non_null(masterkey_get(mk, cases[i].current));
			masterkey_free(mk);
		} else {
			assert_int_equal(masterkey_load(path, &mk, err,
			    sizeof(err)), -1);
			assert_null(mk);
			print_message("  -> %s\n", err);
			snprintf(want, sizeof(want), "%s:%d: ", path,
			    cases[i].line);
			assert_memory_equal(err, want, strlen(want));
			/* Never echo key material. */
			assert_null(strstr(err, "0011223344"));
			assert_null(strstr(err, "fedcba9876"));
		}
		assert_int_equal(unlink(path), 0);
	}
}

/* The loaded bytes are the hex in the file, for every id. */
static void
test_load_bytes(void **state)
{
	struct masterkey	*mk;
	uint8_t			 a[MASTERKEY_LEN], b[MASTERKEY_LEN];
	char			 path[128];

	assert_int_equal(sodium_hex2bin(a, sizeof(a), HEX_A, 64, NULL, NULL,
	    NULL), 0);
	assert_int_equal(sodium_hex2bin(b, sizeof(b), HEX_B, 64, NULL, NULL,
	    NULL), 0);
	path_in(path, sizeof(path), "master.key");
	write_file(path, "1 " HEX_A "\n2 " HEX_B "\n", 134, 0600);
	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), 0);
	assert_memory_equal(masterkey_get(mk, 1), a, MASTERKEY_LEN);
	assert_memory_equal(masterkey_get(mk, 2), b, MASTERKEY_LEN);
	assert_null(masterkey_get(mk, 3));
	masterkey_free(mk);
}

static void
test_rotate(void **state)
{
	struct masterkey	*mk;
	struct stat		 st;
	uint8_t			 k1[MASTERKEY_LEN], k2[MASTERKEY_LEN];
	char			 path[128], *text;
	size_t			 len;
	mode_t			 old;

	path_in(path, sizeof(path), "master.key");
	assert_int_equal(masterkey_create(path, err, sizeof(err)), 0);
	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), 0);
	memcpy(k1, masterkey_get(mk, 1), MASTERKEY_LEN);
	masterkey_free(mk);

	old = umask(0277);
	assert_int_equal(masterkey_rotate(path, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* No temp file left behind. */
	assert_int_equal(count_entries(tmpdir), 1);
	text = read_file(path, &len);
	assert_int_equal(len, 2 * 67);
	assert_memory_equal(text + 67, "2 ", 2);
	free(text);

	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), 0);
	assert_int_equal(masterkey_current_id(mk), 2);
	assert_memory_equal(masterkey_get(mk, 1), k1, MASTERKEY_LEN);
	assert_non_null(masterkey_get(mk, 2));
	memcpy(k2, masterkey_get(mk, 2), MASTERKEY_LEN);
	assert_memory_not_equal(k1, k2, MASTERKEY_LEN);
	masterkey_free(mk);

	/* Again: id 3, the older keys unchanged. */
	assert_int_equal(masterkey_rotate(path, err, sizeof(err)), 0);
	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), 0);
	assert_int_equal(masterkey_current_id(mk), 3);
	assert_memory_equal(masterkey_get(mk, 1), k1, MASTERKEY_LEN);
	assert_memory_equal(masterkey_get(mk, 2), k2, MASTERKEY_LEN);
	masterkey_free(mk);
	assert_int_equal(count_entries(tmpdir), 1);
}

/* Rotation keeps gaps in ids, and refuses what load refuses. */
static void
test_rotate_refuse(void **state)
{
	struct masterkey	*mk;
	char			 path[128], *before, *after;

	path_in(path, sizeof(path), "master.key");
	write_file(path, "1 " HEX_A "\n9 " HEX_B "\n", 134, 0600);
	assert_int_equal(masterkey_rotate(path, err, sizeof(err)), 0);
	assert_int_equal(masterkey_load(path, &mk, err, sizeof(err)), 0);
	assert_int_equal(masterkey_current_id(mk), 10);
	assert_non_null(masterkey_get(mk, 1));
	assert_non_null(masterkey_get(mk, 9));
	assert_null(masterkey_get(mk, 2));
	masterkey_free(mk);

	/* Too open: refused, file unchanged. */
	assert_int_equal(chmod(path, 0644), 0);
	before = read_file(path, NULL);
	assert_int_equal(masterkey_rotate(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0644 is too open"));
	after = read_file(path, NULL);
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(unlink(path), 0);

	/* Malformed: refused with the line, nothing written. */
	write_file(path, "1 " HEX_A "\nbad\n", 72, 0600);
	assert_int_equal(masterkey_rotate(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: "));
	after = read_file(path, NULL);
	assert_string_equal(after, "1 " HEX_A "\nbad\n");
	free(after);
	assert_int_equal(unlink(path), 0);

	/* No id left. */
	write_file(path, "4294967295 " HEX_A "\n", 76, 0600);
	assert_int_equal(masterkey_rotate(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(unlink(path), 0);

	/* Missing, or a symlink. */
	assert_int_equal(masterkey_rotate(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	write_file(path, "1 " HEX_A "\n", 67, 0600);
	{
		char	link[128];

		path_in(link, sizeof(link), "link.key");
		assert_int_equal(symlink(path, link), 0);
		assert_int_equal(masterkey_rotate(link, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "symbolic link"));
	}
	assert_int_equal(count_entries(tmpdir), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_load, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_create_symlink, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_modes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_not_regular, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_parse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_refuse, setup,
		    teardown),
	};

	if (sodium_init() < 0)
		return 1;
	/* A load that blocks (say on a FIFO) fails instead of hanging. */
	alarm(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
