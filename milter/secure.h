/*
 * Is this message secure?  Subject tags, the secure header, Outlook's
 * Sensitivity.  Header values arrive as the MTA hands them to the milter:
 * possibly with leading whitespace, folded with "\r\n" or "\n" followed by
 * whitespace, and possibly RFC 2047 encoded.
 */
#ifndef SEALPOST_SECURE_H
#define SEALPOST_SECURE_H

#include "config.h"

/* 1 if the decoded, unfolded Subject contains a secure_subject_tags entry
 * (case-insensitive, anywhere), else 0. */
int	secure_subject_has_tag(const struct config *cfg, const char *subject);

/*
 * The decoded (UTF-8) Subject with every occurrence of every tag removed
 * and whitespace runs left by the removal collapsed and trimmed.  Caller
 * frees.  NULL only when out of memory.
 */
char	*secure_subject_strip(const struct config *cfg, const char *subject);

/* 1 if name/value is the configured secure_header ("Name: value"; name
 * and value compared case-insensitively, value trimmed and unfolded). */
int	secure_header_matches(const struct config *cfg, const char *name,
	    const char *value);

/* 1 if a Sensitivity: value is one of secure_sensitivity (any case). */
int	secure_sensitivity_matches(const struct config *cfg, const char *value);

#endif
