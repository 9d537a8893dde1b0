/* rtc/srtp: round trips for every profile, the result checked against an independent
 * RFC 3711 / RFC 7714 computation with OpenSSL, and rejection of tampered, replayed,
 * short and garbage packets. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/rand.h"
#include "lkc/error.h"
#include "rtc/srtp.h"
#include "test.h"

static const lkc_srtp_profile_t profiles[] = {
    LKC_SRTP_AES128_CM_SHA1_80,
    LKC_SRTP_AEAD_AES_128_GCM,
    LKC_SRTP_AEAD_AES_256_GCM,
};
#define NPROFILES (sizeof profiles / sizeof *profiles)

static bool is_gcm(lkc_srtp_profile_t p)
{
    return p != LKC_SRTP_AES128_CM_SHA1_80;
}

/* Growth of a protected packet: the auth tag, plus the E-bit/index word for SRTCP. */
static size_t rtp_growth(lkc_srtp_profile_t p)
{
    return is_gcm(p) ? 16 : 10;
}

static size_t rtcp_growth(lkc_srtp_profile_t p)
{
    return rtp_growth(p) + 4;
}

/* A pair of sessions facing each other: a's local key is b's remote key. */
typedef struct {
    lkc_srtp_keys_t ka, kb;
    lkc_srtp_t *a, *b;
} pair_t;

static void pair_open(pair_t *p, lkc_srtp_profile_t profile)
{
    size_t kl = 0, sl = 0;
    CHECK_OK(lkc_srtp_profile_lengths(profile, &kl, &sl));
    memset(p, 0, sizeof *p);
    p->ka.profile = p->kb.profile = profile;
    p->ka.master_len = p->kb.master_len = kl + sl;
    for (size_t i = 0; i < kl + sl; i++) {
        p->ka.local[i] = (uint8_t)(0x10 + i);
        p->ka.remote[i] = (uint8_t)(0xa0 + i);
    }
    memcpy(p->kb.local, p->ka.remote, kl + sl);
    memcpy(p->kb.remote, p->ka.local, kl + sl);
    CHECK_OK(lkc_srtp_new(&p->ka, &p->a));
    CHECK_OK(lkc_srtp_new(&p->kb, &p->b));
}

static void pair_close(pair_t *p)
{
    lkc_srtp_free(p->a);
    lkc_srtp_free(p->b);
    p->a = p->b = NULL;
}

/* An RTP packet: version 2, PT 111, optional CSRCs and a one-byte-header extension. */
static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, int ncsrc, bool ext, size_t payload)
{
    size_t n = 0;
    buf[n++] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | ncsrc);
    buf[n++] = 111;
    buf[n++] = (uint8_t)(seq >> 8);
    buf[n++] = (uint8_t)seq;
    uint32_t ts = seq * 960u;
    for (int i = 3; i >= 0; i--)
        buf[n++] = (uint8_t)(ts >> (8 * i));
    for (int i = 3; i >= 0; i--)
        buf[n++] = (uint8_t)(ssrc >> (8 * i));
    for (int c = 0; c < ncsrc; c++)
        for (int i = 0; i < 4; i++)
            buf[n++] = (uint8_t)(0xc0 + c);
    if (ext) {
        const uint8_t e[] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0x7f, 0x00, 0x00}; /* audio level */
        memcpy(buf + n, e, sizeof e);
        n += sizeof e;
    }
    for (size_t i = 0; i < payload; i++)
        buf[n++] = (uint8_t)(i * 7 + seq);
    return n;
}

/* An RTCP sender report with no report blocks (28 bytes). */
static size_t make_rtcp_sr(uint8_t *buf, uint32_t ssrc)
{
    memset(buf, 0, 28);
    buf[0] = 0x80;
    buf[1] = 200;
    buf[3] = 6;
    for (int i = 3; i >= 0; i--)
        buf[4 + (3 - i)] = (uint8_t)(ssrc >> (8 * i));
    for (int i = 8; i < 28; i++)
        buf[i] = (uint8_t)(i * 3);
    return 28;
}

static size_t rtp_header_len(const uint8_t *b)
{
    size_t h = 12 + 4u * (b[0] & 0x0f);
    if (b[0] & 0x10)
        h += 4 + 4u * (((size_t)b[h + 2] << 8) | b[h + 3]);
    return h;
}

/* ---------------------------------------------------------------- reference SRTP */

/* RFC 3711 4.3.1 key derivation with kdr 0 and index 0: AES-CM keyed by the master key
 * over (master salt, zero-padded to 14 bytes) ^ label at byte 7. */
static void kdf(const uint8_t *master, size_t kl, size_t sl, uint8_t label, uint8_t *out, size_t n)
{
    uint8_t iv[16] = {0};
    memcpy(iv, master + kl, sl);
    iv[7] ^= label;
    uint8_t zeros[64] = {0};
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0;
    CHECK(c && EVP_EncryptInit_ex(c, kl == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(), NULL, master, iv) == 1 &&
              EVP_EncryptUpdate(c, out, &len, zeros, (int)n) == 1,
          "reference KDF failed");
    EVP_CIPHER_CTX_free(c);
}

/* Protects an RTP packet (ROC 0) the way RFC 3711 (AES-CM + HMAC-SHA1-80) or
 * RFC 7714 (AES-GCM) says, independently of libsrtp. Returns the new length. */
static size_t reference_protect_rtp(lkc_srtp_profile_t profile, const uint8_t *master, uint8_t *pkt, size_t len)
{
    size_t kl, sl;
    CHECK_OK(lkc_srtp_profile_lengths(profile, &kl, &sl));
    size_t h = rtp_header_len(pkt);
    uint8_t ek[32], ak[20], ss[14];
    kdf(master, kl, sl, 0x00, ek, kl);
    kdf(master, kl, sl, 0x02, ss, sl);
    const uint8_t *ssrc = pkt + 8, *seq = pkt + 2;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    CHECK(c != NULL, "EVP_CIPHER_CTX_new");
    int n = 0, fin = 0;
    if (!is_gcm(profile)) {
        kdf(master, kl, sl, 0x01, ak, sizeof ak);
        uint8_t iv[16] = {0};
        memcpy(iv, ss, 14);
        for (int i = 0; i < 4; i++)
            iv[4 + i] ^= ssrc[i];
        iv[12] ^= seq[0]; /* index = ROC(0) || SEQ, in bytes 8..13 */
        iv[13] ^= seq[1];
        CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, ek, iv) == 1 &&
                  EVP_EncryptUpdate(c, pkt + h, &n, pkt + h, (int)(len - h)) == 1,
              "reference AES-CM failed");
        uint8_t mac[20], roc[4] = {0};
        unsigned int maclen = 0;
        uint8_t tmp[2048];
        memcpy(tmp, pkt, len);
        memcpy(tmp + len, roc, 4);
        CHECK(HMAC(EVP_sha1(), ak, sizeof ak, tmp, len + 4, mac, &maclen) != NULL, "reference HMAC failed");
        memcpy(pkt + len, mac, 10);
        EVP_CIPHER_CTX_free(c);
        return len + 10;
    }
    uint8_t iv[12] = {0};
    memcpy(iv + 2, ssrc, 4); /* 00 00 | SSRC | ROC (0) | SEQ */
    iv[10] = seq[0];
    iv[11] = seq[1];
    for (int i = 0; i < 12; i++)
        iv[i] ^= ss[i];
    CHECK(EVP_EncryptInit_ex(c, kl == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
              EVP_EncryptInit_ex(c, NULL, NULL, ek, iv) == 1 &&
              EVP_EncryptUpdate(c, NULL, &n, pkt, (int)h) == 1 &&
              EVP_EncryptUpdate(c, pkt + h, &n, pkt + h, (int)(len - h)) == 1 &&
              EVP_EncryptFinal_ex(c, pkt + h + n, &fin) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, pkt + len) == 1,
          "reference AES-GCM failed");
    EVP_CIPHER_CTX_free(c);
    return len + 16;
}

/* ---------------------------------------------------------------- tests */

static void rtp_round_trip_all_profiles(void)
{
    for (size_t p = 0; p < NPROFILES; p++) {
        pair_t s;
        pair_open(&s, profiles[p]);
        const struct { int ncsrc; bool ext; size_t payload; } shapes[] = {
            {0, false, 0}, {0, false, 93}, {2, false, 160}, {0, true, 93}, {1, true, 1100},
        };
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            uint8_t orig[1500], buf[1500 + LKC_SRTP_MAX_OVERHEAD];
            size_t len = make_rtp(orig, (uint16_t)(1000 + i), 0x11223344, shapes[i].ncsrc, shapes[i].ext,
                                  shapes[i].payload);
            memcpy(buf, orig, len);
            int n = lkc_srtp_protect_rtp(s.a, buf, len, sizeof buf);
            CHECK(n > 0, "%s: protect shape %zu returned %d", lkc_srtp_profile_name(profiles[p]), i, n);
            CHECK_EQ_INT((size_t)n, len + rtp_growth(profiles[p]));
            size_t h = rtp_header_len(orig);
            CHECK(memcmp(buf, orig, h) == 0, "header changed by protect");
            if (shapes[i].payload >= 16)
                CHECK(memcmp(buf + h, orig + h, 16) != 0, "payload not encrypted");

            /* The same bytes an independent implementation of the RFCs produces. */
            uint8_t ref[1500 + 64];
            memcpy(ref, orig, len);
            size_t rn = reference_protect_rtp(profiles[p], s.ka.local, ref, len);
            CHECK((size_t)n == rn && memcmp(buf, ref, rn) == 0,
                  "%s: protected packet (shape %zu) differs from the RFC computation",
                  lkc_srtp_profile_name(profiles[p]), i);

            int m = lkc_srtp_unprotect_rtp(s.b, buf, (size_t)n);
            CHECK_EQ_INT(m, (int)len);
            CHECK(memcmp(buf, orig, len) == 0, "round trip changed the packet");
        }
        /* The other direction uses the other key. */
        uint8_t buf[200 + LKC_SRTP_MAX_OVERHEAD];
        size_t len = make_rtp(buf, 7, 0x55667788, 0, false, 50);
        int n = lkc_srtp_protect_rtp(s.b, buf, len, sizeof buf);
        CHECK(n > 0, "protect b->a: %d", n);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtp(s.a, buf, (size_t)n), (int)len);
        pair_close(&s);
    }
}

static void rtcp_round_trip_all_profiles(void)
{
    for (size_t p = 0; p < NPROFILES; p++) {
        pair_t s;
        pair_open(&s, profiles[p]);
        for (int i = 0; i < 3; i++) {
            uint8_t orig[64], buf[64 + LKC_SRTP_MAX_OVERHEAD];
            size_t len = make_rtcp_sr(orig, 0x11223344);
            memcpy(buf, orig, len);
            int n = lkc_srtp_protect_rtcp(s.a, buf, len, sizeof buf);
            CHECK(n > 0, "%s: protect_rtcp returned %d", lkc_srtp_profile_name(profiles[p]), n);
            CHECK_EQ_INT((size_t)n, len + rtcp_growth(profiles[p]));
            CHECK(memcmp(buf + 8, orig + 8, 16) != 0, "RTCP body not encrypted");
            int m = lkc_srtp_unprotect_rtcp(s.b, buf, (size_t)n);
            CHECK_EQ_INT(m, (int)len);
            CHECK(memcmp(buf, orig, len) == 0, "RTCP round trip changed the packet");
        }
        pair_close(&s);
    }
}

static void tampered_and_replayed_rejected(void)
{
    for (size_t p = 0; p < NPROFILES; p++) {
        pair_t s;
        pair_open(&s, profiles[p]);
        uint8_t prot[300];
        size_t len = make_rtp(prot, 42, 0x01020304, 0, true, 60);
        int n = lkc_srtp_protect_rtp(s.a, prot, len, sizeof prot);
        CHECK(n > 0, "protect: %d", n);
        /* One flipped bit anywhere (header, payload, tag) fails authentication. */
        const size_t spots[] = {1, 5, 13, 20, len + 1, (size_t)n - 1};
        for (size_t i = 0; i < sizeof spots / sizeof *spots; i++) {
            uint8_t t[300];
            memcpy(t, prot, (size_t)n);
            t[spots[i]] ^= 0x01;
            CHECK_EQ_INT(lkc_srtp_unprotect_rtp(s.b, t, (size_t)n), LKC_ERR_PROTOCOL);
        }
        uint8_t t[300];
        memcpy(t, prot, (size_t)n);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtp(s.b, t, (size_t)n - 1), LKC_ERR_PROTOCOL); /* truncated tag */
        /* Failed attempts did not poison the replay window: the real packet passes once. */
        memcpy(t, prot, (size_t)n);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtp(s.b, t, (size_t)n), (int)len);
        memcpy(t, prot, (size_t)n);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtp(s.b, t, (size_t)n), LKC_ERR_PROTOCOL);

        /* Sending the same sequence number again (a retransmission) is allowed. */
        uint8_t again[300];
        size_t l2 = make_rtp(again, 42, 0x01020304, 0, true, 60);
        CHECK(lkc_srtp_protect_rtp(s.a, again, l2, sizeof again) > 0, "repeat protect refused");

        /* A session with the wrong key rejects everything. */
        lkc_srtp_keys_t wrong = s.kb;
        wrong.remote[0] ^= 0xff;
        lkc_srtp_t *w = NULL;
        CHECK_OK(lkc_srtp_new(&wrong, &w));
        size_t l3 = make_rtp(t, 43, 0x01020304, 0, false, 20);
        n = lkc_srtp_protect_rtp(s.a, t, l3, sizeof t);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtp(w, t, (size_t)n), LKC_ERR_PROTOCOL);
        lkc_srtp_free(w);

        /* RTCP: tampered and replayed. */
        uint8_t r[28 + LKC_SRTP_MAX_OVERHEAD];
        size_t rl = make_rtcp_sr(r, 0x01020304);
        n = lkc_srtp_protect_rtcp(s.a, r, rl, sizeof r);
        CHECK(n > 0, "protect_rtcp: %d", n);
        memcpy(t, r, (size_t)n);
        t[10] ^= 0x80;
        CHECK_EQ_INT(lkc_srtp_unprotect_rtcp(s.b, t, (size_t)n), LKC_ERR_PROTOCOL);
        memcpy(t, r, (size_t)n);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtcp(s.b, t, (size_t)n), (int)rl);
        memcpy(t, r, (size_t)n);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtcp(s.b, t, (size_t)n), LKC_ERR_PROTOCOL);
        pair_close(&s);
    }
}

static void short_and_garbage_rejected(void)
{
    for (size_t p = 0; p < NPROFILES; p++) {
        pair_t s;
        pair_open(&s, profiles[p]);
        uint8_t buf[1600];
        /* Every length shorter than header + tag, with a plausible first byte. */
        for (size_t len = 0; len < 12 + rtp_growth(profiles[p]); len++) {
            memset(buf, 0, sizeof buf);
            buf[0] = 0x80;
            CHECK_EQ_INT(lkc_srtp_unprotect_rtp(s.b, buf, len), LKC_ERR_PROTOCOL);
        }
        for (size_t len = 0; len < 8 + rtcp_growth(profiles[p]); len++) {
            memset(buf, 0, sizeof buf);
            buf[0] = 0x80;
            buf[1] = 200;
            CHECK_EQ_INT(lkc_srtp_unprotect_rtcp(s.b, buf, len), LKC_ERR_PROTOCOL);
        }
        /* Random bytes: every one rejected, none crashes. Half get RTP version 2 and a
         * small CSRC count so that they reach libsrtp's own checks. */
        for (int i = 0; i < 2000; i++) {
            size_t len = 1 + lkc_random_u32() % 1400;
            lkc_random_bytes(buf, len);
            if (i & 1)
                buf[0] = (uint8_t)(0x80 | (buf[0] & 0x13));
            CHECK(lkc_srtp_unprotect_rtp(s.b, buf, len) < 0, "garbage RTP (%zu bytes) accepted", len);
            lkc_random_bytes(buf, len);
            if (i & 1)
                buf[0] = (uint8_t)(0x80 | (buf[0] & 0x1f));
            CHECK(lkc_srtp_unprotect_rtcp(s.b, buf, len) < 0, "garbage RTCP (%zu bytes) accepted", len);
        }
        /* Bad arguments and bad packets to protect. */
        CHECK_EQ_INT(lkc_srtp_unprotect_rtp(NULL, buf, 20), LKC_ERR_INVALID_ARG);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtp(s.b, NULL, 20), LKC_ERR_INVALID_ARG);
        CHECK_EQ_INT(lkc_srtp_unprotect_rtp(s.b, buf, LKC_SRTP_MAX_PACKET + 1), LKC_ERR_TOO_LARGE);
        size_t len = make_rtp(buf, 1, 1, 0, false, 100);
        uint8_t before[1600];
        memcpy(before, buf, len);
        CHECK_EQ_INT(lkc_srtp_protect_rtp(s.a, buf, len, len + LKC_SRTP_MAX_OVERHEAD - 1), LKC_ERR_TOO_LARGE);
        CHECK(memcmp(before, buf, len) == 0, "buffer changed by a refused protect");
        CHECK_EQ_INT(lkc_srtp_protect_rtp(s.a, buf, len, len - 1), LKC_ERR_TOO_LARGE);
        buf[0] = 0x40; /* version 1 */
        CHECK_EQ_INT(lkc_srtp_protect_rtp(s.a, buf, len, sizeof buf), LKC_ERR_INVALID_ARG);
        buf[0] = 0x8f; /* 15 CSRCs need 72 bytes of header: more than 40 */
        CHECK(lkc_srtp_protect_rtp(s.a, buf, 40, sizeof buf) == LKC_ERR_INVALID_ARG, "CSRC overflow accepted");
        buf[0] = 0x90; /* extension header claims more than there is */
        buf[12] = 0xbe;
        buf[13] = 0xde;
        buf[14] = 0xff;
        buf[15] = 0xff;
        CHECK_EQ_INT(lkc_srtp_protect_rtp(s.a, buf, len, sizeof buf), LKC_ERR_INVALID_ARG);
        CHECK_EQ_INT(lkc_srtp_protect_rtp(s.a, buf, 11, sizeof buf), LKC_ERR_INVALID_ARG);
        CHECK_EQ_INT(lkc_srtp_protect_rtcp(s.a, buf, 7, sizeof buf), LKC_ERR_INVALID_ARG);
        pair_close(&s);
    }
}

static void bad_keys_refused(void)
{
    lkc_srtp_keys_t k;
    memset(&k, 0, sizeof k);
    lkc_srtp_t *s = NULL;
    CHECK_EQ_INT(lkc_srtp_new(NULL, &s), LKC_ERR_INVALID_ARG);
    k.profile = LKC_SRTP_AEAD_AES_128_GCM;
    k.master_len = 30; /* the CM length, not GCM's 28 */
    CHECK_EQ_INT(lkc_srtp_new(&k, &s), LKC_ERR_INVALID_ARG);
    k.profile = (lkc_srtp_profile_t)0x0002; /* SRTP_AES128_CM_SHA1_32: not offered */
    CHECK_EQ_INT(lkc_srtp_new(&k, &s), LKC_ERR_UNSUPPORTED);
    CHECK(s == NULL, "out set on failure");
    CHECK_STR(lkc_srtp_profile_name(LKC_SRTP_AEAD_AES_256_GCM), "SRTP_AEAD_AES_256_GCM");
    lkc_srtp_free(NULL);
}

int main(void)
{
    CHECK_OK(lkc_srtp_global_init());
    CHECK_OK(lkc_srtp_global_init()); /* idempotent */
    RUN(rtp_round_trip_all_profiles);
    RUN(rtcp_round_trip_all_profiles);
    RUN(tampered_and_replayed_rejected);
    RUN(short_and_garbage_rejected);
    RUN(bad_keys_refused);
    lkc_srtp_global_shutdown();
    lkc_srtp_global_shutdown();
    return 0;
}
