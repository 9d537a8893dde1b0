/* Library-wide entry points: the version, lkc_free, and the release of process-wide
 * state (lkc_library_shutdown). */
#include <stdlib.h>

#include "base/log.h"
#include "lkc/lkc.h"
#include "rtc/cert.h"
#include "rtc/sctp_stack.h"
#include "rtc/srtp.h"

const char *lkc_version(void)
{
    return LKC_VERSION_STRING;
}

unsigned lkc_version_num(void)
{
    return LKC_VERSION_NUM;
}

void lkc_free(void *p)
{
    free(p);
}

void lkc_library_shutdown(void)
{
    /* usrsctp refuses to finish while an association lives: then rooms still exist
     * (a caller error) and everything is left as it is, usable. */
    if (lkc_sctp_stack_shutdown() != LKC_OK) {
        LKC_LOGW("lkc", "lkc_library_shutdown: rooms are still alive; nothing released");
        return;
    }
    lkc_srtp_global_shutdown();
    lkc_cert_release();
}
