#include <string.h>

#include <sodium.h>

#include "msgid.h"

void
msgid_generate(uint8_t id[MSGID_LEN])
{
	randombytes_buf(id, MSGID_LEN);
}

void
msgid_encode(const uint8_t id[MSGID_LEN], char *out)
{
	sodium_bin2base64(out, MSGID_STRLEN + 1, id, MSGID_LEN,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
msgid_decode(const char *s, uint8_t id[MSGID_LEN])
{
	size_t	len;

	if (strlen(s) != MSGID_STRLEN)
		return -1;
	if (sodium_base642bin(id, MSGID_LEN, s, MSGID_STRLEN, NULL, &len,
	    NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != MSGID_LEN)
		return -1;
	return 0;
}
