/* Small helpers shared by the C examples and tests (header-only so every
   program stays a single file to compile). */
#ifndef KSEF_EXAMPLES_UTIL_H
#define KSEF_EXAMPLES_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksef.h"

/* call_op runs one operation and returns the malloc'ed envelope (free with
   ksef_free); *rc receives the return code. */
static inline char *call_op(ksef_client_t c, const char *op, const char *in, int *rc) {
    char *out = NULL;
    size_t len = 0;
    int r = ksef_call(c, op, strlen(op), in, in ? strlen(in) : 0, &out, &len);
    if (rc) *rc = r;
    return out;
}

/* client_from creates a client from a JSON configuration; 0 (and the
   reason on stderr) when that fails. */
static inline ksef_client_t client_from(const char *cfg) {
    ksef_client_t c = 0;
    char *out = NULL;
    size_t len = 0;
    int rc = ksef_client_new(cfg, strlen(cfg), &c, &out, &len);
    if (rc != KSEF_OK) {
        fprintf(stderr, "ksef_client_new(%s): rc=%d %s\n", cfg, rc, out ? out : "");
        c = 0;
    }
    ksef_free(out);
    return c;
}

/* json_str copies the string value of the first "key":"…" in json into buf
   (good enough for the flat values the examples print; real programs use a
   JSON parser). */
static inline const char *json_str(const char *json, const char *key, char *buf, size_t n) {
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = json ? strstr(json, pat) : NULL;
    buf[0] = 0;
    if (!p) return buf;
    p += strlen(pat);
    size_t i = 0;
    while (*p && *p != '"' && i + 1 < n) buf[i++] = *p++;
    buf[i] = 0;
    return buf;
}

#define KSEF_B64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/* b64 encodes n bytes into a malloc'ed, NUL-terminated string. */
static inline char *b64(const unsigned char *p, size_t n) {
    char *o = malloc(4 * ((n + 2) / 3) + 1), *q = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *q++ = KSEF_B64[v >> 18 & 63];
        *q++ = KSEF_B64[v >> 12 & 63];
        *q++ = i + 1 < n ? KSEF_B64[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? KSEF_B64[v & 63] : '=';
    }
    *q = 0;
    return o;
}

/* unb64 decodes len characters of standard Base64 into a malloc'ed
   buffer; *n gets its size. */
static inline unsigned char *unb64(const char *s, size_t len, size_t *n) {
    const char *alphabet = KSEF_B64;
    unsigned char *o = malloc(len / 4 * 3 + 3);
    size_t k = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; o && i < len && s[i] != '='; i++) {
        const char *c = strchr(alphabet, s[i]);
        if (!c) break;
        v = v << 6 | (unsigned)(c - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(v >> bits);
        }
    }
    *n = k;
    return o;
}

#endif
