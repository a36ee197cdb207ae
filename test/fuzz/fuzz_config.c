/*
 * The config parser on arbitrary bytes (up to the first NUL, as a file's
 * text would be).  Whatever loads must dump to text that loads again:
 * "-nn" output is meant to be a usable sealpost.conf.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 cfg, again;
	char		 err[512];
	char		*text, *dump = NULL;
	size_t		 dumplen = 0;
	FILE		*fp;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (config_load_string(&cfg, "fuzz.conf", text, err, sizeof(err)) != 0) {
		/* Every error names the file. */
		if (strncmp(err, "fuzz.conf", 9) != 0)
			abort();
		config_free(&cfg);
		free(text);
		return 0;
	}
	if ((fp = open_memstream(&dump, &dumplen)) == NULL)
		abort();
	config_dump(&cfg, fp);
	if (fclose(fp) != 0)
		abort();
	if (config_load_string(&again, "dump", dump, err, sizeof(err)) != 0) {
		fprintf(stderr, "dump does not load: %s\n", err);
		abort();
	}
	config_free(&again);
	config_free(&cfg);
	free(dump);
	free(text);
	return 0;
}
