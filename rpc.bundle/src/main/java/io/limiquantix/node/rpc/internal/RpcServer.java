package io.limiquantix.node.rpc.internal;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsServerCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.limiquantix.node.runtime.NodeService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The listening gRPC server. It owns every thread it uses (event loops and the executor that runs calls)
 * instead of gRPC's process-wide shared pools, so that stopping the bundle leaves no thread and no port
 * behind. Plain NIO transport: a control-plane API gains nothing from epoll, and no native library has to be
 * unpacked from the bundle.
 */
final class RpcServer implements AutoCloseable {
    /** NodeService calls block (a graceful stop waits for the guest); this many run at once, the rest queue. */
    static final int CALL_THREADS = 32;

    private final Server server;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService calls;

    private RpcServer(Server server, EventLoopGroup boss, EventLoopGroup workers, ExecutorService calls) {
        this.server = server;
        this.boss = boss;
        this.workers = workers;
        this.calls = calls;
    }

    /** The service with authentication in front: the one definition both the real and the test servers use. */
    static ServerServiceDefinition service(Supplier<NodeService> node, String token) {
        return ServerInterceptors.intercept(new NodeDaemonEndpoint(node), new BearerTokenInterceptor(token));
    }

    /** The same, issuing console tickets from {@code consoles} (which the console WebSocket proxy redeems). */
    static ServerServiceDefinition service(Supplier<NodeService> node, String token, ConsoleTickets consoles) {
        return ServerInterceptors.intercept(new NodeDaemonEndpoint(node, consoles), new BearerTokenInterceptor(token));
    }

    static RpcServer start(RpcConfig config, ServerServiceDefinition service) throws IOException {
        ServerCredentials credentials = config.mutualTls()
            ? TlsServerCredentials.newBuilder()
                .keyManager(config.tlsCert().toFile(), config.tlsKey().toFile())
                .trustManager(config.tlsClientCa().toFile())
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                .build()
            : InsecureServerCredentials.create();
        EventLoopGroup boss = new NioEventLoopGroup(1, new DefaultThreadFactory("lq-rpc-accept", true));
        EventLoopGroup workers = new NioEventLoopGroup(2, new DefaultThreadFactory("lq-rpc-io", true));
        ThreadPoolExecutor calls = new ThreadPoolExecutor(CALL_THREADS, CALL_THREADS, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), callThreads());
        calls.allowCoreThreadTimeOut(true);
        try {
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress(config.bind(), config.port()), credentials)
                .channelType(NioServerSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .executor(calls)
                .maxInboundMessageSize(config.maxMessageBytes())
                .addService(service)
                .build()
                .start();
            return new RpcServer(server, boss, workers, calls);
        } catch (IOException | RuntimeException e) {
            shutdown(boss, workers, calls);
            throw e;
        }
    }

    private static java.util.concurrent.ThreadFactory callThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "lq-rpc-call-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    int port() {
        return server.getPort();
    }

    /** Refuses new calls, gives running ones a moment, then cancels the rest (streams included) and waits. */
    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        shutdown(boss, workers, calls);
    }

    private static void shutdown(EventLoopGroup boss, EventLoopGroup workers, ExecutorService calls) {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        calls.shutdownNow();
        try {
            calls.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
