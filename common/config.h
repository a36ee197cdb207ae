/*
 * sealpost.conf: "key = value" lines, '#' comments, continuation lines
 * start with whitespace (as in Postfix's main.cf).  Every key is declared
 * once in config.c's table with its type, default and bounds.
 */
#ifndef SEALPOST_CONFIG_H
#define SEALPOST_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct strlist {
	char	**v;		/* owned, NULL-terminated */
	size_t	  n;
};

enum notification_subject {
	NOTIFICATION_SUBJECT_ORIGINAL = 0,
	NOTIFICATION_SUBJECT_GENERIC,
};

enum noreply_action {
	NOREPLY_REJECT = 0,
	NOREPLY_NOTIFY,
};

struct config {
	char		*milter_socket;
	char		*milter_user;
	char		*store_backend;
	char		*store_path;
	uint64_t	 store_map_size;
	char		*spool_dir;
	char		*master_key_file;
	struct strlist	 internal_domains;
	struct strlist	 secure_subject_tags;
	char		*secure_header;		/* "Name: value" */
	struct strlist	 secure_sensitivity;
	char		*subject_prefix;
	int		 notification_subject;	/* enum notification_subject */
	char		*noreply_address;
	int		 noreply_action;	/* enum noreply_action */
	char		*portal_url;
	char		*portal_listen;
	char		*portal_tls_cert;
	char		*portal_tls_key;
	int		 portal_insecure_http;
	char		*sendmail_command;
	uint64_t	 sendmail_timeout;	/* seconds; then it is killed */
	uint64_t	 max_message_size;
	uint64_t	 max_header_size;
	uint64_t	 max_mime_depth;
	uint64_t	 max_mime_parts;
	uint64_t	 message_retention;	/* seconds */
	uint64_t	 expiry_reminder;	/* seconds before expiry; 0: off */
	uint64_t	 session_idle_timeout;	/* seconds */
	uint64_t	 session_max_lifetime;	/* seconds */
	int		 session_bind_ip;
	uint64_t	 verify_link_lifetime;	/* seconds */
	uint64_t	 reset_link_lifetime;	/* seconds */
	uint64_t	 password_min_length;
	int		 alias_management;
	char		*templates_dir;
	int		 log_level;		/* enum log_level */
	int		 syslog_facility;	/* LOG_MAIL, ... */
};

/*
 * Fill *cfg with every default, then apply the file at path (NULL: defaults
 * only).  On error returns -1 with "file:line: key: message" in err.
 * The caller frees with config_free() in either case.
 */
int	config_load(struct config *cfg, const char *path, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* Same, but the file's text is given (path is only used in messages). */
int	config_load_string(struct config *cfg, const char *path, const char *text,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

void	config_free(struct config *cfg);

/* Print the effective configuration, one "key = value" per line. */
void	config_dump(const struct config *cfg, FILE *fp);

/* 1 if addr ("local@domain", any case) is in internal_domains. */
int	config_is_internal(const struct config *cfg, const char *addr);

/* Parsers shared with command-line handling; 0 or -1. */
int	config_parse_size(const char *s, uint64_t *out);
int	config_parse_duration(const char *s, uint64_t *out);

#endif
