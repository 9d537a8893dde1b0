/* `lkc token`: print an access token minted from LIVEKIT_API_KEY / LIVEKIT_API_SECRET. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_ATTRS 32

static int usage(void)
{
    fprintf(stderr, "usage: lkc token --room R --identity I [--name N] [--metadata M] "
                    "[--attribute k=v]... [--ttl 6h]\n");
    return 2;
}

int cmd_token(int argc, char **argv)
{
    static const struct option opts[] = {
        {"room", required_argument, 0, 'r'},     {"identity", required_argument, 0, 'i'},
        {"name", required_argument, 0, 'n'},     {"metadata", required_argument, 0, 'm'},
        {"attribute", required_argument, 0, 'a'}, {"ttl", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
    };
    const char *room = NULL, *identity = NULL, *name = NULL, *metadata = NULL;
    lkc_kv_t attrs[MAX_ATTRS];
    char *attr_copies[MAX_ATTRS];
    size_t n_attrs = 0;
    long ttl = 6 * 3600;
    int c, rc = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': room = optarg; break;
        case 'i': identity = optarg; break;
        case 'n': name = optarg; break;
        case 'm': metadata = optarg; break;
        case 't':
            ttl = cli_parse_duration(optarg);
            if (ttl <= 0)
                return cli_error("--ttl: \"%s\" is not a duration like 6h, 30m or 90s", optarg);
            break;
        case 'a': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || n_attrs == MAX_ATTRS)
                return cli_error("--attribute wants key=value (at most %d)", MAX_ATTRS);
            attr_copies[n_attrs] = strdup(optarg);
            attr_copies[n_attrs][eq - optarg] = '\0';
            attrs[n_attrs].key = attr_copies[n_attrs];
            attrs[n_attrs].value = attr_copies[n_attrs] + (eq - optarg) + 1;
            n_attrs++;
            break;
        }
        default: return usage();
        }
    }
    if (!room || !identity) {
        rc = usage();
    } else {
        char *tok = cli_mint_join_token(room, identity, name, metadata, attrs, n_attrs, ttl);
        if (tok)
            printf("%s\n", tok);
        else
            rc = 1;
        lkc_free(tok);
    }
    for (size_t i = 0; i < n_attrs; i++)
        free(attr_copies[i]);
    return rc;
}
