/* Butterworth high-pass biquad by the bilinear transform (Q = 1/sqrt(2)), in float:
 * the 80 Hz pole pair at 48 kHz sits very close to z = 1, where int16-domain fixed
 * point would lose the low end; float's 24-bit mantissa is enough with TDF-II. */
#include "apm/hpf.h"

#include <math.h>

#include "lkc/error.h"

int lkc_hpf_init(lkc_hpf_t *f, int rate, double fc)
{
    if (!f || rate <= 0 || !(fc > 0) || fc >= rate / 2.0)
        return LKC_ERR_INVALID_ARG;
    double w = tan(3.14159265358979323846 * fc / rate);
    double q = 0.70710678118654752;
    double n = 1.0 / (1.0 + w / q + w * w);
    f->b0 = (float)n;
    f->b1 = (float)(-2.0 * n);
    f->b2 = (float)n;
    f->a1 = (float)(2.0 * (w * w - 1.0) * n);
    f->a2 = (float)((1.0 - w / q + w * w) * n);
    f->z1 = f->z2 = 0;
    return LKC_OK;
}

void lkc_hpf_run(lkc_hpf_t *f, int16_t *pcm, size_t n, size_t stride)
{
    float z1 = f->z1, z2 = f->z2;
    for (size_t i = 0; i < n; i++) {
        float x = pcm[i * stride];
        float y = f->b0 * x + z1;
        z1 = f->b1 * x - f->a1 * y + z2;
        z2 = f->b2 * x - f->a2 * y;
        pcm[i * stride] = (int16_t)(y > 32767.f ? 32767 : y < -32768.f ? -32768 : lrintf(y));
    }
    /* flush denormals: after long silence the state decays towards 1e-38 and denormal
     * arithmetic is slow on some CPUs */
    f->z1 = fabsf(z1) < 1e-20f ? 0 : z1;
    f->z2 = fabsf(z2) < 1e-20f ? 0 : z2;
}
