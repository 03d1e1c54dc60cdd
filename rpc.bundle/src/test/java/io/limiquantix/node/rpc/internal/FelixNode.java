package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;

/**
 * A Felix framework in the test JVM with the bundles named by a system property (jar paths, comma-separated;
 * the pom lists them). The test reaches the node only over TCP and through ConfigAdmin by reflection: its own
 * class space has none of the bundles' packages.
 */
final class FelixNode implements AutoCloseable {
    final Framework framework;
    final List<Bundle> bundles = new ArrayList<>();

    FelixNode(Path storage, String bundleListProperty, Map<String, String> properties) throws Exception {
        Map<String, String> config = new HashMap<>(properties);
        config.put(Constants.FRAMEWORK_STORAGE, storage.resolve("felix").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        framework = new FrameworkFactory().newFramework(config);
        framework.start();
        BundleContext ctx = framework.getBundleContext();
        for (String jar : System.getProperty(bundleListProperty).split(","))
            bundles.add(ctx.installBundle(Path.of(jar).toUri().toString()));
        for (Bundle b : bundles) b.start();
        for (Bundle b : bundles) assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is not active");
    }

    Bundle bundle(String symbolicName) {
        return bundles.stream().filter(b -> b.getSymbolicName().equals(symbolicName)).findFirst()
            .orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
    }

    /** Sets a configuration (a factory configuration when {@code factoryPid} is true) through ConfigAdmin. */
    void configure(String pid, boolean factory, Map<String, Object> values) throws Exception {
        BundleContext ctx = framework.getBundleContext();
        ServiceReference<?>[] refs = ctx.getAllServiceReferences("org.osgi.service.cm.ConfigurationAdmin", null);
        assertTrue(refs != null && refs.length == 1, "no ConfigurationAdmin");
        Object ca = ctx.getService(refs[0]);
        Object cfg = factory
            ? ca.getClass().getMethod("createFactoryConfiguration", String.class, String.class).invoke(ca, pid, "?")
            : ca.getClass().getMethod("getConfiguration", String.class, String.class).invoke(ca, pid, "?");
        cfg.getClass().getMethod("update", Dictionary.class).invoke(cfg, new Hashtable<>(values));
    }

    static NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub(ManagedChannel channel, String token) {
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return NodeDaemonServiceGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /**
     * The test's client uses NIO, not epoll: the rpc bundle inside Felix loads netty's epoll JNI library first, and a
     * JNI library binds to one class loader only, so the test class path's copy of netty cannot use it.
     */
    private static final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup CLIENT_LOOP =
        new io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup(1,
            new io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory("test-grpc-client", true));

    static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().eventLoopGroup(CLIENT_LOOP)
            .channelType(io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel.class).build();
    }

    static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static long rpcThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith("lq-rpc")).count();
    }

    static void eventually(long seconds, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + seconds + " s waiting for " + what);
            Thread.sleep(50);
        }
    }

    @Override
    public void close() throws Exception {
        framework.stop();
        framework.waitForStop(30_000);
    }
}
