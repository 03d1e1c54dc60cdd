package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.GetHealthRequest;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Netty server on loopback: it answers, refuses oversized messages, and leaves nothing behind. */
class RpcServerTest {
    @TempDir Path dir;

    private static RpcConfig loopback(int port) {
        return new RpcConfig(InetAddress.getLoopbackAddress(), port, null, null, null, null, RpcConfig.DEFAULT_MAX_MESSAGE_BYTES);
    }

    static NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub(ManagedChannel channel, String token) {
        Metadata m = new Metadata();
        m.put(BearerTokenInterceptor.AUTHORIZATION, "Bearer " + token);
        return NodeDaemonServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m))
            .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static long rpcThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith("lq-rpc")).count();
    }

    @Test
    void servesOverTcpAndStopsWithoutLeavingThreadsOrThePort() throws Exception {
        InMemoryTestNodeService node = new InMemoryTestNodeService();
        String token = TokenFile.loadOrCreate(dir.resolve("rpc-token"));
        RpcServer server = RpcServer.start(loopback(0), RpcServer.service(() -> node, token));
        int port = server.port();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
            .maxInboundMessageSize(RpcConfig.DEFAULT_MAX_MESSAGE_BYTES).build();
        try {
            assertTrue(stub(channel, token).getHealth(GetHealthRequest.getDefaultInstance()).getServing());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub(channel, "wrong-token-but-long-enough-000000000")
                .getHealth(GetHealthRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());

            String tooBig = "a".repeat(RpcConfig.DEFAULT_MAX_MESSAGE_BYTES + 1);
            e = assertThrows(StatusRuntimeException.class, () -> stub(channel, token).createVM(CreateVMRequest.newBuilder()
                .setSpec(NodeDaemonEndpointTest.kernelGuest(tooBig)).build()));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
            assertTrue(stub(channel, token).getHealth(GetHealthRequest.getDefaultInstance()).getServing(), "still serving");
            assertTrue(node.vms.isEmpty());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.close();
        }
        assertEquals(0, rpcThreads(), "threads left: " + Thread.getAllStackTraces().keySet());
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
        RpcServer again = RpcServer.start(loopback(port), RpcServer.service(() -> node, token));
        assertEquals(port, again.port());
        again.close();
    }

    @Test
    void theLifecycleCreatesTheTokenFollowsConfigurationAndRefusesNetworkBindsWithoutTls() throws Exception {
        Map<String, String> framework = Map.of("limiquantix.data", dir.toString(), "limiquantix.rpc.port", "0");
        RpcLifecycle lifecycle = new RpcLifecycle(framework::get);
        lifecycle.start();
        try {
            assertTrue(lifecycle.port() > 0);
            Path token = dir.resolve("rpc-token");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(token)));

            Hashtable<String, Object> refused = new Hashtable<>();
            refused.put("bind", "0.0.0.0");
            lifecycle.updated(refused);
            assertEquals(-1, lifecycle.port(), "a network bind without mutual TLS must not listen at all");

            int free;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                free = s.getLocalPort();
            }
            Hashtable<String, Object> moved = new Hashtable<>();
            moved.put("port", free);
            lifecycle.updated(moved);
            assertEquals(free, lifecycle.port());
            lifecycle.updated(moved);
            assertEquals(free, lifecycle.port());
        } finally {
            lifecycle.stop();
        }
        assertEquals(-1, lifecycle.port());
        assertEquals(0, rpcThreads());
    }
    @Test
    void aBackgroundStartListensOffTheCallersThreadAnnouncesItOnceAndAStopRightAfterLeavesNothing() throws Exception {
        Map<String, String> framework = Map.of("limiquantix.data", dir.toString(), "limiquantix.rpc.port", "0");
        java.util.concurrent.atomic.AtomicInteger announced = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger portWhenAnnounced = new java.util.concurrent.atomic.AtomicInteger();
        RpcLifecycle lifecycle = new RpcLifecycle(framework::get);
        lifecycle.startInBackground(() -> {
            portWhenAnnounced.set(lifecycle.port());
            announced.incrementAndGet();
        });
        lifecycle.start();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (announced.get() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(1, announced.get(), "the first start is announced");
        assertTrue(portWhenAnnounced.get() > 0, "announced only once the server listens");
        lifecycle.stop();
        assertEquals(-1, lifecycle.port());
        // started again (NodeService came back): no second announcement; stopped while it may still be binding
        lifecycle.start();
        lifecycle.stop();
        assertEquals(-1, lifecycle.port(), "a stop right after a background start leaves no server");
        assertEquals(1, announced.get());
        assertEquals(0, rpcThreads(), "threads left: " + Thread.getAllStackTraces().keySet());
    }
}
