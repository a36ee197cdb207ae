/*
 * backup DEST: a consistent, compacted copy of the store while the
 * daemons run (store_backup: one read transaction, so the copy is the
 * store as of one commit).  DEST must not exist or be an empty
 * directory.  The master key is not in the store: back it up apart.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "store.h"

/* What the user can get wrong about DEST, checked before the store is
 * touched (store_backup checks again): ADMIN_OK or ADMIN_USAGE. */
static int
backup_check_dest(const char *dest)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 parent[4096];
	const char	*dir;
	int		 empty = 1;

	if (stat(dest, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "sealpost-admin: backup: %s exists and "
			    "is not a directory\n", dest);
			return ADMIN_USAGE;
		}
		if ((d = opendir(dest)) == NULL)
			return ADMIN_OK;	/* store_backup says why */
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				empty = 0;
		closedir(d);
		if (!empty) {
			fprintf(stderr, "sealpost-admin: backup: %s is not "
			    "empty\n", dest);
			return ADMIN_USAGE;
		}
		return ADMIN_OK;
	}
	if (errno != ENOENT)
		return ADMIN_OK;
	snprintf(parent, sizeof(parent), "%s", dest);
	dir = dirname(parent);
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "sealpost-admin: backup: the directory %s "
		    "holding %s does not exist\n", dir, dest);
		return ADMIN_USAGE;
	}
	return ADMIN_OK;
}

int
admin_backup(struct admin *a, int argc, char **argv)
{
	struct store	*store = NULL;
	struct stat	 sb;
	char		 err[512], file[4096];
	int		 rc;

	if (argc != 2 || argv[1][0] == '\0')
		return admin_usage("backup DEST");
	if ((rc = backup_check_dest(argv[1])) != ADMIN_OK)
		return rc;
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	rc = ADMIN_OK;
	if (store_backup(store, argv[1], err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-admin: backup: %s\n", err);
		rc = ADMIN_SYSERR;
	}
	store_close(store);
	if (rc != ADMIN_OK)
		return rc;
	snprintf(file, sizeof(file), "%s/data.mdb", argv[1]);
	if (stat(file, &sb) == 0)
		printf("store copied to %s (%" PRIu64 " bytes); back up "
		    "master_key_file separately\n", argv[1],
		    (uint64_t)sb.st_size);
	else
		printf("store copied to %s; back up master_key_file "
		    "separately\n", argv[1]);
	return ADMIN_OK;
}
