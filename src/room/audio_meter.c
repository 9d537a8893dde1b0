/* Public measurements of PCM (level meters, tests), over the media layer's analysis. */
#include "lkc/audio.h"
#include "media/audio_analysis.h"

double lkc_pcm_level_dbfs(const int16_t *pcm, size_t frames, int channels, int channel)
{
    return lkc_audio_rms_dbfs(pcm, frames, channels, channel);
}

lkc_err_t lkc_pcm_dominant_hz(const int16_t *pcm, size_t frames, int channels, int channel, int sample_rate,
                              double *hz)
{
    return (lkc_err_t)lkc_audio_dominant_hz(pcm, frames, channels, channel, sample_rate, hz);
}
