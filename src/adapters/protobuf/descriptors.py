"""Message classes from descriptors declared in code, each file in a pool of its own.

A private pool keeps our declarations from clashing with the same names registered elsewhere
(googleapis-common-protos' `google.rpc.Status`, say) in the default pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

FieldType = descriptor_pb2.FieldDescriptorProto.Type
Label = descriptor_pb2.FieldDescriptorProto.Label


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    number: int
    type: int  # a FieldType value
    repeated: bool = False
    message: str | None = None  # the full name, with a leading dot: ".google.protobuf.Timestamp"


def build_messages(
    *,
    file_name: str,
    package: str,
    messages: dict[str, list[Field]],
    dependencies: tuple[Any, ...] = (),
) -> dict[str, type[Message]]:
    """Declare `messages` (name → fields) in `package`; `dependencies` are FileDescriptors they use."""
    pool = descriptor_pool.DescriptorPool()
    for dependency in dependencies:
        pool.AddSerializedFile(dependency.serialized_pb)
    file = descriptor_pb2.FileDescriptorProto(
        name=file_name, package=package, syntax="proto3", dependency=[d.name for d in dependencies]
    )
    for name, fields in messages.items():
        message = file.message_type.add(name=name)
        for field in fields:
            declared = message.field.add(
                name=field.name,
                number=field.number,
                type=field.type,
                label=Label.LABEL_REPEATED if field.repeated else Label.LABEL_OPTIONAL,
                json_name=field.name,
            )
            if field.message is not None:  # set only for message fields: an empty name is still "set"
                declared.type_name = field.message
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}")) for name in messages}
