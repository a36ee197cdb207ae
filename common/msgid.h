/*
 * Message ids: 128 random bits, shown as 22 characters of unpadded
 * base64url in links (portal_url/m/ID).
 */
#ifndef SEALPOST_MSGID_H
#define SEALPOST_MSGID_H

#include <stdint.h>

#define MSGID_LEN	16
#define MSGID_STRLEN	22

void	msgid_generate(uint8_t id[MSGID_LEN]);
/* out must hold MSGID_STRLEN + 1 bytes. */
void	msgid_encode(const uint8_t id[MSGID_LEN], char *out);
/* Strict: exactly MSGID_STRLEN base64url characters; 0 or -1. */
int	msgid_decode(const char *s, uint8_t id[MSGID_LEN])
	    __attribute__((warn_unused_result));

#endif
