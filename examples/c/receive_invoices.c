/* receive_invoices — invoices out of KSeF from C, through ksef_call:
   a sent invoice downloaded byte for byte, the metadata query page by page
   (each record once, also past the simulator's truncation limit), a
   multi-part export extracted into a directory, and a tampered part as a
   typed error.

     receive_invoices URL SELLER_NIP SELLER_TOKEN BUYER_NIP BUYER_TOKEN XML EXPECTED DIR
         the seller sends XML (naming the buyer); the buyer downloads it, queries
         the last 30 hours (EXPECTED records in all, the sent one included) and
         exports them into DIR/export
     receive_invoices tampered URL BUYER_NIP BUYER_TOKEN DIR
         an export whose part the simulator tampers with: ksef.protocol, no file

   Build: cc -I build/include receive_invoices.c -L build/lib -lksef */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static ksef_client_t client_for(const char *url, const char *nip, const char *token) {
    char cfg[512], in[1024];
    snprintf(cfg, sizeof cfg,
             "{\"baseUrl\":\"%s\",\"pollInitialMs\":10,\"pollMaxMs\":50,\"sessionPollInitialMs\":10,"
             "\"sessionPollMaxMs\":50,\"receivePollInitialMs\":10,\"receivePollMaxMs\":50,\"noRateLimiter\":true}", url);
    char *env = NULL;
    size_t n = 0;
    ksef_client_t c = 0;
    if (ksef_client_new(cfg, strlen(cfg), &c, &env, &n) != 0) {
        fprintf(stderr, "ksef_client_new: %s\n", env);
        ksef_free(env);
        return 0;
    }
    ksef_free(env);
    snprintf(in, sizeof in, "{\"token\":\"%s\",\"nip\":\"%s\"}", token, nip);
    int rc;
    char *out = call_op(c, "auth.token", in, &rc);
    if (rc != 0) {
        fprintf(stderr, "auth.token: %s\n", out);
        ksef_free(out);
        ksef_client_free(c);
        return 0;
    }
    ksef_free(out);
    return c;
}

static char *read_file(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    char *b = malloc((size_t)*len + 1);
    if (b && fread(b, 1, (size_t)*len, f) != (size_t)*len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

/* ksef_numbers appends every "ksefNumber":"…" of json to list (dedup count
   returned through dups). */
static int ksef_numbers(const char *json, char list[][40], int n, int max, int *dups) {
    const char *pat = "\"ksefNumber\":\"";
    for (const char *p = strstr(json, pat); p && n < max; p = strstr(p, pat)) {
        p += strlen(pat);
        char num[40] = {0};
        int i = 0;
        while (*p && *p != '"' && i < 39) num[i++] = *p++;
        for (int j = 0; j < n; j++)
            if (!strcmp(list[j], num)) (*dups)++;
        strcpy(list[n++], num);
    }
    return n;
}

static void since(char *buf, size_t n, int hours) {
    time_t t = time(NULL) - hours * 3600;
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

static int receive(char **argv) {
    const char *url = argv[1], *xml = argv[6], *dir = argv[8];
    int expected = atoi(argv[7]), rc;
    ksef_client_t seller = client_for(url, argv[2], argv[3]), buyer = client_for(url, argv[4], argv[5]);
    if (!seller || !buyer) return 1;
    char in[4096], from[32];

    /* 1. Sent by the seller (a file path: libksef reads it), downloaded by the buyer. */
    snprintf(in, sizeof in, "{\"invoices\":[{\"path\":\"%s\"}],\"noUpo\":true}", xml);
    char *out = call_op(seller, "invoices.send", in, &rc);
    char num[64];
    json_str(out, "ksefNumber", num, sizeof num);
    if (rc != 0 || !num[0]) {
        fprintf(stderr, "invoices.send: %s\n", out);
        return 1;
    }
    ksef_free(out);
    char got[1024];
    snprintf(got, sizeof got, "%s/downloaded.xml", dir);
    snprintf(in, sizeof in, "{\"ksefNumber\":\"%s\",\"path\":\"%s\"}", num, got);
    out = call_op(buyer, "invoices.get", in, &rc);
    if (rc != 0 || !strstr(out, "\"hashChecked\":true")) {
        fprintf(stderr, "invoices.get: %s\n", out);
        return 1;
    }
    ksef_free(out);
    long la = 0, lb = 0;
    char *a = read_file(xml, &la), *b = read_file(got, &lb);
    if (!a || !b || la != lb || memcmp(a, b, (size_t)la)) {
        fprintf(stderr, "the downloaded invoice differs from the one sent (%ld vs %ld bytes)\n", lb, la);
        return 1;
    }
    free(a);
    free(b);

    /* 2. The query, page by page through the cursor: each record once. Not
       restricted to the high-water mark: the invoice just sent may still lie
       above it (the mark trails the clock). */
    static char numbers[4096][40];
    int count = 0, dups = 0, pages = 0;
    since(from, sizeof from, 30);
    char cursor[8192] = "";
    do {
        snprintf(in, sizeof in,
                 "{\"filters\":{\"subjectType\":\"Subject2\",\"dateRange\":{\"dateType\":\"PermanentStorage\",\"from\":\"%s\"}},"
                 "\"pageSize\":10%s%s%s}",
                 from, cursor[0] ? ",\"cursor\":\"" : "", cursor, cursor[0] ? "\"" : "");
        out = call_op(buyer, "invoices.query", in, &rc);
        if (rc != 0) {
            fprintf(stderr, "invoices.query: %s\n", out);
            return 1;
        }
        count = ksef_numbers(out, numbers, count, 4096, &dups);
        json_str(out, "cursor", cursor, sizeof cursor);
        ksef_free(out);
        pages++;
    } while (cursor[0]);
    if (count != expected || dups != 0) {
        fprintf(stderr, "query: %d records in %d pages, %d twice; want %d once each\n", count, pages, dups, expected);
        return 1;
    }

    /* 3. The export, extracted into a directory. */
    snprintf(in, sizeof in,
             "{\"filters\":{\"subjectType\":\"Subject2\",\"dateRange\":{\"dateType\":\"PermanentStorage\",\"from\":\"%s\"}},"
             "\"dir\":\"%s/export\"}",
             from, dir);
    out = call_op(buyer, "invoices.export", in, &rc);
    int exported = 0, edups = 0;
    static char enums[4096][40];
    if (rc == 0) exported = ksef_numbers(out, enums, 0, 4096, &edups);
    int parts = 0;
    for (const char *p = out ? strstr(out, "\"ordinalNumber\"") : NULL; p; p = strstr(p + 1, "\"ordinalNumber\"")) parts++;
    if (rc != 0 || exported != expected || edups || parts < 3) {
        fprintf(stderr, "invoices.export: %d invoices in %d parts: %.300s\n", exported, parts, out);
        return 1;
    }
    ksef_free(out);
    snprintf(got, sizeof got, "%s/export/%s.xml", dir, num);
    a = read_file(xml, &la);
    b = read_file(got, &lb);
    if (!a || !b || la != lb || memcmp(a, b, (size_t)la)) {
        fprintf(stderr, "the exported invoice %s differs from the one sent\n", num);
        return 1;
    }
    free(a);
    free(b);
    printf("receive: downloaded byte for byte, %d records in %d pages once each, %d exported in %d parts\n", count, pages, exported, parts);
    ksef_client_free(seller);
    ksef_client_free(buyer);
    return 0;
}

static int tampered(char **argv) {
    ksef_client_t buyer = client_for(argv[2], argv[3], argv[4]);
    if (!buyer) return 1;
    char in[2048], from[32], path[1024];
    since(from, sizeof from, 30);
    snprintf(path, sizeof path, "%s/tampered.zip", argv[5]);
    snprintf(in, sizeof in,
             "{\"filters\":{\"subjectType\":\"Subject2\",\"dateRange\":{\"dateType\":\"PermanentStorage\",\"from\":\"%s\","
             "\"restrictToPermanentStorageHwmDate\":true}},\"path\":\"%s\"}",
             from, path);
    int rc;
    char *out = call_op(buyer, "invoices.export", in, &rc);
    char code[64];
    json_str(out, "code", code, sizeof code);
    FILE *f = fopen(path, "rb");
    if (rc == 0 || strcmp(code, "ksef.protocol") || !strstr(out, "encryptedPartHash") || f) {
        fprintf(stderr, "a tampered part: rc %d, %s (file left: %s)\n", rc, out, f ? "yes" : "no");
        return 1;
    }
    printf("tampered part: %s, nothing written\n", code);
    ksef_free(out);
    ksef_client_free(buyer);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 6 && !strcmp(argv[1], "tampered")) return tampered(argv);
    if (argc == 9) return receive(argv);
    fprintf(stderr, "usage: %s URL SELLER_NIP SELLER_TOKEN BUYER_NIP BUYER_TOKEN XML EXPECTED DIR | tampered URL BUYER_NIP BUYER_TOKEN DIR\n", argv[0]);
    return 2;
}
