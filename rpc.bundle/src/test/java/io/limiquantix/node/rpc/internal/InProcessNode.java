package io.limiquantix.node.rpc.internal;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** The production service definition (authentication included) on an in-process transport, over the test double. */
final class InProcessNode implements AutoCloseable {
    static final String TOKEN = "unit-test-token-0123456789abcdefghijklmnop";

    final InMemoryTestNodeService node = new InMemoryTestNodeService();
    private final Server server;
    private final ManagedChannel channel;

    InProcessNode() throws IOException {
        String name = "lq-rpc-" + UUID.randomUUID();
        server = InProcessServerBuilder.forName(name)
            .maxInboundMessageSize(RpcConfig.DEFAULT_MAX_MESSAGE_BYTES)
            .addService(RpcServer.service(() -> node, TOKEN))
            .build().start();
        channel = InProcessChannelBuilder.forName(name).maxInboundMessageSize(RpcConfig.DEFAULT_MAX_MESSAGE_BYTES).build();
    }

    NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub() {
        return withAuthorization("Bearer " + TOKEN);
    }

    NodeDaemonServiceGrpc.NodeDaemonServiceStub asyncStub() {
        return NodeDaemonServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth("Bearer " + TOKEN)));
    }

    NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub withAuthorization(String value) {
        NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub = NodeDaemonServiceGrpc.newBlockingStub(channel);
        return value == null ? stub : stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth(value)));
    }

    private static Metadata auth(String value) {
        Metadata m = new Metadata();
        m.put(BearerTokenInterceptor.AUTHORIZATION, value);
        return m;
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }
}
