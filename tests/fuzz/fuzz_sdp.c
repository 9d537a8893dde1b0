/* libFuzzer target for rtc/sdp. Besides "never crash, never leak", it checks the
 * round-trip contract on every input the parser accepts:
 *   parse(x) = A  =>  write(A) succeeds, parse(write(A)) equals A, write is stable,
 *   and copy(A) equals A.
 * A broken contract aborts (this is a test harness, not library code).
 *
 * Built by CMake: fuzz_sdp with -DLKC_FUZZ=ON (clang; `make fuzz` runs it with
 * -max_len=8192 -dict=tests/unit/data/sdp/fuzz.dict), fuzz_replay_sdp in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lkc/error.h"
#include "lkc/log.h"
#include "rtc/sdp.h"

static void quiet(lkc_log_level_t level, const char *module, const char *line, void *user)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        lkc_set_log(LKC_LOG_ERROR, quiet, NULL);
        init = 1;
    }
    char err[128];
    lkc_sdp_t *a = NULL;
    int rc = lkc_sdp_parse((const char *)data, size, &a, err, sizeof err);
    if (rc != LKC_OK) {
        if (a || (rc != LKC_ERR_PROTOCOL && rc != LKC_ERR_TOO_LARGE) || !err[0])
            abort(); /* failure must leave *out NULL, say why, and be a protocol error */
        return 0;
    }
    char *w = lkc_sdp_write(a);
    if (!w) {
        fprintf(stderr, "accepted input cannot be written\n");
        abort();
    }
    lkc_sdp_t *b = NULL;
    if (strlen(w) > LKC_SDP_MAX_INPUT) { /* CRLF and a=sendrecv can grow a text over the cap */
        lkc_sdp_free(a);
        free(w);
        return 0;
    }
    if (lkc_sdp_parse(w, strlen(w), &b, err, sizeof err) != LKC_OK) {
        fprintf(stderr, "written text does not parse: %s\n---\n%s", err, w);
        abort();
    }
    if (!lkc_sdp_equal(a, b)) {
        fprintf(stderr, "round trip changed the model\n---\n%s", w);
        abort();
    }
    char *w2 = lkc_sdp_write(b);
    if (!w2 || strcmp(w, w2) != 0) {
        fprintf(stderr, "writing is not stable\n---\n%s---\n%s", w, w2 ? w2 : "(null)");
        abort();
    }
    lkc_sdp_t *c = lkc_sdp_copy(a);
    if (!c || !lkc_sdp_equal(a, c))
        abort();
    /* exercise the lookups on whatever came in */
    lkc_sdp_media_t *master = lkc_sdp_bundle_master(a);
    (void)lkc_sdp_ice_ufrag(a, master);
    (void)lkc_sdp_fingerprint(a, master);
    for (size_t i = 0; i < a->n_media; i++) {
        (void)lkc_sdp_find_rtpmap(a->media[i], "opus", 48000, 2);
        (void)lkc_sdp_find_mid(a, a->media[i]->mid);
    }
    lkc_sdp_free(c);
    lkc_sdp_free(b);
    lkc_sdp_free(a);
    free(w);
    free(w2);
    return 0;
}
