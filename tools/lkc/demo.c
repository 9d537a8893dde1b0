/* `lkc demo`: the README's main job. Starts a local server when LIVEKIT_URL is unset,
 * joins a room, prints what the room looks like and leaves. (The two-participant
 * audio demo grows from here.) */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cmd_demo(int argc, char **argv)
{
    cli_server_t srv = {0};
    const char *url = getenv("LIVEKIT_URL");
    if (!url || !*url) {
        if (cli_server_start(&srv, false) != 0)
            return 1;
        url = srv.url;
        setenv("LIVEKIT_API_KEY", "devkey", 1);
        setenv("LIVEKIT_API_SECRET", "secret", 1);
    }
    char *args[] = {"join", "--url", (char *)url, "--room", "lkc-demo", "--identity", "lkc-demo-1",
                    "--name", "lkc demo", "--duration", "1", NULL};
    int rc = cmd_join(11, args);
    cli_server_stop(&srv);
    return rc;
}
