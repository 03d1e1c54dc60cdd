#!/usr/bin/env python3
"""An external client of the node's gRPC API, written only against the .proto file.

It generates its stubs with grpc_tools.protoc (Debian: python3-grpc-tools), then, against a running node:
refuses to work without a token, creates a VM that boots a kernel directly, starts it, reads its status,
waits for the STARTED event on the event stream, force-stops it and deletes it. It also checks that a bad
spec is answered INVALID_ARGUMENT naming the field. Exit status 0 means every step did what the API says.

Usage: lifecycle_client.py --address 127.0.0.1:9460 --token-file data/rpc-token --proto-root src/main/proto
                           --kernel /var/lib/limiquantix/test-guest/vmlinuz
                           --initrd /var/lib/limiquantix/test-guest/initramfs.gz
"""
import argparse
import importlib
import os
import queue
import sys
import tempfile
import threading
import uuid

import grpc
from grpc_tools import protoc

PROTO = "limiquantix/node/v1/node_daemon.proto"


def generate_stubs(proto_root, out_dir):
    # grpc_tools ships the well-known types (timestamp, wrappers); pass their folder as an include path.
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = ["protoc", "-I" + proto_root, "--python_out=" + out_dir, "--grpc_python_out=" + out_dir, PROTO]
    if os.path.isdir(well_known):
        args.insert(2, "-I" + well_known)
    if protoc.main(args) != 0:
        raise SystemExit("protoc could not compile " + PROTO)
    sys.path.insert(0, out_dir)
    pb = importlib.import_module("limiquantix.node.v1.node_daemon_pb2")
    rpc = importlib.import_module("limiquantix.node.v1.node_daemon_pb2_grpc")
    return pb, rpc


def step(message):
    print("[client] " + message, flush=True)


def expect_code(call, code, what):
    try:
        call()
    except grpc.RpcError as e:
        if e.code() != code:
            raise AssertionError("%s: expected %s, got %s: %s" % (what, code, e.code(), e.details()))
        return e
    raise AssertionError("%s: expected %s, but the call succeeded" % (what, code))


def trailer(error, key):
    for k, v in error.trailing_metadata() or ():
        if k == key:
            return v
    return None


class EventWatcher:
    """Reads WatchEvents on a thread; `subscribed` is set once the node has announced the subscription."""

    def __init__(self, stub, pb, metadata):
        self.events = queue.Queue()
        self.subscribed = threading.Event()
        self.call = stub.WatchEvents(pb.WatchEventsRequest(), metadata=metadata)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for item in self.call:
                if item.HasField("subscribed"):
                    self.subscribed.set()
                elif item.HasField("event"):
                    self.events.put(item.event)
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.CANCELLED:
                self.events.put(e)

    def wait_for(self, vm_id, event_type, timeout):
        while True:
            item = self.events.get(timeout=timeout)
            if isinstance(item, grpc.RpcError):
                raise AssertionError("event stream failed: %s %s" % (item.code(), item.details()))
            if item.vm_id == vm_id and item.type == event_type:
                return item

    def close(self):
        self.call.cancel()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--proto-root", required=True)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--initrd", required=True)
    parser.add_argument("--memory-mib", type=int, default=128)
    parser.add_argument("--event-timeout", type=float, default=60)
    args = parser.parse_args()

    with open(args.token_file) as f:
        token = f.read().strip()
    with tempfile.TemporaryDirectory() as out_dir:
        pb, rpc = generate_stubs(args.proto_root, out_dir)
        channel = grpc.insecure_channel(args.address)
        stub = rpc.NodeDaemonServiceStub(channel)
        auth = (("authorization", "Bearer " + token),)

        step("a call without the token is refused")
        expect_code(lambda: stub.GetHealth(pb.GetHealthRequest(), timeout=30), grpc.StatusCode.UNAUTHENTICATED, "no token")
        expect_code(lambda: stub.GetHealth(pb.GetHealthRequest(), metadata=(("authorization", "Bearer nope"),), timeout=30),
                    grpc.StatusCode.UNAUTHENTICATED, "wrong token")

        health = stub.GetHealth(pb.GetHealthRequest(), metadata=auth, timeout=30)
        step("health: serving=%s usable backends=%d" % (health.serving, health.usable_backends))
        info = stub.GetNodeInfo(pb.GetNodeInfoRequest(), metadata=auth, timeout=30)
        for b in info.backends:
            step("backend %s (%s): capable=%s accelerator=%s" % (b.name, b.type, b.capabilities.capable,
                 pb.Accelerator.Name(b.capabilities.accelerator)))

        step("a bad spec is INVALID_ARGUMENT naming the field")
        bad = pb.VmSpec(name="bad", cpu=pb.CpuSpec(vcpus=0), memory=pb.MemorySpec(size_mib=128))
        error = expect_code(lambda: stub.CreateVM(pb.CreateVMRequest(spec=bad), metadata=auth, timeout=30),
                            grpc.StatusCode.INVALID_ARGUMENT, "vcpus 0")
        if trailer(error, "lq-field") != "spec.cpu.vcpus":
            raise AssertionError("lq-field trailer: %r (details %s)" % (trailer(error, "lq-field"), error.details()))

        watcher = EventWatcher(stub, pb, auth)
        if not watcher.subscribed.wait(30):
            raise AssertionError("WatchEvents never announced its subscription")

        name = "lq-py-" + uuid.uuid4().hex[:8]
        spec = pb.VmSpec(
            name=name,
            cpu=pb.CpuSpec(vcpus=1),
            memory=pb.MemorySpec(size_mib=args.memory_mib),
            boot=pb.BootSource(kind=pb.BootSource.KIND_KERNEL, kernel=args.kernel, initrd=args.initrd,
                               cmdline="console=ttyS0 panic=-1"))
        spec.serial_console.value = True
        decision = stub.PlaceVM(pb.PlaceVMRequest(spec=spec), metadata=auth, timeout=60)
        step("placement dry run: %s (%s)" % (decision.chosen or "nowhere", decision.reason))

        vm = stub.CreateVM(pb.CreateVMRequest(spec=spec), metadata=auth, timeout=120)
        step("created %s (%s) on %s, state %s" % (vm.name, vm.id, vm.backend, pb.VmState.Name(vm.state)))
        ref = pb.VmRequest(vm=vm.id)
        try:
            if vm.state != pb.VM_STATE_STOPPED:
                raise AssertionError("a new VM must be stopped, was " + pb.VmState.Name(vm.state))
            stub.StartVM(ref, metadata=auth, timeout=120)
            status = stub.GetVM(ref, metadata=auth, timeout=30)
            step("status after start: " + pb.VmState.Name(status.state))
            if status.state != pb.VM_STATE_RUNNING:
                raise AssertionError("expected RUNNING after StartVM, got " + pb.VmState.Name(status.state))
            event = watcher.wait_for(vm.id, pb.VmEvent.TYPE_STARTED, args.event_timeout)
            step("event: %s for %s from backend %s" % (pb.VmEvent.Type.Name(event.type), event.vm_name, event.backend))
            console = stub.GetConsole(ref, metadata=auth, timeout=30)
            step("serial log: " + (console.serial_log or "(none)"))
            expect_code(lambda: stub.DeleteVM(ref, metadata=auth, timeout=60), grpc.StatusCode.FAILED_PRECONDITION,
                        "deleting a running VM")
            stub.ForceStopVM(ref, metadata=auth, timeout=120)
            status = stub.GetVM(ref, metadata=auth, timeout=30)
            if status.state != pb.VM_STATE_STOPPED:
                raise AssertionError("expected STOPPED after ForceStopVM, got " + pb.VmState.Name(status.state))
            step("force-stopped")
        finally:
            try:
                current = stub.GetVM(ref, metadata=auth, timeout=30)
                if current.state in (pb.VM_STATE_RUNNING, pb.VM_STATE_PAUSED):
                    stub.ForceStopVM(ref, metadata=auth, timeout=120)
                stub.DeleteVM(ref, metadata=auth, timeout=120)
                step("deleted")
            except grpc.RpcError as e:
                step("cleanup: %s %s" % (e.code(), e.details()))
                raise
            watcher.close()
        expect_code(lambda: stub.GetVM(ref, metadata=auth, timeout=30), grpc.StatusCode.NOT_FOUND, "a deleted VM")
        channel.close()
    step("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
