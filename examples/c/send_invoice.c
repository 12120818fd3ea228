/* send_invoice: authenticate with a KSeF token, send invoice files through
   one online session and print each one's KSeF number — the library's main
   job from C, in one operation (invoices.send): the core checks, encrypts,
   sends (retry-safe), waits, closes and verifies the UPO.

     send_invoice BASE_URL|test|demo|prod NIP TOKEN INVOICE.xml...

   Exit 0 when every invoice is in KSeF (accepted, or already there as a
   duplicate of an earlier copy), 1 otherwise. File names must not need JSON
   escaping here; real code builds its JSON with a library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksef.h"
#include "util.h"

/* count returns how many times needle occurs in hay. */
static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s BASE_URL|test|demo|prod NIP TOKEN INVOICE.xml...\n", argv[0]);
        return 2;
    }
    char cfg[1024];
    if (strstr(argv[1], "://"))
        snprintf(cfg, sizeof cfg, "{\"baseUrl\":\"%s\",\"sessionPollInitialMs\":20}", argv[1]);
    else
        snprintf(cfg, sizeof cfg, "{\"environment\":\"%s\"}", argv[1]);
    ksef_client_t client = 0;
    char *out = NULL;
    size_t out_len = 0;
    int rc = ksef_client_new(cfg, strlen(cfg), &client, &out, &out_len);
    ksef_free(out);
    if (rc != KSEF_OK) {
        fprintf(stderr, "client: rc=%d\n", rc);
        return 1;
    }

    char auth[2048];
    snprintf(auth, sizeof auth, "{\"nip\":\"%s\",\"token\":\"%s\"}", argv[2], argv[3]);
    out = call_op(client, "auth.token", auth, &rc);
    memset(auth, 0, sizeof auth);
    if (rc != KSEF_OK) {
        fprintf(stderr, "auth.token: rc=%d %s\n", rc, out);
        ksef_free(out);
        ksef_client_free(client);
        return 1;
    }
    ksef_free(out);

    /* {"invoices":[{"path":"a.xml"},{"path":"b.xml"}]}: the library reads
       the files, so the bytes sent are exactly the files' bytes. */
    size_t cap = 64;
    for (int i = 4; i < argc; i++) cap += strlen(argv[i]) + 16;
    char *in = malloc(cap);
    if (!in) return 1;
    strcpy(in, "{\"invoices\":[");
    for (int i = 4; i < argc; i++) {
        strcat(in, i > 4 ? ",{\"path\":\"" : "{\"path\":\"");
        strcat(in, argv[i]);
        strcat(in, "\"}");
    }
    strcat(in, "]}");
    out = call_op(client, "invoices.send", in, &rc);
    free(in);
    if (rc != KSEF_OK) {
        fprintf(stderr, "invoices.send: rc=%d %s\n", rc, out);
        ksef_free(out);
        ksef_client_free(client);
        return 1;
    }

    char session[64];
    printf("session %s\n", json_str(out, "referenceNumber", session, sizeof session));
    /* Each document's KSeF number, in input order. */
    const char *p = strstr(out, "\"documents\":");
    int sent = argc - 4, in_ksef = 0;
    for (int i = 0; p && i < sent; i++) {
        const char *d = strstr(p, "\"index\":");
        if (!d) break;
        char number[64], outcome[32];
        json_str(d, "ksefNumber", number, sizeof number);
        json_str(d, "outcome", outcome, sizeof outcome);
        printf("%-40s %-10s %s\n", argv[4 + i], outcome, number);
        if (!strcmp(outcome, "accepted") || !strcmp(outcome, "duplicate")) in_ksef++;
        p = d + 8;
    }
    int upo = count(out, "\"verified\":true");
    printf("%d of %d invoices in KSeF; %d UPO page(s) with a valid signature\n", in_ksef, sent, upo);
    ksef_free(out);
    ksef_client_free(client);
    return in_ksef == sent && upo > 0 ? 0 : 1;
}
