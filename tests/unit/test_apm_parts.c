/* apm internals: the high-pass filter's response, the far-end history's alignment
 * (drift, stalls, silence) and the delay estimator on its own. */
#include <math.h>

#include "apm/delay_est.h"
#include "apm/far_ring.h"
#include "apm/hpf.h"
#include "lkc/error.h"
#include "test.h"
#include "test_apm_signals.h"

static double sine_gain(int rate, double hz)
{
    lkc_hpf_t f;
    CHECK_OK(lkc_hpf_init(&f, rate, 80.0));
    size_t n = (size_t)rate; /* 1 s; measured over the last half */
    int16_t *x = malloc(n * sizeof *x);
    CHECK(x != NULL, "out of memory");
    double ein = 0, eout = 0;
    for (size_t i = 0; i < n; i++)
        x[i] = (int16_t)lrint(10000 * sin(2 * M_PI * hz * (double)i / rate));
    for (size_t i = n / 2; i < n; i++)
        ein += (double)x[i] * x[i];
    for (size_t i = 0; i < n; i += 100)
        lkc_hpf_run(&f, x + i, n - i < 100 ? n - i : 100, 1); /* in pieces: state carries */
    for (size_t i = n / 2; i < n; i++)
        eout += (double)x[i] * x[i];
    free(x);
    return sig_db(eout, ein);
}

static void high_pass(void)
{
    lkc_hpf_t f;
    CHECK_EQ_INT(lkc_hpf_init(&f, 16000, 8000), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_hpf_init(&f, 16000, 0), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_hpf_init(NULL, 16000, 80), LKC_ERR_INVALID_ARG);
    int rates[] = {8000, 48000};
    for (int k = 0; k < 2; k++) {
        double g20 = sine_gain(rates[k], 20), g50 = sine_gain(rates[k], 50), g80 = sine_gain(rates[k], 80),
               g1k = sine_gain(rates[k], 1000);
        fprintf(stderr, "   %d Hz: 20 Hz %.1f dB, 50 Hz %.1f dB, 80 Hz %.1f dB, 1 kHz %.2f dB\n", rates[k], g20, g50,
                g80, g1k);
        /* Butterworth, 2nd order, 80 Hz: -24 dB at 20 Hz, -8.8 at 50, -3 at 80 */
        CHECK(g20 < -20 && g50 < -7 && fabs(g80 + 3) < 0.5 && fabs(g1k) < 0.1, "response off");
    }
    /* DC goes away; stride reaches only its channel */
    CHECK_OK(lkc_hpf_init(&f, 16000, 80));
    int16_t st[2 * 1600];
    for (int i = 0; i < 1600; i++) {
        st[2 * i] = 8000;
        st[2 * i + 1] = 8000;
    }
    lkc_hpf_run(&f, st, 1600, 2);
    CHECK(abs(st[2 * 1599]) < 10, "DC left: %d", st[2 * 1599]);
    CHECK_EQ_INT(st[2 * 1599 + 1], 8000);
}

static void far_ring(void)
{
    lkc_far_ring_t r;
    CHECK_EQ_INT(lkc_far_ring_init(&r, 10, 10, 0), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_far_ring_init(&r, 100, 10, 20));
    int16_t in[10], out[10];
    /* render then capture in step: the cursor sits on the newest unit */
    for (int u = 0; u < 5; u++) {
        for (int i = 0; i < 10; i++)
            in[i] = (int16_t)(u * 10 + i);
        lkc_far_ring_push(&r, in, 10, 1);
        CHECK(!lkc_far_ring_advance(&r), "realigned in step (unit %d)", u);
        lkc_far_ring_read(&r, 0, out, 10);
        CHECK_EQ_INT(out[0], u * 10);
        lkc_far_ring_read(&r, 15, out, 10); /* lag 15: from unit u-2's middle */
        CHECK_EQ_INT(out[0], u >= 2 ? u * 10 - 15 : (u * 10 - 15 < 0 ? 0 : u * 10 - 15));
    }
    /* beyond the history: silence */
    lkc_far_ring_read(&r, 95, out, 10);
    CHECK_EQ_INT(out[0], 0);
    /* render stalls: capture goes on reading silence, no realign */
    for (int u = 0; u < 6; u++) {
        CHECK(!lkc_far_ring_advance(&r), "realigned while render is silent");
        lkc_far_ring_read(&r, 0, out, 10);
        CHECK_EQ_INT(out[9], 0);
    }
    /* render comes back, in step: the cursor is 6 units ahead at every capture; once
     * that held over a window (32 captures), one move back, onto the newest unit */
    int16_t st[20];
    int moves = 0;
    for (int u = 0; u < 70; u++) {
        for (int i = 0; i < 10; i++)
            st[2 * i] = (int16_t)(100 + u), st[2 * i + 1] = (int16_t)(300 + u); /* stereo: mixed to mono */
        lkc_far_ring_push(&r, st, 10, 2);
        if (lkc_far_ring_advance(&r)) {
            moves++;
            CHECK_EQ_INT(r.moved, -60);
        }
    }
    CHECK_EQ_INT(moves, 1);
    lkc_far_ring_read(&r, 0, out, 10);
    CHECK_EQ_INT(out[0], 200 + 69);
    /* a burst of 5 units from render: a transient lead, the line stays */
    for (int u = 0; u < 5; u++)
        lkc_far_ring_push(&r, in, 10, 1);
    CHECK(!lkc_far_ring_advance(&r), "moved on one render burst");
    /* ... but render staying 4 units ahead (queued early) moves it forward, once, onto
     * the newest unit */
    moves = 0;
    for (int u = 0; u < 70; u++) {
        for (int i = 0; i < 10; i++)
            in[i] = (int16_t)(1000 + u * 10 + i);
        lkc_far_ring_push(&r, in, 10, 1);
        if (lkc_far_ring_advance(&r)) {
            moves++;
            CHECK_EQ_INT(r.moved, 40);
        }
    }
    CHECK_EQ_INT(moves, 1);
    lkc_far_ring_read(&r, 0, out, 10);
    CHECK_EQ_INT(out[0], 1000 + 69 * 10);
    lkc_far_ring_free(&r);
    lkc_far_ring_free(NULL);
}

/* Sound cards' clocks differ: render a little faster or slower than capture. The line
 * moves when render led it, or it ran ahead of render, by more than the slack at every
 * capture of a window (32): in steps of the slack to the slack plus two windows' drift,
 * each one counted. */
static void far_ring_drift(void)
{
    for (int dir = -1; dir <= 1; dir += 2) {
        lkc_far_ring_t r;
        CHECK_OK(lkc_far_ring_init(&r, 4000, 160, 64));
        int16_t in[170] = {0};
        int realigns = 0;
        int64_t moved = 0;
        for (int u = 0; u < 1000; u++) {
            lkc_far_ring_push(&r, in, (size_t)(160 + dir), 1); /* 0.6 % off */
            if (lkc_far_ring_advance(&r)) {
                realigns++;
                moved += r.moved;
                CHECK(llabs(r.moved) > 64 && llabs(r.moved) <= 64 + 2 * 32, "a step of %lld", (long long)r.moved);
            }
            int64_t lead = r.written - 160 - r.cursor;
            CHECK(llabs(lead) <= 64 + 2 * 32 + 1, "cursor %lld samples off after %d units", (long long)lead, u);
        }
        fprintf(stderr, "   drift %+d sample per unit: %d moves, %lld samples in all\n", dir, realigns,
                (long long)moved);
        CHECK(realigns >= 8 && realigns <= 16, "%d moves for 1000 samples of drift (%+d)", realigns, dir);
        CHECK(moved >= dir * 1000 - 129 && moved <= dir * 1000 + 129, "moved %lld in all", (long long)moved);
        lkc_far_ring_free(&r);
    }
}

/* A sound server under load: render and capture in bursts. The swings are transient:
 * the line never moves, and runs ahead of render (in a burst's trough) by less than the
 * delay estimator's look-back (100 ms: apm.c). */
static void far_ring_bursts(void)
{
    static const int pat[][2] = {{3, 1}, {1, 3}, {2, 3}, {5, 1}, {1, 5}};
    for (int p = 0; p < 5; p++) {
        lkc_far_ring_t r;
        CHECK_OK(lkc_far_ring_init(&r, 4000, 160, 640));
        int16_t in[160] = {0};
        int moves = 0;
        int64_t ahead_max = 0;
        int rb = pat[p][0], cb = pat[p][1];
        for (int t = 0; t < 300; t++) {
            if (t % rb == 0) /* render early: a burst at its first tick */
                for (int k = 0; k < rb; k++)
                    lkc_far_ring_push(&r, in, 160, 1);
            if (t % cb == cb - 1) /* capture late: at its last tick */
                for (int k = 0; k < cb; k++) {
                    moves += lkc_far_ring_advance(&r);
                    int64_t ahead = r.cursor + 160 - r.written;
                    ahead_max = ahead > ahead_max ? ahead : ahead_max;
                }
        }
        fprintf(stderr, "   render x%d / capture x%d: %d moves, cursor ahead of render by %lld at most\n", rb, cb,
                moves, (long long)ahead_max);
        CHECK(moves == 0 && ahead_max < 1600, "render x%d / capture x%d: %d moves, ahead by %lld", rb, cb, moves,
              (long long)ahead_max);
        lkc_far_ring_free(&r);
    }
}

static void delay_estimator(void)
{
    CHECK(lkc_delay_est_create(16000, 4, 500, 0) == NULL, "unit of 4 accepted");
    int rate = 16000;
    size_t n = (size_t)rate * 3, unit = 160;
    int delays[] = {0, 37, 150, 420};
    for (int k = 0; k < 4; k++) {
        double *far = malloc(n * sizeof *far), *echo = malloc(n * sizeof *echo);
        int16_t *f16 = malloc(n * sizeof *f16), *m16 = malloc(n * sizeof *m16);
        size_t hl = 0;
        double *h = sig_echo_path(rate, delays[k], 40, -10, 7, &hl);
        CHECK(far && echo && f16 && m16 && h, "out of memory");
        sig_speech(far, n, rate, 10, -20);
        CHECK(sig_convolve(far, n, h, hl, echo) == 0, "out of memory");
        for (size_t i = 0; i < n; i++) {
            f16[i] = sig_to_s16(far[i]);
            m16[i] = sig_to_s16(echo[i]);
        }
        /* fed the far end at lag 0, and (as lkc_apm does) 10 units back: the same lags */
        for (unsigned look = 0; look <= 10; look += 10) {
            lkc_delay_est_t *e = lkc_delay_est_create(rate, unit, 500, look);
            CHECK(e != NULL, "create");
            CHECK_EQ_INT(lkc_delay_est_get(e), -1);
            static const int16_t zero[160];
            size_t found_at = 0, back = look * unit;
            for (size_t f = 0; f + unit <= n; f += unit) {
                lkc_delay_est_feed(e, f >= back ? f16 + f - back : zero, m16 + f);
                if (!found_at && lkc_delay_est_get(e) >= 0)
                    found_at = f + unit;
            }
            int got = lkc_delay_est_get(e);
            fprintf(stderr, "   echo at %d ms, look-back %u units: estimated %d ms, first estimate after %.2f s\n",
                    delays[k], look, got, (double)found_at / rate);
            CHECK(abs(got - delays[k]) <= 12, "estimated %d ms for %d", got, delays[k]);
            CHECK(found_at && found_at <= 2 * (size_t)rate, "no estimate within 2 s");
            lkc_delay_est_free(e);
        }
        free(far);
        free(echo);
        free(f16);
        free(m16);
        free(h);
    }
    lkc_delay_est_free(NULL);
}

int main(void)
{
    RUN(high_pass);
    RUN(far_ring);
    RUN(far_ring_drift);
    RUN(far_ring_bursts);
    RUN(delay_estimator);
    return 0;
}
