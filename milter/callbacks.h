/*
 * libmilter glue: translates callbacks into struct msg calls.
 */
#ifndef SEALPOST_CALLBACKS_H
#define SEALPOST_CALLBACKS_H

#include <libmilter/mfapi.h>

#include "message.h"

/* env is borrowed for the life of the milter. */
void	callbacks_init(const struct milter_env *env);
extern struct smfiDesc	callbacks_desc;

#endif
