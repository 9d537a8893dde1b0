/* `lkc join`: --set-attribute and --set-metadata, applied right after the join. */
#include <stdio.h>

#include "cli.h"
#include "join.h"
#include "output.h"

void join_apply_local(join_session_t *s)
{
    const join_opts_t *o = s->o;
    if (o->n_attributes) {
        lkc_err_t err = lkc_room_set_attributes(s->room, o->attributes, o->n_attributes);
        if (err != LKC_OK)
            cli_event_error(err, "cannot set attributes: %s%s", lkc_err_str(err),
                            err == LKC_ERR_DENIED ? " (the token lacks canUpdateOwnMetadata)" : "");
        else {
            out_begin("attributes_set");
            out_map("attributes", o->attributes, o->n_attributes);
            out_end();
        }
    }
    if (o->metadata) {
        lkc_err_t err = lkc_room_set_metadata(s->room, o->metadata);
        if (err != LKC_OK)
            cli_event_error(err, "cannot set metadata: %s%s", lkc_err_str(err),
                            err == LKC_ERR_DENIED ? " (the token lacks canUpdateOwnMetadata)" : "");
        else {
            out_begin("metadata_set");
            out_str("metadata", o->metadata);
            out_end();
        }
    }
}
