/* batch_send: send every invoice of a directory in one KSeF batch session
   and print each document's outcome and the session UPO's verification.

     batch_send BASE_URL NIP TOKEN DIR [Zip|TarGz [PART_SIZE]]

   The blocking ksef_call runs the whole batch: every *.xml file of DIR is
   checked, packed (ZIP by default) into encrypted parts — streamed from the
   files, never held whole — uploaded, and the session closed and waited
   for. Documents that fail the local checks are reported and left out
   (skipInvalid). Exit status 0 when KSeF processed the session (200). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksef.h"
#include "util.h"

/* count counts the occurrences of needle in s. */
static int count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc > 7) {
        fprintf(stderr, "usage: %s BASE_URL NIP TOKEN DIR [Zip|TarGz [PART_SIZE]]\n", argv[0]);
        return 2;
    }
    const char *compression = argc > 5 ? argv[5] : "Zip";
    long part_size = argc > 6 ? strtol(argv[6], NULL, 10) : 0;

    char cfg[1024];
    snprintf(cfg, sizeof cfg, "{\"baseUrl\":\"%s\",\"sessionPollInitialMs\":20,\"sessionPollMaxMs\":200}", argv[1]);
    ksef_client_t client = 0;
    char *out = NULL;
    size_t out_len = 0;
    int rc = ksef_client_new(cfg, strlen(cfg), &client, &out, &out_len);
    ksef_free(out);
    if (rc != KSEF_OK) {
        fprintf(stderr, "client: rc=%d\n", rc);
        return 1;
    }

    char in[4096];
    snprintf(in, sizeof in, "{\"nip\":\"%s\",\"token\":\"%s\"}", argv[2], argv[3]);
    out = call_op(client, "auth.token", in, &rc);
    memset(in, 0, sizeof in);
    if (rc != KSEF_OK) {
        fprintf(stderr, "auth.token: rc=%d %s\n", rc, out);
        ksef_free(out);
        ksef_client_free(client);
        return 1;
    }
    ksef_free(out);

    /* The directory must not need JSON escaping here (real code builds JSON
       with a library). */
    if (part_size > 0)
        snprintf(in, sizeof in, "{\"dir\":\"%s\",\"compression\":\"%s\",\"partSize\":%ld,\"skipInvalid\":true}", argv[4], compression, part_size);
    else
        snprintf(in, sizeof in, "{\"dir\":\"%s\",\"compression\":\"%s\",\"skipInvalid\":true}", argv[4], compression);
    out = call_op(client, "batch.send", in, &rc);
    if (rc != KSEF_OK) {
        fprintf(stderr, "batch.send: rc=%d %s\n", rc, out);
        ksef_free(out);
        ksef_client_free(client);
        return 1;
    }
    /* A few flat values of the report (real programs parse the JSON: the
       report has every document's KSeF number or failure, matched by file
       name, and the UPO pages' XML). */
    char ref[128], buf[64];
    json_str(out, "referenceNumber", ref, sizeof ref);
    const char *status = strstr(out, "\"status\":{\"code\":");
    int code = status ? atoi(status + strlen("\"status\":{\"code\":")) : 0;
    const char *ok = strstr(out, "\"successfulInvoiceCount\":");
    const char *failed = strstr(out, "\"failedInvoiceCount\":");
    printf("batch %s: status %d, compression %s, %d parts uploaded\n", ref, code,
           json_str(out, "compression", buf, sizeof buf), count(out, "\"uploaded\":true"));
    printf("invoices: %d accepted by KSeF, %d refused by KSeF, %d refused locally\n",
           ok ? atoi(ok + strlen("\"successfulInvoiceCount\":")) : -1,
           failed ? atoi(failed + strlen("\"failedInvoiceCount\":")) : -1, count(out, "\"outcome\":\"invalid\""));
    printf("UPO pages: %d, verified: %d\n", count(out, "\"hashChecked\":"), count(out, "\"verified\":true"));
    if (getenv("KSEF_BATCH_REPORT")) { /* the whole envelope, for the tests */
        FILE *f = fopen(getenv("KSEF_BATCH_REPORT"), "w");
        if (f) {
            fputs(out, f);
            fclose(f);
        }
    }
    ksef_free(out);
    ksef_client_free(client);
    return code == 200 ? 0 : 1;
}
