/* media/pcm_ring: ordered delivery, overflow drops the oldest, timeouts, READ_FULL, EOS,
 * and one writer against two readers for a few seconds. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "base/clock.h"
#include "lkc/error.h"
#include "media/pcm_ring.h"
#include "test.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool wait_flag(atomic_int *flag)
{
    for (int i = 0; i < 5000 && !atomic_load(flag); i++)
        sleep_ms(1);
    return atomic_load(flag) != 0;
}

/* Stereo samples that carry their 30-bit stream position: left low bits, right high. */
static void fill_pos(int16_t *p, uint64_t from, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[2 * i] = (int16_t)((from + i) & 0x7fff);
        p[2 * i + 1] = (int16_t)(((from + i) >> 15) & 0x7fff);
    }
}

static uint64_t pos_of(const int16_t *p, size_t i)
{
    return (uint64_t)(uint16_t)p[2 * i] | (uint64_t)(uint16_t)p[2 * i + 1] << 15;
}

static void check_pos(const int16_t *p, uint64_t from, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        CHECK(pos_of(p, i) == from + i, "%s: sample %zu holds position %llu, expected %llu",
              what, i, (unsigned long long)pos_of(p, i), (unsigned long long)(from + i));
}

static int16_t buf[48000 * 2], out[48000 * 2];

static void ordered_delivery(void)
{
    static const size_t wsizes[] = {1, 480, 7, 960, 333}, rsizes[] = {100, 1, 960, 2000, 17};
    lkc_pcm_ring_t *r;
    CHECK_OK(lkc_pcm_ring_create(&r, 48000, 2, 1000)); /* more than ever queued here */
    uint64_t written = 0, read = 0;
    for (int i = 0; i < 500; i++) {
        size_t n = wsizes[i % 5];
        fill_pos(buf, written, n);
        CHECK_OK(lkc_pcm_ring_write(r, buf, n));
        written += n;
        CHECK_EQ_INT(lkc_pcm_ring_available(r), written - read);
        if (i % 2) {
            int got = lkc_pcm_ring_read(r, out, rsizes[i % 5], 0, 0);
            CHECK(got > 0, "read %d with %llu available", got,
                  (unsigned long long)(written - read));
            size_t want = written - read < rsizes[i % 5] ? written - read : rsizes[i % 5];
            CHECK_EQ_INT(got, want);
            check_pos(out, read, (size_t)got, "in order");
            read += (size_t)got;
        }
    }
    int got;
    while ((got = lkc_pcm_ring_read(r, out, 1000, 0, 0)) > 0) {
        check_pos(out, read, (size_t)got, "tail");
        read += (size_t)got;
    }
    CHECK_EQ_INT(got, LKC_ERR_TIMEOUT);
    CHECK_EQ_INT(read, written);
    lkc_pcm_ring_stats_t st;
    lkc_pcm_ring_stats(r, &st);
    CHECK_EQ_INT(st.samples_written, written);
    CHECK_EQ_INT(st.samples_read, written);
    CHECK_EQ_INT(st.samples_dropped, 0);
    CHECK_EQ_INT(st.overflows, 0);
    lkc_pcm_ring_free(r);
}

static void overflow_drops_oldest(void)
{
    lkc_pcm_ring_t *r;
    CHECK_OK(lkc_pcm_ring_create(&r, 8000, 2, 100)); /* 800 samples */
    fill_pos(buf, 0, 3000);
    CHECK_OK(lkc_pcm_ring_write(r, buf, 500));
    CHECK_OK(lkc_pcm_ring_write(r, buf + 2 * 500, 500)); /* 200 oldest overwritten */
    CHECK_EQ_INT(lkc_pcm_ring_available(r), 800);
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 1000, 0, 0), 800);
    check_pos(out, 200, 800, "after overflow");

    /* A block bigger than the ring: the queued rest and the block's start both go. */
    CHECK_OK(lkc_pcm_ring_write(r, buf + 2 * 1000, 100));
    CHECK_OK(lkc_pcm_ring_write(r, buf + 2 * 1100, 1900));
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 1000, 0, 0), 800);
    check_pos(out, 2200, 800, "newest of an oversized block");

    lkc_pcm_ring_stats_t st;
    lkc_pcm_ring_stats(r, &st);
    CHECK_EQ_INT(st.samples_dropped, 200 + 100 + 1100);
    CHECK_EQ_INT(st.overflows, 2);
    CHECK_EQ_INT(st.samples_written, 3000);
    CHECK_EQ_INT(st.samples_read, 1600);
    lkc_pcm_ring_free(r);
}

static void timeouts_full_reads_and_underruns(void)
{
    lkc_pcm_ring_t *r;
    CHECK_OK(lkc_pcm_ring_create(&r, 16000, 2, 100)); /* 1600 samples */
    /* Before the first write, waiting is start-up, not an underrun. */
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 160, 0, 0), LKC_ERR_TIMEOUT);
    int64_t t0 = lkc_mono_ms();
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 160, 60, 0), LKC_ERR_TIMEOUT);
    int64_t waited = lkc_mono_ms() - t0;
    CHECK(waited >= 55 && waited < 3000, "timed out after %lld ms, asked 60", (long long)waited);
    lkc_pcm_ring_stats_t st;
    lkc_pcm_ring_stats(r, &st);
    CHECK_EQ_INT(st.underruns, 0);

    fill_pos(buf, 0, 1600);
    CHECK_OK(lkc_pcm_ring_write(r, buf, 100));
    /* Without READ_FULL, a read returns what is there rather than waiting. */
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 160, 1000, 0), 100);
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 160, 0, 0), LKC_ERR_TIMEOUT); /* underrun 1 */
    CHECK_OK(lkc_pcm_ring_write(r, buf + 2 * 100, 100));
    /* READ_FULL: 100 of 160 is not enough; on timeout nothing is taken. */
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 160, 20, LKC_PCM_RING_READ_FULL),
                 LKC_ERR_TIMEOUT); /* underrun 2 */
    CHECK_EQ_INT(lkc_pcm_ring_available(r), 100);
    CHECK_OK(lkc_pcm_ring_write(r, buf + 2 * 200, 100));
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 160, 0, LKC_PCM_RING_READ_FULL), 160);
    check_pos(out, 100, 160, "full read");
    CHECK_EQ_INT(lkc_pcm_ring_available(r), 40);
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 1601, 0, LKC_PCM_RING_READ_FULL),
                 LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 160, 0, 0x10), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 0, 0, 0), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_pcm_ring_read(r, NULL, 10, 0, 0), LKC_ERR_INVALID_ARG);
    lkc_pcm_ring_stats(r, &st);
    CHECK_EQ_INT(st.underruns, 2);

    /* clear drops what is unread. */
    lkc_pcm_ring_clear(r);
    CHECK_EQ_INT(lkc_pcm_ring_available(r), 0);
    lkc_pcm_ring_stats(r, &st);
    CHECK_EQ_INT(st.samples_cleared, 40);
    lkc_pcm_ring_free(r);
}

typedef struct {
    lkc_pcm_ring_t *r;
    size_t max;
    unsigned flags;
    int rc;
    atomic_int done;
    int16_t pcm[960 * 2];
} reader_t;

static void *read_once(void *arg)
{
    reader_t *rd = arg;
    rd->rc = lkc_pcm_ring_read(rd->r, rd->pcm, rd->max, -1, rd->flags);
    atomic_store(&rd->done, 1);
    return NULL;
}

static void end_of_stream(void)
{
    lkc_pcm_ring_t *r;
    CHECK_OK(lkc_pcm_ring_create(&r, 48000, 2, 100));
    /* A blocked reader is woken by a write... */
    reader_t rd = {.r = r, .max = 960};
    pthread_t th;
    pthread_create(&th, NULL, read_once, &rd);
    sleep_ms(30); /* not needed for correctness: lets the read reach its wait */
    fill_pos(buf, 0, 4000);
    CHECK_OK(lkc_pcm_ring_write(r, buf, 300));
    CHECK(wait_flag(&rd.done), "reader not woken by a write");
    pthread_join(th, NULL);
    CHECK_EQ_INT(rd.rc, 300);
    check_pos(rd.pcm, 0, 300, "woken reader");

    /* ...a READ_FULL reader gets what is left at the end... */
    CHECK_OK(lkc_pcm_ring_write(r, buf + 2 * 300, 500));
    rd = (reader_t){.r = r, .max = 960, .flags = LKC_PCM_RING_READ_FULL};
    pthread_create(&th, NULL, read_once, &rd);
    sleep_ms(30);
    CHECK(!atomic_load(&rd.done), "READ_FULL returned with 500 of 960");
    lkc_pcm_ring_end(r);
    CHECK(wait_flag(&rd.done), "READ_FULL reader not woken by end");
    pthread_join(th, NULL);
    CHECK_EQ_INT(rd.rc, 500);
    check_pos(rd.pcm, 300, 500, "drained at end");

    /* ...then everyone gets EOS, blocked or not, and writes are refused. */
    CHECK_EQ_INT(lkc_pcm_ring_write(r, buf, 10), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 960, -1, 0), LKC_EOS);
    CHECK_EQ_INT(lkc_pcm_ring_read(r, out, 960, 0, LKC_PCM_RING_READ_FULL), LKC_EOS);
    lkc_pcm_ring_end(r);
    lkc_pcm_ring_free(r);

    /* A reader blocked on an empty ring (no timeout) returns EOS when the end comes. */
    CHECK_OK(lkc_pcm_ring_create(&r, 48000, 1, 100));
    rd = (reader_t){.r = r, .max = 960};
    pthread_create(&th, NULL, read_once, &rd);
    sleep_ms(30);
    lkc_pcm_ring_end(r);
    CHECK(wait_flag(&rd.done), "reader (no timeout) not woken by end");
    pthread_join(th, NULL);
    CHECK_EQ_INT(rd.rc, LKC_EOS);
    lkc_pcm_ring_stats_t st;
    lkc_pcm_ring_stats(r, &st);
    CHECK_EQ_INT(st.underruns, 0);
    lkc_pcm_ring_free(r);
}

/* One writer, two readers, a few seconds; readers stall now and then to force overflow.
 * Each position must reach at most one reader, in increasing order per reader, and
 * written = read + dropped at the end. */
#define TOTAL_BLOCKS 2500
static atomic_uchar *seen;
static uint64_t total_written;

typedef struct {
    lkc_pcm_ring_t *r;
    int id;
    uint64_t got, reads;
    int16_t pcm[4096 * 2];
} stress_reader_t;

static void *stress_reader(void *arg)
{
    stress_reader_t *sr = arg;
    static const size_t sizes[] = {1, 480, 960, 4096, 77};
    uint64_t last = 0;
    bool any = false;
    for (unsigned i = 0;; i++) {
        size_t max = sizes[(i + (unsigned)sr->id) % 5];
        unsigned flags = (i % 3 == 0 && max <= 2400) ? LKC_PCM_RING_READ_FULL : 0;
        int n = lkc_pcm_ring_read(sr->r, sr->pcm, max, 100, flags);
        if (n == LKC_EOS)
            break;
        if (n == LKC_ERR_TIMEOUT)
            continue;
        CHECK(n > 0 && (size_t)n <= max, "reader %d: read returned %d for max %zu", sr->id, n,
              max);
        uint64_t p0 = pos_of(sr->pcm, 0);
        CHECK(!any || p0 > last, "reader %d: position %llu after %llu", sr->id,
              (unsigned long long)p0, (unsigned long long)last);
        for (int k = 0; k < n; k++) {
            uint64_t p = pos_of(sr->pcm, (size_t)k);
            CHECK(p == p0 + (uint64_t)k, "reader %d: gap inside one read at %d", sr->id, k);
            CHECK(p < total_written, "reader %d: position %llu never written", sr->id,
                  (unsigned long long)p);
            CHECK(atomic_fetch_add(&seen[p], 1) == 0, "position %llu delivered twice",
                  (unsigned long long)p);
        }
        last = p0 + (uint64_t)n - 1;
        any = true;
        sr->got += (uint64_t)n;
        sr->reads++;
        if (i % 97 == 0)
            sleep_ms(5); /* a stalled reader: the writer must overwrite, never wait */
    }
    return NULL;
}

static void one_writer_two_readers(void)
{
    static const size_t sizes[] = {480, 1, 960, 1500, 33, 480};
    total_written = 0;
    for (int i = 0; i < TOTAL_BLOCKS; i++)
        total_written += sizes[i % 6];
    seen = calloc(total_written, sizeof *seen);
    CHECK(seen != NULL, "out of memory");
    lkc_pcm_ring_t *r;
    CHECK_OK(lkc_pcm_ring_create(&r, 48000, 2, 50)); /* 2400 samples */
    stress_reader_t readers[2] = {{.r = r, .id = 0}, {.r = r, .id = 1}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, stress_reader, &readers[i]);
    int64_t t0 = lkc_mono_ms(), max_write_us = 0;
    uint64_t pos = 0;
    for (int i = 0; i < TOTAL_BLOCKS; i++) {
        size_t n = sizes[i % 6];
        fill_pos(buf, pos, n);
        int64_t w0 = lkc_mono_us();
        CHECK_OK(lkc_pcm_ring_write(r, buf, n));
        int64_t w = lkc_mono_us() - w0;
        if (w > max_write_us)
            max_write_us = w;
        pos += n;
        sleep_ms(1); /* ~10x real time over ~3 s */
    }
    lkc_pcm_ring_end(r);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    lkc_pcm_ring_stats_t st;
    lkc_pcm_ring_stats(r, &st);
    fprintf(stderr,
            "   %lld ms: %llu written, readers got %llu + %llu in %llu reads, %llu dropped in "
            "%llu overflows, %llu underruns, slowest write %lld us\n",
            (long long)(lkc_mono_ms() - t0), (unsigned long long)st.samples_written,
            (unsigned long long)readers[0].got, (unsigned long long)readers[1].got,
            (unsigned long long)(readers[0].reads + readers[1].reads),
            (unsigned long long)st.samples_dropped, (unsigned long long)st.overflows,
            (unsigned long long)st.underruns, (long long)max_write_us);
    CHECK_EQ_INT(st.samples_written, total_written);
    CHECK_EQ_INT(readers[0].got + readers[1].got, st.samples_read);
    CHECK_EQ_INT(st.samples_read + st.samples_dropped, total_written);
    CHECK(readers[0].got > 0 && readers[1].got > 0, "a reader got nothing");
    uint64_t delivered = 0;
    for (uint64_t p = 0; p < total_written; p++)
        delivered += atomic_load(&seen[p]);
    CHECK_EQ_INT(delivered, st.samples_read);
    free(seen);
    lkc_pcm_ring_free(r);
}

/* Not asserted: the cost of the lock and copies per 20 ms stereo frame. */
static void cost_per_frame(void)
{
    lkc_pcm_ring_t *r;
    CHECK_OK(lkc_pcm_ring_create(&r, 48000, 2, 200));
    fill_pos(buf, 0, 960);
    int rounds = 200000;
    int64_t t0 = lkc_mono_us();
    for (int i = 0; i < rounds; i++) {
        CHECK(lkc_pcm_ring_write(r, buf, 960) == 0, "write failed");
        CHECK(lkc_pcm_ring_read(r, out, 960, 0, 0) == 960, "read failed");
    }
    double ns = (double)(lkc_mono_us() - t0) * 1000.0 / rounds;
    fprintf(stderr, "   write + read of one 20 ms stereo frame: %.0f ns\n", ns);
    lkc_pcm_ring_free(r);
}

static void bad_arguments(void)
{
    lkc_pcm_ring_t *r = (lkc_pcm_ring_t *)&r;
    CHECK_EQ_INT(lkc_pcm_ring_create(&r, 7999, 1, 100), LKC_ERR_INVALID_ARG);
    CHECK(r == NULL, "failed create left *out set");
    CHECK_EQ_INT(lkc_pcm_ring_create(&r, 48000, 0, 100), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_pcm_ring_create(&r, 48000, 1, 0), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_pcm_ring_create(&r, 48000, 1, LKC_PCM_RING_MAX_MS + 1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_pcm_ring_create(NULL, 48000, 1, 100), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_pcm_ring_create(&r, 44100, 1, 1));
    CHECK_EQ_INT(lkc_pcm_ring_write(r, NULL, 3), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_pcm_ring_write(r, buf, SIZE_MAX), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_pcm_ring_write(r, NULL, 0));
    CHECK_OK(lkc_pcm_ring_write(r, buf, 100)); /* capacity 44: keeps the newest 44 */
    CHECK_EQ_INT(lkc_pcm_ring_available(r), 44);
    lkc_pcm_ring_free(r);
    lkc_pcm_ring_free(NULL);
    lkc_pcm_ring_end(NULL);
    lkc_pcm_ring_clear(NULL);
    CHECK_EQ_INT(lkc_pcm_ring_available(NULL), 0);
    CHECK_EQ_INT(lkc_pcm_ring_read(NULL, out, 1, 0, 0), LKC_ERR_INVALID_ARG);
}

int main(void)
{
    RUN(ordered_delivery);
    RUN(overflow_drops_oldest);
    RUN(timeouts_full_reads_and_underruns);
    RUN(end_of_stream);
    RUN(one_writer_two_readers);
    RUN(cost_per_frame);
    RUN(bad_arguments);
    return 0;
}
