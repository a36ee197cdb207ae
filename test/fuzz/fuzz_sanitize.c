/*
 * The HTML sanitiser on arbitrary bytes: the output must parse as the
 * sanitiser's own small language (sanitize_oracle.h: allowlisted
 * elements and attributes only, no event attributes, no script, SVG or
 * iframe, links http:/https:/mailto: only, images same-origin or raster
 * data:, no url() or expression in styles, balanced tags) and be valid
 * UTF-8.  The cid callback echoes the cid into the path, so odd cids
 * reach the output escaping too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "sanitize_oracle.h"

static char *
fuzz_cid_url(void *arg, const char *cid)
{
	size_t	 n = strlen(cid);
	char	*url;

	(void)arg;
	if (n > 0 && cid[0] == 'x')
		return NULL;
	if (n > 0 && cid[0] == 'r')
		return strdup("//remote.example/x.png");
	if ((url = malloc(n + 8)) == NULL)
		return NULL;
	memcpy(url, "/m/cid/", 7);
	memcpy(url + 7, cid, n + 1);
	return url;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*why;
	char		*out;

	out = sanitize_html((const char *)data, size, fuzz_cid_url, NULL);
	if (out == NULL)
		abort();
	if ((why = sanitize_oracle(out, strlen(out))) != NULL) {
		fprintf(stderr, "sanitize: %s\n", why);
		abort();
	}
	free(out);
	return 0;
}
