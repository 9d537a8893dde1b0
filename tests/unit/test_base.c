/* base/: base64url and random ids. */
#include "base/base64.h"
#include "base/rand.h"
#include "test.h"

static void base64url_round_trip(void)
{
    const char *cases[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\xfd"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *enc = lkc_base64url_encode(cases[i], strlen(cases[i]));
        CHECK(enc != NULL, "encode failed");
        CHECK(!strchr(enc, '=') && !strchr(enc, '+') && !strchr(enc, '/'), "not base64url: %s", enc);
        size_t n = 0;
        unsigned char *dec = lkc_base64url_decode(enc, &n);
        CHECK(dec && n == strlen(cases[i]) && memcmp(dec, cases[i], n) == 0, "round trip of case %zu", i);
        free(enc);
        free(dec);
    }
    char *enc = lkc_base64url_encode("\xfb\xff", 2);
    CHECK_STR(enc, "-_8");
    free(enc);
    size_t n;
    CHECK(lkc_base64url_decode("a*b", &n) == NULL, "malformed input accepted");
    CHECK(lkc_base64url_decode("a", &n) == NULL, "impossible length accepted");
}

static void uuid_shape(void)
{
    char u[37];
    lkc_random_uuid(u);
    CHECK(strlen(u) == 36 && u[8] == '-' && u[14] == '4', "uuid %s", u);
    char a[17];
    lkc_random_alnum(a, 16);
    CHECK(strlen(a) == 16, "alnum length");
}

int main(void)
{
    RUN(base64url_round_trip);
    RUN(uuid_shape);
    return 0;
}
