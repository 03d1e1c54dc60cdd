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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
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
    /** Every thread the server started: {@link #close} returns once they have all ended. */
    private final Set<Thread> threads;

    private RpcServer(Server server, EventLoopGroup boss, EventLoopGroup workers, ExecutorService calls, Set<Thread> threads) {
        this.server = server;
        this.threads = threads;
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
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        EventLoopGroup boss = new NioEventLoopGroup(1, tracked(new DefaultThreadFactory("lq-rpc-accept", true), threads));
        EventLoopGroup workers = new NioEventLoopGroup(2, tracked(new DefaultThreadFactory("lq-rpc-io", true), threads));
        ThreadPoolExecutor calls = new ThreadPoolExecutor(CALL_THREADS, CALL_THREADS, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), tracked(callThreads(), threads));
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
            return new RpcServer(server, boss, workers, calls, threads);
        } catch (IOException | RuntimeException e) {
            shutdown(boss, workers, calls, threads);
            throw e;
        }
    }

    /** Remembers each thread {@code f} makes; ones that ended (idle call threads time out) are dropped meanwhile. */
    private static ThreadFactory tracked(ThreadFactory f, Set<Thread> into) {
        return r -> {
            Thread t = f.newThread(r);
            into.removeIf(old -> old.getState() == Thread.State.TERMINATED);
            into.add(t);
            return t;
        };
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
        shutdown(boss, workers, calls, threads);
    }

    private static void shutdown(EventLoopGroup boss, EventLoopGroup workers, ExecutorService calls, Set<Thread> threads) {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        calls.shutdownNow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try {
            calls.awaitTermination(5, TimeUnit.SECONDS);
            // A terminated pool or event loop can still have its thread alive for a moment after it says so:
            // the bundle's classes must not be running when stop returns (a test caught one call thread).
            for (Thread t : threads) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left > 0 && t != Thread.currentThread()) t.join(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.clear();
    }
}
