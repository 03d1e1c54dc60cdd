package io.limiquantix.node.rpc.internal;

import static io.limiquantix.node.rpc.internal.FelixNode.eventually;
import static io.limiquantix.node.rpc.internal.FelixNode.listening;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.limiquantix.node.rpc.v1.GetHealthRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * The built bundle in a real Felix with only ConfigAdmin, MetaType, Log, Dependency Manager, Jackson and the
 * node's api and core bundles: it resolves, listens on loopback with a fresh 0600 token, answers a gRPC client
 * over TCP, closes its port and threads when stopped, comes back on the same port when restarted, follows its
 * ConfigAdmin configuration and refuses a network address without mutual TLS.
 */
class OsgiSmokeIT {
    @TempDir Path storage;

    @Test
    void bundleLifecycleInFelix() throws Exception {
        int port = FelixNode.freePort();
        try (FelixNode felix = new FelixNode(storage, "lq.bundles", Map.of(
                "limiquantix.data", storage.resolve("data").toString(),
                "limiquantix.rpc.port", Integer.toString(port)))) {
            Bundle rpc = felix.bundle("io.limiquantix.node.rpc");
            Path tokenFile = storage.resolve("data/rpc-token");
            eventually(30, () -> listening(port), "the API to listen on " + port);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
            String token = Files.readString(tokenFile).strip();
            assertTrue(healthy(port, token));
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> healthy(port, "not-the-token-but-long-enough-0000000000"));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());

            rpc.stop();
            assertTrue(!listening(port), "the port is still open after the bundle stopped");
            eventually(30, () -> FelixNode.rpcThreads() == 0, "the server's threads to end");

            rpc.start();
            eventually(30, () -> listening(port), "the API to come back on " + port);
            assertTrue(healthy(port, token), "same port, same token");

            int moved = FelixNode.freePort();
            felix.configure(RpcConfig.PID, false, Map.of("port", moved));
            eventually(30, () -> listening(moved) && !listening(port), "the API to move to " + moved);
            assertTrue(healthy(moved, token));

            felix.configure(RpcConfig.PID, false, Map.of("port", moved, "bind", "0.0.0.0"));
            eventually(30, () -> !listening(moved), "the API to stop listening: 0.0.0.0 without mutual TLS is refused");
        }
        eventually(30, () -> FelixNode.rpcThreads() == 0, "the server's threads to end with the framework");
    }

    private static boolean healthy(int port, String token) throws InterruptedException {
        ManagedChannel channel = FelixNode.channel(port);
        try {
            return FelixNode.stub(channel, token).getHealth(GetHealthRequest.getDefaultInstance()).getServing();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
