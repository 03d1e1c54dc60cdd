package io.limiquantix.node.bench;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.limiquantix.node.rpc.v1.Backend;
import io.limiquantix.node.rpc.v1.BackendHealth;
import io.limiquantix.node.rpc.v1.GetNodeInfoRequest;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
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
 * The real node for a benchmark: a Felix framework in this JVM with the node's real bundles (api, core,
 * libvirt, rpc and what they need), its gRPC API on a real loopback socket, one libvirt backend configured
 * through ConfigAdmin. The benchmark's own class space shares none of the bundles' packages: it reaches the
 * node over TCP, and NodeService (for the in-process baselines) by reflection on the service object.
 */
final class BenchNode implements AutoCloseable {
    /** Installed in this order; the pom copies them to {@code target/bundles}. */
    static final List<String> BUNDLES = List.of("org.apache.felix.log", "org.apache.felix.configadmin",
        "org.apache.felix.metatype", "org.apache.felix.dependencymanager", "jackson-annotations", "jackson-core",
        "jackson-databind", "jna", "api.bundle", "core.bundle", "libvirt.bundle", "rpc.bundle");

    private final Framework framework;
    private final Path data;
    final int port;
    final String backend;
    private String token;
    private ManagedChannel channel;
    private Object nodeService;
    private Method listVms;
    private Method getVm;

    BenchNode(Path bundleDir, Path work, String backend, String uri) throws Exception {
        this.backend = backend;
        this.data = work.resolve("data");
        this.port = freePort();
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, work.resolve("felix").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("limiquantix.data", data.toString());
        config.put("limiquantix.rpc.port", Integer.toString(port));
        config.put("limiquantix.libvirt.defaults", "false");
        config.put("limiquantix.storage.roots", "/var/lib/limiquantix");
        config.put("limiquantix.readiness.report", "false");
        framework = new FrameworkFactory().newFramework(config);
        framework.start();
        BundleContext ctx = framework.getBundleContext();
        List<Bundle> bundles = new ArrayList<>();
        for (String name : BUNDLES) bundles.add(ctx.installBundle(bundleDir.resolve(name + ".jar").toUri().toString()));
        for (Bundle b : bundles) b.start();
        configureBackend(backend, uri);
    }

    private void configureBackend(String name, String uri) throws Exception {
        BundleContext ctx = framework.getBundleContext();
        ServiceReference<?>[] refs = ctx.getAllServiceReferences("org.osgi.service.cm.ConfigurationAdmin", null);
        if (refs == null || refs.length != 1) throw new IllegalStateException("no ConfigurationAdmin in the node");
        Object ca = ctx.getService(refs[0]);
        Object cfg = ca.getClass().getMethod("createFactoryConfiguration", String.class, String.class)
            .invoke(ca, "io.limiquantix.node.libvirt", "?");
        Hashtable<String, Object> values = new Hashtable<>(Map.of("name", name, "uri", uri, "ranking", 100, "accel", "auto"));
        cfg.getClass().getMethod("update", Dictionary.class).invoke(cfg, values);
    }

    /** Waits for the API to listen and the backend to be capable and healthy; returns how long that took. */
    long awaitReady(long seconds) throws Exception {
        long t0 = System.nanoTime();
        eventually(seconds, () -> listening(port), "the gRPC API to listen on port " + port);
        token = Files.readString(data.resolve("rpc-token")).strip();
        channel = channel();
        eventually(seconds, this::backendReady, "backend " + backend + " to be capable and healthy");
        BundleContext ctx = framework.getBundleContext();
        ServiceReference<?>[] refs = ctx.getAllServiceReferences("io.limiquantix.node.runtime.NodeService", null);
        if (refs == null || refs.length != 1) throw new IllegalStateException("no NodeService in the node");
        nodeService = ctx.getService(refs[0]);
        // The interface as the core bundle sees it: public, so its methods can be invoked from here.
        Class<?> api = refs[0].getBundle().loadClass("io.limiquantix.node.runtime.NodeService");
        listVms = api.getMethod("listVms");
        getVm = api.getMethod("getVm", String.class);
        return System.nanoTime() - t0;
    }

    private boolean backendReady() {
        for (Backend b : stub().getNodeInfo(GetNodeInfoRequest.getDefaultInstance()).getBackendsList())
            if (b.getName().equals(backend) && b.getCapabilities().getCapable()
                && b.getHealth().getStatus() == BackendHealth.Status.STATUS_HEALTHY) return true;
        return false;
    }

    /** A new channel (its own TCP connection) to the node; large replies allowed (ListVMs of 10,000 VMs). */
    ManagedChannel channel() {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
            .maxInboundMessageSize(256 * 1024 * 1024).build();
    }

    ManagedChannel sharedChannel() {
        return channel;
    }

    NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub() {
        return stub(channel);
    }

    NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub(ManagedChannel ch) {
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return NodeDaemonServiceGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
    }

    /** NodeService.listVms() in-process; returns the number of records. */
    int listVmsInProcess() {
        return ((List<?>) invoke(listVms)).size();
    }

    /** NodeService.getVm(vm) in-process. */
    Object getVmInProcess(String vm) {
        return invoke(getVm, vm);
    }

    private Object invoke(Method m, Object... args) {
        try {
            return m.invoke(nodeService, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void eventually(long seconds, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try {
                if (condition.getAsBoolean()) return;
            } catch (RuntimeException notYet) {
                // the API may refuse calls while the node starts
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out after " + seconds + " s waiting for " + what);
            Thread.sleep(100);
        }
    }

    @Override
    public void close() throws Exception {
        if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        framework.stop();
        framework.waitForStop(60_000);
    }
}
