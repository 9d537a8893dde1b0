/* Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without libFuzzer, so every
 * build (gcc with ASan+UBSan, clang with TSan) runs the checked-in corpora as ordinary tests:
 *
 *   fuzz_replay_<name> DIR|FILE...
 *
 * Every regular file of each directory (not recursive, sorted by name, dot files skipped) and
 * every file named directly is read into a buffer of exactly its size (so a read past the end
 * is caught by ASan) and handed to the target once. Prints how many inputs it replayed; fails
 * when a directory holds no input or a file cannot be read. A target that finds a broken
 * contract aborts, which fails the test as a crash would. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        return -1;
    }
    /* An exact-size copy: ASan then reports a read one byte past the input. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    *out = exact;
    *len = n;
    return 0;
}

static int replay_one(const char *path)
{
    uint8_t *data;
    size_t len;
    if (read_file(path, &data, &len) != 0) {
        fprintf(stderr, "fuzz replay: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* Named before it runs: when a target aborts, the last line says which input did it. */
    if (getenv("LKC_FUZZ_REPLAY_VERBOSE"))
        fprintf(stderr, "fuzz replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of `dir`; returns how many, or -1. */
static long replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz replay: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t need = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(need);
        if (!path)
            break;
        snprintf(path, need, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **bigger = realloc(names, cap * sizeof *names);
            if (!bigger) {
                free(path);
                break;
            }
            names = bigger;
        }
        names[n++] = path;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    long done = 0;
    for (size_t i = 0; i < n; i++) {
        if (done >= 0 && replay_one(names[i]) == 0)
            done++;
        else
            done = -1;
        free(names[i]);
    }
    free(names);
    if (done == 0)
        fprintf(stderr, "fuzz replay: %s holds no input\n", dir);
    return done;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            long n = replay_dir(argv[i]);
            if (n <= 0)
                return 1;
            printf("fuzz replay: %ld inputs from %s\n", n, argv[i]);
            total += n;
        } else {
            if (replay_one(argv[i]) != 0)
                return 1;
            total++;
        }
    }
    printf("fuzz replay: %ld inputs replayed, no crash\n", total);
    return 0;
}
