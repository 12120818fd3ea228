/* parity_call — print the envelope ksef_call answers for one operation.
 *
 *     parity_call [-c CONFIG_FILE] [-s OP INPUT_FILE]... OP INPUT_FILE
 *
 * INPUT_FILE "-" reads stdin. With -c the operations run on a client made
 * from that configuration (ksef_client_new), and each -s step runs on it
 * first; a step whose envelope is not ok fails the run. The last
 * operation's envelope goes to stdout byte for byte as the library
 * produced it; examples/c/parity.py replays core/ops/testdata/parity/
 * cases.json through it and compares with expected.json. Exit 0 when an
 * envelope was printed (whether it reports success or an error), 2 on usage
 * or I/O errors, 3 when the client or a setup step failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksef.h"

static char *read_all(FILE *f, size_t *n) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) break;
        char *bigger = realloc(buf, cap *= 2);
        if (!bigger) { free(buf); buf = NULL; }
        else buf = bigger;
    }
    if (buf && ferror(f)) { free(buf); buf = NULL; }
    *n = len;
    return buf;
}

static char *read_file(const char *path, size_t *n) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    char *b = read_all(f, n);
    if (f != stdin) fclose(f);
    if (!b) fprintf(stderr, "%s: cannot read input\n", path);
    return b;
}

/* call runs op with the input of path on client and returns the envelope
 * (to be freed with ksef_free), or NULL. */
static char *call(ksef_client_t client, const char *op, const char *path, size_t *out_len) {
    size_t in_len = 0;
    char *in = read_file(path, &in_len);
    if (!in) return NULL;
    char *out = NULL;
    int rc = ksef_call(client, op, strlen(op), in, in_len, &out, out_len);
    free(in);
    if (!out) fprintf(stderr, "ksef_call(%s) returned %d and no envelope\n", op, rc);
    return out;
}

static int usage(const char *argv0) {
    fprintf(stderr, "usage: %s [-c CONFIG_FILE] [-s OP INPUT_FILE]... OP INPUT_FILE\n", argv0);
    return 2;
}

int main(int argc, char **argv) {
    ksef_client_t client = 0;
    int i = 1, status = 0;
    if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
        size_t n = 0;
        char *cfg = read_file(argv[i + 1], &n);
        if (!cfg) return 2;
        char *out = NULL;
        size_t out_len = 0;
        int rc = ksef_client_new(cfg, n, &client, &out, &out_len);
        free(cfg);
        if (rc != KSEF_OK) {
            fprintf(stderr, "ksef_client_new: %.*s\n", (int)out_len, out ? out : "");
            ksef_free(out);
            return 3;
        }
        ksef_free(out);
        i += 2;
    }
    for (; i + 2 < argc && strcmp(argv[i], "-s") == 0; i += 3) {
        size_t out_len = 0;
        char *out = call(client, argv[i + 1], argv[i + 2], &out_len);
        if (!out || strncmp(out, "{\"ok\":true", 10) != 0) {
            fprintf(stderr, "setup %s failed: %.*s\n", argv[i + 1], out ? (int)out_len : 0, out ? out : "");
            ksef_free(out);
            status = 3;
            goto done;
        }
        ksef_free(out);
    }
    if (argc - i != 2) {
        status = usage(argv[0]);
        goto done;
    }
    size_t out_len = 0;
    char *out = call(client, argv[i], argv[i + 1], &out_len);
    if (!out) {
        status = 2;
        goto done;
    }
    if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0) status = 2;
    ksef_free(out);
done:
    if (client) ksef_client_free(client);
    return status;
}
