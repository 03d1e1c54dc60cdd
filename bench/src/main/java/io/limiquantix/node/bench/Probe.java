package io.limiquantix.node.bench;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.limiquantix.node.rpc.v1.ListVMsRequest;
import io.limiquantix.node.rpc.v1.ListVMsResponse;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * ListVMs latency against a node that is already running (a {@code run/node}, or the benchmark's own node):
 * {@code java -cp 'bench/target/bench.jar:bench/target/lib/*' io.limiquantix.node.bench.Probe <port> <token file> [calls]}.
 */
public final class Probe {
    private Probe() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) throw new IllegalArgumentException("usage: Probe <port> <token file> [calls]");
        int port = Integer.parseInt(args[0]);
        String token = Files.readString(Path.of(args[1])).strip();
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
            .maxInboundMessageSize(256 * 1024 * 1024).build();
        try {
            Metadata auth = new Metadata();
            auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub = NodeDaemonServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
            ListVMsResponse first = stub.listVMs(ListVMsRequest.getDefaultInstance());
            for (int i = 0; i < 3; i++) stub.listVMs(ListVMsRequest.getDefaultInstance());
            Stats s = new Stats();
            Stats cpu = new Stats();
            for (int i = 0; i < calls; i++) {
                long c0 = Main.cpuNanos();
                long t0 = System.nanoTime();
                stub.listVMs(ListVMsRequest.getDefaultInstance());
                s.add(System.nanoTime() - t0);
                cpu.add(Main.cpuNanos() - c0);
            }
            System.out.printf(Locale.ROOT, "ListVMs of %d VMs (%.1f MiB): p50 %.1f ms, p99 %.1f ms over %d calls (client JVM CPU per call p50 %.1f ms)%n",
                first.getVmsCount(), first.getSerializedSize() / 1048576.0, s.percentileMs(50), s.percentileMs(99), calls,
                cpu.percentileMs(50));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
