/*
 * The MIME scanner on arbitrary input: fed whole, then in pieces whose
 * sizes come from the first bytes; the results must be the same.
 *
 * Input: byte 0 = n (n % 8 + 1 piece sizes follow), then the sizes (each
 * 0..255; a 0 is an empty update), then the message.  Byte 1 of the
 * header also picks small limits now and then, to reach the limit paths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mime_scan.h"

struct result {
	int		status;
	unsigned	parts;
	unsigned	attachments;
	unsigned	depth;
};

static struct result
run(const char *msg, size_t len, const uint8_t *sizes, size_t nsizes,
    size_t max_depth, size_t max_parts)
{
	struct mime_scan	*ms;
	struct result		 r;
	size_t			 off = 0, n, i = 0;

	if ((ms = mime_scan_new(max_depth, max_parts)) == NULL)
		abort();
	while (off < len) {
		n = nsizes == 0 ? len - off : sizes[i++ % nsizes];
		if (n > len - off)
			n = len - off;
		(void)mime_scan_update(ms, msg + off, n);
		off += n;
	}
	r.status = mime_scan_finish(ms);
	r.parts = mime_scan_parts(ms);
	r.attachments = mime_scan_attachments(ms);
	r.depth = mime_scan_max_depth(ms);
	mime_scan_free(ms);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct result	 whole, pieces;
	uint8_t		 sizes[8];
	size_t		 nsizes, i, max_depth = 20, max_parts = 1000;
	int		 any = 0;

	if (!init) {
		g_mime_init();
		init = 1;
	}
	if (size < 1)
		return 0;
	nsizes = data[0] % 8 + 1;
	if (size < 1 + nsizes)
		return 0;
	for (i = 0; i < nsizes; i++) {
		sizes[i] = data[1 + i];
		any |= sizes[i] != 0;
	}
	if (!any)
		sizes[0] = 1;	/* always make progress */
	if (data[0] & 0x80) {
		max_depth = data[1] % 4;
		max_parts = data[1] % 16;
	}
	data += 1 + nsizes;
	size -= 1 + nsizes;

	whole = run((const char *)data, size, NULL, 0, max_depth, max_parts);
	pieces = run((const char *)data, size, sizes, nsizes, max_depth,
	    max_parts);
	if (whole.status != pieces.status || whole.parts != pieces.parts ||
	    whole.attachments != pieces.attachments ||
	    whole.depth != pieces.depth)
		abort();
	/* Every entity is a part; a limit reached stops the scan. */
	if (whole.parts < 1 || whole.attachments > whole.parts)
		abort();
	if (whole.status == 0 && (whole.depth > max_depth ||
	    whole.parts > max_parts))
		abort();
	return 0;
}
