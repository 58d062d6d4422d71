#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A small CRI client for the Debian 13 test bed (tests/distro/README.md):
# the calls kubelet makes to start and stop a pod with one container,
# through containerd's CRI (runtime.v1) on its unix socket.  Needs only
# python3-grpcio: the few messages are encoded by hand (protobuf wire
# format), with the field numbers of the runtime.v1 API
# (k8s.io/cri-api, pkg/apis/runtime/v1/api.proto).
#
#   nh-cri.py up --name POD --namespace NS --uid UID --container NAME
#                --image REF --cgroup-parent SLICE [--annotation K=V]...
#                [--container-annotation K=V]... [--cdi-device KIND=NAME]...
#                [--runtime-handler NAME] [--mount HOST:CONTAINER]...
#                [--log-dir DIR] [--cpuset-cpus CPUS] [--cpuset-mems NODES]
#                -- COMMAND ARG...
#       RunPodSandbox (in the runtime handler NAME if given), CreateContainer
#       (with the sandbox's config; --annotation goes on the pod sandbox,
#       --container-annotation on the container's config, --cdi-device into
#       its CDI_devices field, which kubelet fills from DRA claims),
#       StartContainer; prints "sandbox=ID" and "container=ID" as each is
#       known.  A failed call prints "error: CALL CODE: DETAILS" (DETAILS is
#       the gRPC status message the client received) and exits 1.
#   nh-cri.py update CONTAINER [--cpuset-cpus CPUS] [--cpuset-mems NODES]
#       UpdateContainerResources with only the given fields set (containerd
#       keeps the others); prints "updated" or "error: ..." as above.
#   nh-cri.py status CONTAINER
#       ContainerStatus: prints "state=N cpuset_cpus=... cpuset_mems=..."
#       (the resources containerd records for the container).
#   nh-cri.py down SANDBOX [CONTAINER]
#       StopContainer (timeout 0), RemoveContainer, StopPodSandbox,
#       RemovePodSandbox; errors are printed, all four are tried.
import argparse
import sys

import grpc

SOCKET = "unix:///run/containerd/containerd.sock"
SERVICE = "/runtime.v1.RuntimeService/"
NODE = 2  # NamespaceMode.NODE: the host's network namespace (no CNI here)


# --- protobuf wire format: varints and length-delimited fields
def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(num, n):
    return varint(num << 3) + varint(n) if n else b""


def f_bytes(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


def f_str(num, s):
    return f_bytes(num, s) if s else b""


def f_map(num, d):
    # map<string, string>: repeated entries {key = 1; value = 2}
    return b"".join(f_bytes(num, f_bytes(1, k) + f_bytes(2, v)) for k, v in sorted(d.items()))


def parse(data):
    """Fields of a message: {number: [values]} (varints as int, rest bytes)."""
    fields, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(data, i)
        elif wt == 2:
            n, i = read_varint(data, i)
            v, i = data[i:i + n], i + n
        elif wt == 1:
            v, i = data[i:i + 8], i + 8
        elif wt == 5:
            v, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        fields.setdefault(num, []).append(v)
    return fields


def read_varint(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


# --- the messages (runtime.v1 field numbers)
def namespace_option_node():
    return f_varint(1, NODE)  # NamespaceOption.network


def pod_sandbox_config(a):
    metadata = f_str(1, a.name) + f_str(2, a.uid) + f_str(3, a.namespace)  # PodSandboxMetadata
    security = f_bytes(1, namespace_option_node())  # LinuxSandboxSecurityContext.namespace_options
    linux = f_str(1, a.cgroup_parent) + f_bytes(2, security)  # LinuxPodSandboxConfig
    labels = {"io.kubernetes.pod.name": a.name, "io.kubernetes.pod.namespace": a.namespace,
              "io.kubernetes.pod.uid": a.uid}
    # No hostname (field 2): a pod in the host's network namespace has the host's.
    return (f_bytes(1, metadata) + f_str(3, a.log_dir)
            + f_map(6, labels) + f_map(7, a.annotations) + f_bytes(8, linux))


def linux_resources(cpus, mems):
    # LinuxContainerResources: cpuset_cpus = 6, cpuset_mems = 7
    return f_str(6, cpus) + f_str(7, mems)


def container_config(a):
    metadata = f_str(1, a.container)  # ContainerMetadata
    image = f_str(1, a.image)  # ImageSpec
    mounts = b""
    for m in a.mount:
        host, ctr = m.split(":", 1)
        mounts += f_bytes(7, f_str(1, ctr) + f_str(2, host))  # Mount
    security = f_bytes(3, namespace_option_node())  # LinuxContainerSecurityContext
    resources = linux_resources(a.cpuset_cpus, a.cpuset_mems)
    linux = (f_bytes(1, resources) if resources else b"") + f_bytes(2, security)  # LinuxContainerConfig
    labels = {"io.kubernetes.container.name": a.container}
    cmd = a.command[:1]
    args = a.command[1:]
    # ContainerConfig.CDI_devices = 17: repeated CDIDevice {string name = 1}
    cdi = b"".join(f_bytes(17, f_str(1, d)) for d in a.cdi_device)
    return (f_bytes(1, metadata) + f_bytes(2, image)
            + b"".join(f_bytes(3, c) for c in cmd) + b"".join(f_bytes(4, c) for c in args)
            + mounts + f_map(9, labels) + f_map(10, a.container_annotations)
            + f_str(11, a.container + "/0.log" if a.log_dir else "")
            + f_bytes(15, linux) + cdi)


class Client:
    def __init__(self, timeout):
        self.channel = grpc.insecure_channel(SOCKET)
        self.timeout = timeout

    def call(self, method, request):
        fn = self.channel.unary_unary(SERVICE + method, request_serializer=None,
                                      response_deserializer=None)
        return parse(fn(request, timeout=self.timeout))


def fail(call, err):
    code = err.code().name if hasattr(err, "code") else "?"
    details = err.details() if hasattr(err, "details") else str(err)
    print("error: %s %s: %s" % (call, code, details), flush=True)
    sys.exit(1)


def up(a):
    c = Client(a.timeout)
    sandbox_config = pod_sandbox_config(a)
    try:
        # RunPodSandboxRequest: config = 1, runtime_handler = 2
        r = c.call("RunPodSandbox", f_bytes(1, sandbox_config) + f_str(2, a.runtime_handler))
    except grpc.RpcError as e:
        fail("RunPodSandbox", e)
    sandbox = r[1][0].decode()
    print("sandbox=%s" % sandbox, flush=True)
    req = f_str(1, sandbox) + f_bytes(2, container_config(a)) + f_bytes(3, sandbox_config)
    try:
        r = c.call("CreateContainer", req)
    except grpc.RpcError as e:
        fail("CreateContainer", e)
    container = r[1][0].decode()
    print("container=%s" % container, flush=True)
    try:
        c.call("StartContainer", f_str(1, container))
    except grpc.RpcError as e:
        fail("StartContainer", e)
    print("started", flush=True)


def update(a):
    c = Client(a.timeout)
    # UpdateContainerResourcesRequest: container_id = 1, linux = 2
    req = f_str(1, a.container) + f_bytes(2, linux_resources(a.cpuset_cpus, a.cpuset_mems))
    try:
        c.call("UpdateContainerResources", req)
    except grpc.RpcError as e:
        fail("UpdateContainerResources", e)
    print("updated", flush=True)


def status(a):
    c = Client(a.timeout)
    try:
        r = c.call("ContainerStatus", f_str(1, a.container))  # ContainerStatusRequest.container_id
    except grpc.RpcError as e:
        fail("ContainerStatus", e)
    # ContainerStatusResponse.status = 1: ContainerStatus{state = 3,
    # resources = 16: ContainerResources{linux = 1: LinuxContainerResources}}
    st = parse(r.get(1, [b""])[0])
    res = parse(st.get(16, [b""])[0])
    linux = parse(res.get(1, [b""])[0])
    text = lambda n: linux.get(n, [b""])[-1].decode()
    print("state=%d cpuset_cpus=%s cpuset_mems=%s" % (st.get(3, [0])[0], text(6), text(7)), flush=True)


def down(a):
    c = Client(a.timeout)
    rc = 0
    calls = []
    if a.container:
        calls += [("StopContainer", f_str(1, a.container)), ("RemoveContainer", f_str(1, a.container))]
    calls += [("StopPodSandbox", f_str(1, a.sandbox)), ("RemovePodSandbox", f_str(1, a.sandbox))]
    for name, req in calls:
        try:
            c.call(name, req)
        except grpc.RpcError as e:
            print("error: %s %s: %s" % (name, e.code().name, e.details()), flush=True)
            rc = 1
    sys.exit(rc)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=120)
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up")
    u.add_argument("--name", required=True)
    u.add_argument("--namespace", default="default")
    u.add_argument("--uid", required=True)
    u.add_argument("--container", required=True)
    u.add_argument("--image", required=True)
    u.add_argument("--cgroup-parent", required=True)
    u.add_argument("--annotation", action="append", default=[])
    u.add_argument("--container-annotation", action="append", default=[])
    u.add_argument("--cdi-device", action="append", default=[])
    u.add_argument("--runtime-handler", default="")
    u.add_argument("--mount", action="append", default=[])
    u.add_argument("--log-dir", default="")
    u.add_argument("--cpuset-cpus", default="")
    u.add_argument("--cpuset-mems", default="")
    u.add_argument("command", nargs="+")
    up_ = sub.add_parser("update")
    up_.add_argument("container")
    up_.add_argument("--cpuset-cpus", default="")
    up_.add_argument("--cpuset-mems", default="")
    s_ = sub.add_parser("status")
    s_.add_argument("container")
    d = sub.add_parser("down")
    d.add_argument("sandbox")
    d.add_argument("container", nargs="?")
    a = p.parse_args()
    if a.cmd == "up":
        for kv in a.annotation + a.container_annotation:
            if "=" not in kv:
                p.error("annotation %r is not KEY=VALUE" % kv)
        a.annotations = dict(kv.split("=", 1) for kv in a.annotation)
        a.container_annotations = dict(kv.split("=", 1) for kv in a.container_annotation)
        up(a)
    elif a.cmd == "update":
        if not a.cpuset_cpus and not a.cpuset_mems:
            p.error("update: give --cpuset-cpus or --cpuset-mems")
        update(a)
    elif a.cmd == "status":
        status(a)
    else:
        down(a)


if __name__ == "__main__":
    main()
