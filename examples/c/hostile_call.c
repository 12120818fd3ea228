/* hostile_call: one token authentication against a server that answers
   badly (a hostile fault of ksef-sim), for the hostile-server suite
   (hostile.py drives it and checks code, time and peak memory).

     hostile_call BASE_URL NIP TOKEN TOTAL_TIMEOUT_MS REQUEST_TIMEOUT_MS

   Prints the envelope of auth.token on stdout and the process's peak RSS
   (getrusage, KiB) on stderr; exit 0 when the envelope is an error (the
   expected outcome), 1 otherwise. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ksef.h"
#include "util.h"

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s BASE_URL NIP TOKEN TOTAL_TIMEOUT_MS REQUEST_TIMEOUT_MS\n", argv[0]);
        return 2;
    }
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "{\"baseUrl\":\"%s\",\"totalTimeoutMs\":%s,\"requestTimeoutMs\":%s,\"backoffMs\":10}",
             argv[1], argv[4], argv[5]);
    ksef_client_t client = client_from(cfg);
    if (!client) return 2;
    char in[2048];
    snprintf(in, sizeof in, "{\"nip\":\"%s\",\"token\":\"%s\"}", argv[2], argv[3]);
    int rc;
    char *out = call_op(client, "auth.token", in, &rc);
    printf("%s\n", out ? out : "(no envelope)");
    ksef_free(out);
    ksef_client_free(client);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) fprintf(stderr, "peak_rss_kib=%ld\n", ru.ru_maxrss);
    return rc == KSEF_EFAILED ? 0 : 1;
}
