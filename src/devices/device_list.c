/* lkc_devices_list: a snapshot of PortAudio's devices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lkc/devices.h"
#include "pa_host.h"

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

lkc_err_t lkc_devices_list(lkc_device_list_t **out)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_err_t err = lkc_pa_acquire();
    if (err != LKC_OK)
        return err;
    lkc_device_list_t *list = calloc(1, sizeof *list);
    lkc_pa_lock();
    int n = Pa_GetDeviceCount();
    if (list && n > 0)
        list->items = calloc((size_t)n, sizeof *list->items);
    if (!list || (n > 0 && !list->items)) {
        err = LKC_ERR_NO_MEMORY;
    } else {
        PaDeviceIndex din = Pa_GetDefaultInputDevice(), dout = Pa_GetDefaultOutputDevice();
        for (int i = 0; i < n; i++) {
            const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
            if (!d)
                continue;
            lkc_device_info_t *it = &list->items[list->n++];
            copy(it->name, sizeof it->name, d->name);
            snprintf(it->id, sizeof it->id, "%d", i);
            const PaHostApiInfo *h = Pa_GetHostApiInfo(d->hostApi);
            copy(it->host_api, sizeof it->host_api, h ? h->name : "");
            it->input_channels = d->maxInputChannels;
            it->output_channels = d->maxOutputChannels;
            it->default_rate = (int)(d->defaultSampleRate + 0.5);
            it->is_default_input = i == din && d->maxInputChannels > 0;
            it->is_default_output = i == dout && d->maxOutputChannels > 0;
        }
    }
    lkc_pa_unlock();
    lkc_pa_release();
    if (err != LKC_OK) {
        lkc_device_list_free(list);
        return err;
    }
    *out = list;
    return LKC_OK;
}

void lkc_device_list_free(lkc_device_list_t *list)
{
    if (!list)
        return;
    free(list->items);
    free(list);
}
