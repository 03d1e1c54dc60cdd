package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.ManagedChannel;
import io.limiquantix.node.rpc.v1.Backend;
import io.limiquantix.node.rpc.v1.GetNodeInfoRequest;
import io.limiquantix.node.rpc.v1.ListVMsRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The external client against the real node: Felix with the api, core, libvirt and rpc bundles, a libvirt
 * backend on qemu:///system configured through ConfigAdmin, and the Python client (Debian's grpcio, stubs
 * generated from our .proto) creating, starting, watching, force-stopping and deleting a TCG guest that boots
 * the test kernel. Skips loudly without libvirtd, the test guest or python3-grpcio, unless LQ_REQUIRE_REAL=1.
 */
class RealGuestPythonIT {
    static final String GUEST_DIR = System.getenv().getOrDefault("LQ_GUEST_DIR", "/var/lib/limiquantix/test-guest");

    @TempDir Path storage;

    private static void require(boolean present, String what) {
        if (present) return;
        String msg = "REAL PART MISSING: " + what + " (./run/test installs and starts it)";
        System.err.println("*** " + msg);
        if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(msg);
        Assumptions.assumeTrue(false, msg);
    }

    @Test
    void thePythonClientBootsAndRemovesARealGuest() throws Exception {
        PythonClient.require();
        require(PythonClient.run(List.of("virsh", "-c", "qemu:///system", "version"), 60).exit() == 0,
            "a libvirtd answering on qemu:///system");
        Path kernel = Path.of(GUEST_DIR, "vmlinuz");
        Path initrd = Path.of(GUEST_DIR, "initramfs.gz");
        require(Files.isRegularFile(kernel) && Files.isRegularFile(initrd), "the test guest in " + GUEST_DIR);

        int port = FelixNode.freePort();
        Path data = storage.resolve("data");
        try (FelixNode felix = new FelixNode(storage, "lq.realnode.bundles", Map.of(
                "limiquantix.data", data.toString(),
                "limiquantix.rpc.port", Integer.toString(port),
                "limiquantix.libvirt.defaults", "false",
                "limiquantix.storage.roots", "/var/lib/limiquantix"))) {
            felix.configure("io.limiquantix.node.libvirt", true,
                Map.of("name", "rpc-qemu", "uri", "qemu:///system", "ranking", 100, "accel", "auto"));
            FelixNode.eventually(30, () -> FelixNode.listening(port), "the API to listen");
            String token = Files.readString(data.resolve("rpc-token")).strip();
            ManagedChannel channel = FelixNode.channel(port);
            try {
                FelixNode.eventually(120, () -> capable(channel, token), "backend rpc-qemu to become capable and healthy");

                PythonClient.Result r = PythonClient.lifecycle(port, data.resolve("rpc-token"), kernel, initrd, 120, 480);
                assertEquals(0, r.exit(), "the Python client failed:\n" + r.out());
                assertTrue(r.out().contains("on rpc-qemu"), "placed on the configured backend:\n" + r.out());
                assertTrue(FelixNode.stub(channel, token).listVMs(ListVMsRequest.getDefaultInstance()).getVmsList().stream()
                    .noneMatch(vm -> vm.getName().startsWith("lq-py-")), "the client's VM is gone from the node");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static boolean capable(ManagedChannel channel, String token) {
        for (Backend b : FelixNode.stub(channel, token).getNodeInfo(GetNodeInfoRequest.getDefaultInstance()).getBackendsList())
            if (b.getName().equals("rpc-qemu") && b.getCapabilities().getCapable()
                && b.getHealth().getStatus() == io.limiquantix.node.rpc.v1.BackendHealth.Status.STATUS_HEALTHY) return true;
        return false;
    }
}
