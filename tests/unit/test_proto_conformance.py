"""Every message, field and enum value of lkc's .proto subset (src/proto) matches the
official LiveKit descriptors shipped in the PyPI package livekit-protocol: same full
name, field number, type, label (repeated or not), oneof membership, and enum numbers.

proto3 `optional` fields upstream (synthetic oneofs named _<field>) are plain fields in
lkc's subset; that is the one allowed difference (same wire format)."""
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool
from livekit.protocol import models, rtc  # noqa: F401  (registers the official descriptors)

TOP = os.environ.get("LKC_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PROTO_DIR = os.path.join(TOP, "src", "proto")

TYPE_NAMES = {v: k for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()}


def our_descriptors() -> descriptor_pb2.FileDescriptorSet:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "set.pb")
        protos = sorted(f for f in os.listdir(PROTO_DIR) if f.endswith(".proto"))
        subprocess.run(["protoc-c", f"--descriptor_set_out={out}", "--include_imports",
                        f"-I{PROTO_DIR}"] + protos, check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
        return fds


def walk_messages(prefix, messages):
    for m in messages:
        name = f"{prefix}.{m.name}"
        yield name, m
        yield from walk_messages(name, m.nested_type)


def walk_enums(prefix, fdp_messages, enums):
    for e in enums:
        yield f"{prefix}.{e.name}", e
    for m in fdp_messages:
        yield from walk_enums(f"{prefix}.{m.name}", m.nested_type, m.enum_type)


def main() -> int:
    official = descriptor_pool.Default()
    problems = []
    checked_fields = 0
    for fdp in our_descriptors().file:
        pkg = fdp.package
        for name, m in walk_messages(pkg, fdp.message_type):
            if m.options.map_entry:
                continue
            try:
                om = official.FindMessageTypeByName(name)
            except KeyError:
                problems.append(f"message {name}: not in the official protocol")
                continue
            for f in m.field:
                of = om.fields_by_name.get(f.name)
                if of is None:
                    problems.append(f"{name}.{f.name}: no such field upstream")
                    continue
                checked_fields += 1
                if of.number != f.number:
                    problems.append(f"{name}.{f.name}: number {f.number}, upstream {of.number}")
                if of.type != f.type:
                    problems.append(f"{name}.{f.name}: type {TYPE_NAMES[f.type]}, "
                                    f"upstream {TYPE_NAMES[of.type]}")
                ours_rep = f.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
                if of.is_repeated != ours_rep:
                    problems.append(f"{name}.{f.name}: repeated={ours_rep}, upstream {of.is_repeated}")
                if f.type_name:
                    want = of.message_type.full_name if of.message_type else of.enum_type.full_name
                    if f.type_name.lstrip(".") != want:
                        problems.append(f"{name}.{f.name}: type {f.type_name}, upstream {want}")
                ours_oneof = m.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None
                theirs = of.containing_oneof.name if of.containing_oneof else None
                if theirs and theirs.startswith("_") and theirs == "_" + f.name:
                    theirs = None  # proto3 optional upstream, plain here
                if ours_oneof != theirs:
                    problems.append(f"{name}.{f.name}: oneof {ours_oneof}, upstream {theirs}")
        for name, e in walk_enums(pkg, fdp.message_type, fdp.enum_type):
            try:
                oe = official.FindEnumTypeByName(name)
            except KeyError:
                problems.append(f"enum {name}: not in the official protocol")
                continue
            for v in e.value:
                ov = oe.values_by_name.get(v.name)
                if ov is None:
                    problems.append(f"{name}.{v.name}: no such value upstream")
                elif ov.number != v.number:
                    problems.append(f"{name}.{v.name}: {v.number}, upstream {ov.number}")
    if problems:
        print("proto subset does not match livekit-protocol:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"ok: {checked_fields} fields match the official descriptors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
