/*
 * The spool: chunks come back in order and byte for byte whether they
 * stayed in memory or moved to the file, after a rewind too; misuse and
 * an unusable directory fail instead of losing data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "spool.h"

#define FULL_CHUNK	(ENVELOPE_CHUNK_SIZE + ENVELOPE_CHUNK_OVERHEAD)

static char	dir[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sp-spool.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

/* Chunk i of a test message: len bytes, each a function of i and the
 * offset, so that a swapped or shifted chunk shows. */
static void
fill(uint8_t *b, size_t len, uint32_t i)
{
	size_t	k;

	for (k = 0; k < len; k++)
		b[k] = (uint8_t)(i * 31 + k * 7);
}

static size_t
chunk_len(uint32_t i, uint32_t n)
{
	return i + 1 < n ? FULL_CHUNK : 1000 + i;
}

/* Append n chunks, read them back twice (the store may rerun). */
static void
round_trip(uint32_t n)
{
	struct spool	*sp;
	uint8_t		*want;
	const uint8_t	*ct;
	size_t		 len;
	uint32_t	 i, pass;

	want = malloc(FULL_CHUNK);
	assert_non_null(want);
	sp = spool_new(dir);
	assert_non_null(sp);
	for (i = 0; i < n; i++) {
		fill(want, chunk_len(i, n), i);
		assert_int_equal(spool_append(sp, i, want, chunk_len(i, n)), 0);
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			assert_int_equal(spool_read_chunk(sp, i, &ct, &len), 0);
			assert_int_equal(len, chunk_len(i, n));
			fill(want, len, i);
			assert_memory_equal(ct, want, len);
		}
		/* Past the last chunk: an error, not stale bytes. */
		assert_int_equal(spool_read_chunk(sp, n, &ct, &len), -1);
	}
	spool_free(sp);
	free(want);
}

/* One small chunk (kept in memory). */
static void
test_small(void **state)
{
	(void)state;
	round_trip(1);
}

/* Three full chunks: the memory part fills and the file takes over. */
static void
test_spills_to_file(void **state)
{
	(void)state;
	round_trip(3);
	round_trip(12);
}

/* A rerun may start over after reading only part of the chunks. */
static void
test_rewind_midway(void **state)
{
	struct spool	*sp;
	uint8_t		 a[10] = "0123456789", b[5] = "abcde";
	const uint8_t	*ct;
	size_t		 len;

	(void)state;
	sp = spool_new(dir);
	assert_non_null(sp);
	assert_int_equal(spool_append(sp, 0, a, sizeof(a)), 0);
	assert_int_equal(spool_append(sp, 1, b, sizeof(b)), 0);
	assert_int_equal(spool_read_chunk(sp, 0, &ct, &len), 0);
	assert_int_equal(spool_read_chunk(sp, 0, &ct, &len), 0);
	assert_memory_equal(ct, a, sizeof(a));
	assert_int_equal(spool_read_chunk(sp, 1, &ct, &len), 0);
	assert_int_equal(len, sizeof(b));
	assert_memory_equal(ct, b, sizeof(b));
	spool_free(sp);
}

static void
test_misuse(void **state)
{
	struct spool	*sp;
	uint8_t		 a[4] = "abcd", *big;
	const uint8_t	*ct;
	size_t		 len;

	(void)state;
	sp = spool_new(dir);
	assert_non_null(sp);
	/* Out of order, oversized. */
	assert_int_equal(spool_append(sp, 1, a, sizeof(a)), -1);
	big = calloc(1, FULL_CHUNK + 1);
	assert_non_null(big);
	assert_int_equal(spool_append(sp, 0, big, FULL_CHUNK + 1), -1);
	free(big);
	assert_int_equal(spool_append(sp, 0, a, sizeof(a)), 0);
	/* Reading out of order; appending after reading started. */
	assert_int_equal(spool_read_chunk(sp, 1, &ct, &len), -1);
	assert_int_equal(spool_read_chunk(sp, 0, &ct, &len), 0);
	assert_int_equal(spool_append(sp, 1, a, sizeof(a)), -1);
	spool_free(sp);
}

/* A directory that cannot hold files: the start-up check says so, and a
 * message that outgrows memory fails instead of being cut short. */
static void
test_bad_dir(void **state)
{
	struct spool	*sp;
	uint8_t		*b;
	char		 gone[300];
	uint32_t	 i;
	int		 rc = 0;

	(void)state;
	snprintf(gone, sizeof(gone), "%s/absent", dir);
	assert_int_equal(spool_check_dir(gone), -1);
	assert_int_equal(spool_check_dir(dir), 0);
	sp = spool_new(gone);
	assert_non_null(sp);
	b = calloc(1, FULL_CHUNK);
	assert_non_null(b);
	for (i = 0; i < 16 && rc == 0; i++)
		rc = spool_append(sp, i, b, FULL_CHUNK);
	assert_int_equal(rc, -1);
	free(b);
	spool_free(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_spills_to_file),
		cmocka_unit_test(test_rewind_midway),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_bad_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
