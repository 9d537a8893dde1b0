"""peer.py extension: our own name, metadata and attributes, and what others change.

Commands:
  {"cmd":"set_attributes","attributes":{"k":"v",...}}   event "attributes_set" or "error"
  {"cmd":"set_metadata","metadata":"..."}               event "metadata_set"
  {"cmd":"set_name","name":"..."}                       event "name_set"
Events: participant_attributes_changed {identity, changed (dict), attributes (dict)},
participant_metadata_changed {identity, metadata}, participant_name_changed {identity, name},
active_speakers {identities}.
"""
emit = None  # set by peer.py's loader


def setup(peer):
    r = peer.room

    @r.on("participant_attributes_changed")
    def _a(changed, p):
        emit("participant_attributes_changed", identity=p.identity, changed=dict(changed),
             attributes=dict(p.attributes))

    @r.on("participant_metadata_changed")
    def _m(p, old, new):
        emit("participant_metadata_changed", identity=p.identity, metadata=new)

    @r.on("participant_name_changed")
    def _n(p, old, new):
        emit("participant_name_changed", identity=p.identity, name=new)

    @r.on("active_speakers_changed")
    def _s(speakers):
        emit("active_speakers", identities=[p.identity for p in speakers])


async def _set_attributes(peer, c):
    await peer.room.local_participant.set_attributes(c.get("attributes", {}))
    emit("attributes_set")


async def _set_metadata(peer, c):
    await peer.room.local_participant.set_metadata(c.get("metadata", ""))
    emit("metadata_set")


async def _set_name(peer, c):
    await peer.room.local_participant.set_name(c.get("name", ""))
    emit("name_set")


COMMANDS = {"set_attributes": _set_attributes, "set_metadata": _set_metadata, "set_name": _set_name}
