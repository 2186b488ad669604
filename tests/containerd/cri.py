#!/usr/bin/python3
"""A small CRI client for the tests: drives containerd's CRI plugin
(runtime.v1.RuntimeService and ImageService) over its gRPC socket the way a
kubelet does, where no crictl is packaged (Debian 12).

    cri.py -s SOCKET METHOD [JSON]

sends one request (JSON in the proto's field names, enum values by name) and
prints the answer as one JSON object. A failed call prints one line,
`cri: METHOD: CODE: DETAILS`, to stderr and exits 1.

The messages are those of k8s.io/cri-api pkg/apis/runtime/v1/api.proto, only
the ones and only the fields the tests use (a field we do not declare is
skipped on decode, so an answer with more fields still reads). They are built
at run time from a FileDescriptorProto: no protoc, no generated code, nothing
fetched. The interpreter is Debian's (/usr/bin/python3), whose
python3-grpcio and python3-protobuf packages this needs.
"""
import argparse
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, json_format
from google.protobuf import message_factory

PACKAGE = "runtime.v1"
F = descriptor_pb2.FieldDescriptorProto

# Field kinds: a scalar type, "map" (map<string,string>), or a message or
# enum name of this file.
SCALARS = {
    "string": F.TYPE_STRING, "bool": F.TYPE_BOOL, "bytes": F.TYPE_BYTES,
    "int32": F.TYPE_INT32, "int64": F.TYPE_INT64,
    "uint32": F.TYPE_UINT32, "uint64": F.TYPE_UINT64,
}

ENUMS = {
    "NamespaceMode": ["POD", "CONTAINER", "NODE", "TARGET"],
    "PodSandboxState": ["SANDBOX_READY", "SANDBOX_NOTREADY"],
    "ContainerState": ["CONTAINER_CREATED", "CONTAINER_RUNNING",
                       "CONTAINER_EXITED", "CONTAINER_UNKNOWN"],
}

# message: [(field name, number, kind, repeated)], numbers as in api.proto.
MESSAGES = {
    "VersionRequest": [("version", 1, "string")],
    "VersionResponse": [("version", 1, "string"), ("runtime_name", 2, "string"),
                        ("runtime_version", 3, "string"),
                        ("runtime_api_version", 4, "string")],
    "NamespaceOption": [("network", 1, "NamespaceMode"), ("pid", 2, "NamespaceMode"),
                        ("ipc", 3, "NamespaceMode")],
    "LinuxSandboxSecurityContext": [("namespace_options", 1, "NamespaceOption")],
    "LinuxPodSandboxConfig": [("cgroup_parent", 1, "string"),
                              ("security_context", 2, "LinuxSandboxSecurityContext")],
    "PodSandboxMetadata": [("name", 1, "string"), ("uid", 2, "string"),
                           ("namespace", 3, "string"), ("attempt", 4, "uint32")],
    "PodSandboxConfig": [("metadata", 1, "PodSandboxMetadata"), ("hostname", 2, "string"),
                         ("log_directory", 3, "string"), ("labels", 6, "map"),
                         ("annotations", 7, "map"), ("linux", 8, "LinuxPodSandboxConfig")],
    "RunPodSandboxRequest": [("config", 1, "PodSandboxConfig"),
                             ("runtime_handler", 2, "string")],
    "RunPodSandboxResponse": [("pod_sandbox_id", 1, "string")],
    "StopPodSandboxRequest": [("pod_sandbox_id", 1, "string")],
    "StopPodSandboxResponse": [],
    "RemovePodSandboxRequest": [("pod_sandbox_id", 1, "string")],
    "RemovePodSandboxResponse": [],
    "PodSandboxStatusRequest": [("pod_sandbox_id", 1, "string"), ("verbose", 2, "bool")],
    "PodSandboxStatus": [("id", 1, "string"), ("metadata", 2, "PodSandboxMetadata"),
                         ("state", 3, "PodSandboxState"), ("created_at", 4, "int64"),
                         ("annotations", 8, "map"), ("runtime_handler", 9, "string")],
    "PodSandboxStatusResponse": [("status", 1, "PodSandboxStatus"), ("info", 2, "map")],
    "ListPodSandboxRequest": [],
    "PodSandbox": [("id", 1, "string"), ("metadata", 2, "PodSandboxMetadata"),
                   ("state", 3, "PodSandboxState"), ("created_at", 4, "int64"),
                   ("runtime_handler", 7, "string")],
    "ListPodSandboxResponse": [("items", 1, "PodSandbox", True)],
    "ImageSpec": [("image", 1, "string")],
    "KeyValue": [("key", 1, "string"), ("value", 2, "string")],
    "ContainerMetadata": [("name", 1, "string"), ("attempt", 2, "uint32")],
    "LinuxContainerSecurityContext": [("namespace_options", 3, "NamespaceOption")],
    "LinuxContainerConfig": [("security_context", 2, "LinuxContainerSecurityContext")],
    "ContainerConfig": [("metadata", 1, "ContainerMetadata"), ("image", 2, "ImageSpec"),
                        ("command", 3, "string", True), ("args", 4, "string", True),
                        ("working_dir", 5, "string"), ("envs", 6, "KeyValue", True),
                        ("labels", 9, "map"), ("annotations", 10, "map"),
                        ("log_path", 11, "string"), ("linux", 15, "LinuxContainerConfig")],
    "CreateContainerRequest": [("pod_sandbox_id", 1, "string"),
                               ("config", 2, "ContainerConfig"),
                               ("sandbox_config", 3, "PodSandboxConfig")],
    "CreateContainerResponse": [("container_id", 1, "string")],
    "StartContainerRequest": [("container_id", 1, "string")],
    "StartContainerResponse": [],
    "StopContainerRequest": [("container_id", 1, "string"), ("timeout", 2, "int64")],
    "StopContainerResponse": [],
    "RemoveContainerRequest": [("container_id", 1, "string")],
    "RemoveContainerResponse": [],
    "ContainerStatusRequest": [("container_id", 1, "string"), ("verbose", 2, "bool")],
    "ContainerStatus": [("id", 1, "string"), ("metadata", 2, "ContainerMetadata"),
                        ("state", 3, "ContainerState"), ("created_at", 4, "int64"),
                        ("started_at", 5, "int64"), ("finished_at", 6, "int64"),
                        ("exit_code", 7, "int32"), ("image", 8, "ImageSpec"),
                        ("image_ref", 9, "string"), ("reason", 10, "string"),
                        ("message", 11, "string")],
    "ContainerStatusResponse": [("status", 1, "ContainerStatus"), ("info", 2, "map")],
    "ListContainersRequest": [],
    "Container": [("id", 1, "string"), ("pod_sandbox_id", 2, "string"),
                  ("metadata", 3, "ContainerMetadata"), ("state", 6, "ContainerState")],
    "ListContainersResponse": [("containers", 1, "Container", True)],
    "ExecSyncRequest": [("container_id", 1, "string"), ("cmd", 2, "string", True),
                        ("timeout", 3, "int64")],
    "ExecSyncResponse": [("stdout", 1, "bytes"), ("stderr", 2, "bytes"),
                         ("exit_code", 3, "int32")],
    "ImageStatusRequest": [("image", 1, "ImageSpec")],
    "Image": [("id", 1, "string"), ("repo_tags", 2, "string", True),
              ("repo_digests", 3, "string", True), ("size", 4, "uint64")],
    "ImageStatusResponse": [("image", 1, "Image")],
    "ListImagesRequest": [],
    "ListImagesResponse": [("images", 1, "Image", True)],
}

# method: service. Request and response are METHOD + Request/Response.
METHODS = {m: "RuntimeService" for m in (
    "Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox",
    "PodSandboxStatus", "ListPodSandbox", "CreateContainer", "StartContainer",
    "StopContainer", "RemoveContainer", "ContainerStatus", "ListContainers",
    "ExecSync")}
METHODS.update({m: "ImageService" for m in ("ImageStatus", "ListImages")})


def add_field(msg, name, number, kind, repeated=False):
    f = msg.field.add(name=name, number=number)
    f.label = F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL
    if kind == "map":
        # proto3 map<string,string>: a repeated nested XxxEntry{key=1,value=2}
        # marked map_entry, which is what protoc itself generates.
        entry = msg.nested_type.add(name=name.title().replace("_", "") + "Entry")
        entry.options.map_entry = True
        for n, i in (("key", 1), ("value", 2)):
            entry.field.add(name=n, number=i, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
        f.label = F.LABEL_REPEATED
        f.type = F.TYPE_MESSAGE
        f.type_name = "." + PACKAGE + "." + msg.name + "." + entry.name
    elif kind in SCALARS:
        f.type = SCALARS[kind]
    elif kind in ENUMS:
        f.type = F.TYPE_ENUM
        f.type_name = "." + PACKAGE + "." + kind
    else:
        f.type = F.TYPE_MESSAGE
        f.type_name = "." + PACKAGE + "." + kind


def build_messages():
    fdp = descriptor_pb2.FileDescriptorProto(
        name="zrun-tests/cri-api-subset.proto", package=PACKAGE, syntax="proto3")
    for name, values in ENUMS.items():
        enum = fdp.enum_type.add(name=name)
        for number, value in enumerate(values):
            enum.value.add(name=value, number=number)
    for name, fields in MESSAGES.items():
        msg = fdp.message_type.add(name=name)
        for field in fields:
            add_field(msg, *field)
    # A pool of its own (GetMessages makes one): nothing else is loaded.
    classes = message_factory.GetMessages([fdp])
    return {name: classes[PACKAGE + "." + name] for name in MESSAGES}


def bytes_as_text(msg, out):
    """json_format writes bytes fields as base64: give exec output as text."""
    for field in msg.DESCRIPTOR.fields:
        if field.type == F.TYPE_BYTES and field.name in out:
            out[field.name] = getattr(msg, field.name).decode("utf-8", "replace")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-s", "--socket", required=True, help="containerd's gRPC socket")
    ap.add_argument("-t", "--timeout", type=float, default=60, help="seconds per call")
    ap.add_argument("method", choices=sorted(METHODS))
    ap.add_argument("request", nargs="?", default="{}", help="the request as JSON")
    args = ap.parse_args()

    messages = build_messages()
    request = messages[args.method + "Request"]()
    try:
        json_format.Parse(args.request, request)
    except json_format.ParseError as e:
        print(f"cri: {args.method}: request: {e}".replace("\n", " "), file=sys.stderr)
        return 2
    response_class = messages[args.method + "Response"]
    path = f"/{PACKAGE}.{METHODS[args.method]}/{args.method}"
    with grpc.insecure_channel("unix://" + args.socket) as channel:
        call = channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=response_class.FromString)
        try:
            response = call(request, timeout=args.timeout)
        except grpc.RpcError as e:
            details = (e.details() or "").replace("\n", " ")
            print(f"cri: {args.method}: {e.code().name}: {details}", file=sys.stderr)
            return 1
    # With the defaults: a state of 0 (SANDBOX_READY, CONTAINER_CREATED) and
    # an exit code of 0 are answers too.
    out = json_format.MessageToDict(response, preserving_proto_field_name=True,
                                    including_default_value_fields=True)
    print(json.dumps(bytes_as_text(response, out), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
