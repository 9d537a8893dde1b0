/* `lkc devices`: the sound devices lkc can use (--mic NAME / --speaker NAME take a name
 * or an id from this list). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "join_devices.h"
#include "output.h"

#ifdef LKC_HAVE_DEVICES
#include "lkc/devices.h"
#endif

static int usage(FILE *to)
{
    fprintf(to, "usage: lkc devices [--json]\n"
                "Lists the sound inputs and outputs (* marks the defaults). `lkc join --mic=NAME`\n"
                "and `--speaker=NAME` take a name (or part of one) or an id from this list.\n");
    return to == stdout ? 0 : 2;
}

#ifdef LKC_HAVE_DEVICES
static void print_plain(const lkc_device_list_t *list, bool inputs)
{
    printf("%s:\n", inputs ? "inputs" : "outputs");
    size_t shown = 0;
    for (size_t i = 0; i < list->n; i++) {
        const lkc_device_info_t *d = &list->items[i];
        int ch = inputs ? d->input_channels : d->output_channels;
        if (ch <= 0)
            continue;
        bool def = inputs ? d->is_default_input : d->is_default_output;
        printf("  %c %-3s %-40s %s, %d ch, %d Hz\n", def ? '*' : ' ', d->id, d->name, d->host_api, ch,
               d->default_rate);
        shown++;
    }
    if (!shown)
        printf("    none\n");
}
#endif

int cmd_devices(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else if (c == 'h')
            return usage(stdout);
        else
            return usage(stderr);
    }
    if (optind < argc)
        return usage(stderr);
#ifdef LKC_HAVE_DEVICES
    lkc_device_list_t *list = NULL;
    lkc_err_t err = lkc_devices_list(&list);
    if (err != LKC_OK)
        return cli_error("cannot list sound devices: %s%s", lkc_err_str(err),
                         err == LKC_ERR_UNSUPPORTED ? " (no sound system: is ALSA there?)" : "");
    if (json) {
        out_init(true);
        for (size_t i = 0; i < list->n; i++) {
            const lkc_device_info_t *d = &list->items[i];
            out_begin("device");
            out_str("id", d->id);
            out_str("name", d->name);
            out_str("host_api", d->host_api);
            out_int("input_channels", d->input_channels);
            out_int("output_channels", d->output_channels);
            out_int("default_rate", d->default_rate);
            out_bool("default_input", d->is_default_input);
            out_bool("default_output", d->is_default_output);
            out_end();
        }
    } else {
        print_plain(list, true);
        print_plain(list, false);
    }
    lkc_device_list_free(list);
    return 0;
#else
    (void)json;
    return cli_error("this lkc was built without sound devices (cmake -DLKC_DEVICES=ON, needs portaudio19-dev)");
#endif
}
