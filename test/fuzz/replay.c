/*
 * Without libFuzzer (gcc builds): run LLVMFuzzerTestOneInput over every
 * regular file in each directory given, so ctest exercises the parsers.
 * A crash is the failure; a directory that cannot be read is an error.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
file_run(const char *path)
{
	FILE	*fp;
	uint8_t	*buf = NULL, *nbuf;
	size_t	 len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(fp);
				return -1;
			}
			buf = nbuf;
		}
		if ((n = fread(buf + len, 1, cap - len, fp)) == 0)
			break;
		len += n;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char *argv[])
{
	DIR		*dir;
	struct dirent	*de;
	struct stat	 st;
	char		 path[4096];
	unsigned	 passed = 0;
	int		 i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s dir...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if ((dir = opendir(argv[i])) == NULL) {
			fprintf(stderr, "%s: cannot open directory\n", argv[i]);
			return 1;
		}
		while ((de = readdir(dir)) != NULL) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s",
			    argv[i], de->d_name) >= sizeof(path))
				continue;
			if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
				continue;
			if (file_run(path) == -1) {
				fprintf(stderr, "%s: cannot read\n", path);
				closedir(dir);
				return 1;
			}
			passed++;
		}
		closedir(dir);
	}
	printf("%u passed, 0 failed\n", passed);
	return 0;
}
