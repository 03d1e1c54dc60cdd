package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client (src/test/python, stubs generated from our .proto by Debian's grpc_tools) against the real
 * Netty server over the test double: a client nobody here wrote speaks the API, token and event stream
 * included. RealGuestPythonIT runs the same script against the real node and a real guest.
 */
class PythonClientTest {
    @TempDir Path dir;

    @Test
    void theDebianPythonClientDrivesAVmThroughTheApi() throws Exception {
        PythonClient.require();
        InMemoryTestNodeService node = new InMemoryTestNodeService();
        Path tokenFile = dir.resolve("rpc-token");
        String token = TokenFile.loadOrCreate(tokenFile);
        try (RpcServer server = RpcServer.start(
                new RpcConfig(InetAddress.getLoopbackAddress(), 0, tokenFile, null, null, null, RpcConfig.DEFAULT_MAX_MESSAGE_BYTES),
                RpcServer.service(() -> node, token))) {
            PythonClient.Result r = PythonClient.lifecycle(server.port(), tokenFile,
                Path.of("/var/lib/limiquantix/test-guest/vmlinuz"), Path.of("/var/lib/limiquantix/test-guest/initramfs.gz"), 10, 180);
            assertEquals(0, r.exit(), "the Python client failed:\n" + r.out());
            assertTrue(r.out().contains("[client] OK"), r.out());
        }
        assertTrue(node.vms.isEmpty(), "the client deletes what it created");
        assertTrue(node.calls.containsAll(List.of("createVm", "startVm", "forceStopVm", "deleteVm", "subscribe", "place")),
            node.calls.toString());
        assertTrue(node.subscribers.isEmpty(), "the client's event stream was closed on the node");
    }
}
