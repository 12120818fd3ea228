/* parity_call — print the envelope ksef_call answers for one operation.
 *
 *     parity_call OP INPUT_FILE      (INPUT_FILE "-" reads stdin)
 *
 * The envelope goes to stdout byte for byte as the library produced it;
 * examples/c/parity.py replays core/ops/testdata/parity/cases.json through
 * it and compares with expected.json. Exit 0 when an envelope was printed
 * (whether it reports success or an error), 2 on usage or I/O errors. */
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

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s OP INPUT_FILE\n", argv[0]);
        return 2;
    }
    FILE *f = strcmp(argv[2], "-") == 0 ? stdin : fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    size_t in_len = 0;
    char *in = read_all(f, &in_len);
    if (f != stdin) fclose(f);
    if (!in) {
        fprintf(stderr, "%s: cannot read input\n", argv[2]);
        return 2;
    }
    char *out = NULL;
    size_t out_len = 0;
    int rc = ksef_call(0, argv[1], strlen(argv[1]), in, in_len, &out, &out_len);
    free(in);
    if (!out) {
        fprintf(stderr, "ksef_call returned %d and no envelope\n", rc);
        return 2;
    }
    int ok = fwrite(out, 1, out_len, stdout) == out_len && fflush(stdout) == 0;
    ksef_free(out);
    return ok ? 0 : 2;
}
