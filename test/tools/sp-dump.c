/*
 * sp-dump -c FILE ID: write the decrypted original of stored message ID
 * to stdout.  Test tool (not installed): the end-to-end tests compare its
 * output byte for byte with what was sent.
 *
 * Exit 0 when the whole stream decrypted, ended with its final chunk and
 * matched the stored size; 1 when the message is missing or anything
 * fails to decrypt (a truncated stream is a failure; what was already
 * written to stdout must then be thrown away); 2 on usage errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "envelope.h"
#include "masterkey.h"
#include "msgid.h"
#include "store.h"

static void
usage(void)
{
	fprintf(stderr, "usage: sp-dump -c FILE ID\n");
	exit(2);
}

/* Decrypt every chunk of m to fp; 0 or -1 (reason printed). */
static int
dump_chunks(struct store *store, const struct store_message *m,
    const struct envelope_key *dk, FILE *fp)
{
	struct envelope_reader	*r = NULL;
	uint8_t			*ct = NULL, *pt = NULL;
	size_t			 ctlen, ptlen;
	uint64_t		 total = 0;
	uint32_t		 i;
	int			 st, final = 0, ret = -1;

	if ((pt = malloc(ENVELOPE_CHUNK_SIZE)) == NULL) {
		fprintf(stderr, "sp-dump: out of memory\n");
		goto done;
	}
	if ((r = envelope_reader_new(dk, m->id, m->stream_header)) == NULL) {
		fprintf(stderr, "sp-dump: bad stream header\n");
		goto done;
	}
	for (i = 0; i < m->nchunks; i++) {
		if (final) {
			fprintf(stderr, "sp-dump: chunk %" PRIu32 " follows the "
			    "final chunk\n", i);
			goto done;
		}
		st = store_get_chunk(store, m->id, i, &ct, &ctlen);
		if (st != STORE_OK) {
			fprintf(stderr, "sp-dump: chunk %" PRIu32 ": %s\n", i,
			    store_strerror(st));
			goto done;
		}
		st = envelope_reader_chunk(r, ct, ctlen, pt, &ptlen);
		free(ct);
		ct = NULL;
		if (st == -1) {
			fprintf(stderr, "sp-dump: chunk %" PRIu32 " does not "
			    "decrypt\n", i);
			goto done;
		}
		final = st == 1;
		if (ptlen > 0 && fwrite(pt, 1, ptlen, fp) != ptlen) {
			perror("sp-dump: write");
			goto done;
		}
		total += ptlen;
	}
	if (!final) {
		fprintf(stderr, "sp-dump: truncated: no final chunk in %" PRIu32
		    " chunks\n", m->nchunks);
		goto done;
	}
	if (total != m->size) {
		fprintf(stderr, "sp-dump: decrypted %" PRIu64 " bytes, the "
		    "record says %" PRIu64 "\n", total, m->size);
		goto done;
	}
	if (fflush(fp) == EOF) {
		perror("sp-dump: write");
		goto done;
	}
	ret = 0;
 done:
	free(ct);
	if (pt != NULL) {
		sodium_memzero(pt, ENVELOPE_CHUNK_SIZE);
		free(pt);
	}
	envelope_reader_free(r);
	return ret;
}

int
main(int argc, char *argv[])
{
	struct config		 cfg;
	struct masterkey	*mk = NULL;
	struct store		*store = NULL;
	struct envelope_key	*dk = NULL;
	struct store_message	 m;
	uint8_t			 id[MSGID_LEN];
	const char		*conf = NULL;
	char			 err[512];
	int			 ch, st, ret = 1, cfg_loaded = 0;

	memset(&m, 0, sizeof(m));
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (conf == NULL || argc != 1)
		usage();
	if (msgid_decode(argv[0], id) == -1) {
		fprintf(stderr, "sp-dump: %s: not a message id\n", argv[0]);
		return 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sp-dump: cannot initialise libsodium\n");
		return 1;
	}

	cfg_loaded = 1;
	if (config_load(&cfg, conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "sp-dump: %s\n", err);
		goto done;
	}
	if (masterkey_load(cfg.master_key_file, &mk, err, sizeof(err)) == -1) {
		fprintf(stderr, "sp-dump: master key: %s\n", err);
		goto done;
	}
	if (store_open(&cfg, 0, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "sp-dump: store: %s\n", err);
		goto done;
	}
	st = store_get_message(store, id, &m);
	if (st == STORE_NOTFOUND) {
		fprintf(stderr, "sp-dump: %s: no such message\n", argv[0]);
		goto done;
	}
	if (st != STORE_OK) {
		fprintf(stderr, "sp-dump: %s: %s\n", argv[0],
		    store_strerror(st));
		goto done;
	}
	if ((dk = envelope_unwrap_key(mk, id, m.wrapped_key)) == NULL) {
		fprintf(stderr, "sp-dump: %s: the data key does not unwrap\n",
		    argv[0]);
		goto done;
	}
	if (dump_chunks(store, &m, dk, stdout) == -1)
		goto done;
	ret = 0;
 done:
	envelope_key_free(dk);
	store_message_clear(&m);
	store_close(store);
	masterkey_free(mk);
	if (cfg_loaded)
		config_free(&cfg);
	return ret;
}
