/* lkc: try, script and drive LiveKit rooms from the command line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int usage(void)
{
    fprintf(stderr,
            "lkc %s: a lean LiveKit client\n"
            "usage: lkc <command> [options]\n"
            "  server   run a local livekit-server (loopback only, devkey/secret)\n"
            "  token    print an access token (needs LIVEKIT_API_KEY/LIVEKIT_API_SECRET)\n"
            "  join     join a room and print what happens\n"
            "  demo     two participants talk to each other through a server\n"
            "  devices  list the sound inputs and outputs (for join --mic/--speaker)\n"
            "Run `lkc <command> --help` for the options of one command.\n",
            lkc_version());
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    argc--;
    argv++;
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc, argv);
    if (strcmp(cmd, "join") == 0)
        return cmd_join(argc, argv);
    if (strcmp(cmd, "server") == 0)
        return cmd_server(argc, argv);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc, argv);
    if (strcmp(cmd, "devices") == 0) { int cmd_devices(int, char **); return cmd_devices(argc, argv); } /* join_devices.h */
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("lkc %s\n", lkc_version());
        return 0;
    }
    return usage();
}
