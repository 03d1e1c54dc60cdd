package io.limiquantix.node.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * A revision of this bundle that has been used (its {@code test:///default} backend connected and answered,
 * a statistics sweep ran) is garbage-collected once the bundle is uninstalled and the framework refreshed:
 * nothing in JNA, libvirt-java, the JDK or the other bundles keeps its class loader. Two rounds, so state a
 * second revision inherits from the first (JNA's native library, libvirt's event loop) is covered too.
 * Found this way: Dependency Manager's static callback-method cache held every revision (see DmCaches).
 * {@code -Dlq.gc.dump=<file>} writes a heap dump when a revision stays, to find what holds it.
 */
class RevisionCollectedIT {
    private static final String HYPERVISOR = "io.limiquantix.node.api.Hypervisor";

    @TempDir
    Path storage;

    @Test
    void uninstalledRevisionIsCollected() throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("limiquantix.data", storage.resolve("data").toString());
        config.put("limiquantix.local.volumes", System.getProperty("lq.gc.local", "true"));
        config.put("limiquantix.libvirt.defaults", System.getProperty("lq.gc.defaults", "true"));
        Framework framework = new FrameworkFactory().newFramework(config);
        framework.start();
        try {
            BundleContext ctx = framework.getBundleContext();
            String[] jars = System.getProperty("lq.bundles").split(",");
            List<Bundle> bundles = new ArrayList<>();
            for (int i = 0; i < jars.length - 1; i++) bundles.add(ctx.installBundle(Path.of(jars[i]).toUri().toString()));
            for (Bundle b : bundles) b.start();
            String libvirtJar = Path.of(jars[jars.length - 1]).toUri().toString();
            assertTrue(Files.exists(Path.of(jars[jars.length - 1])), "missing bundle " + libvirtJar);
            List<WeakReference<ClassLoader>> old = new ArrayList<>();
            int rounds = Integer.getInteger("lq.gc.rounds", 2);
            for (int round = 0; round < rounds; round++) {
                Bundle libvirt = ctx.installBundle(libvirtJar);
                libvirt.start();
                assertEquals(Bundle.ACTIVE, libvirt.getState());
                if (!"false".equals(config.get("limiquantix.libvirt.defaults"))) useTestBackend(ctx);
                old.add(new WeakReference<>(libvirt.adapt(BundleWiring.class).getClassLoader()));
                libvirt.uninstall();
                CountDownLatch refreshed = new CountDownLatch(1);
                framework.adapt(FrameworkWiring.class).refreshBundles(List.of(libvirt), e -> refreshed.countDown());
                assertTrue(refreshed.await(60, TimeUnit.SECONDS), "refresh did not finish");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int cleared = 0;
            while (System.nanoTime() < deadline) {
                System.gc();
                cleared = (int) old.stream().filter(r -> r.get() == null).count();
                if (cleared == old.size()) break;
                Thread.sleep(200);
            }
            String dump = System.getProperty("lq.gc.dump");
            if (cleared < old.size() && dump != null) {
                java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpHeap(dump, true);
            }
            assertEquals(old.size(), cleared, cleared + " of " + old.size() + " uninstalled revisions were collected");
        } finally {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }

    /** Waits for the default 'test' backend, lets it answer, list and run a statistics sweep, then lets go of it. */
    private static void useTestBackend(BundleContext ctx) throws Exception {
        eventually(() -> testBackend(ctx) != null, () -> "default backend 'test' not registered");
        ServiceReference<?> ref = testBackend(ctx);
        Object hv = ctx.getService(ref);
        try {
            eventually(() -> (Boolean) call(call(hv, "health"), "isHealthy"), () -> "backend 'test' never became healthy");
            call(hv, "capabilities");
            call(hv, "listVms");
            call(hv, "stats"); // the bulk statistics sweep: JNA direct mapping (Native.register)
        } finally {
            ctx.ungetService(ref);
        }
    }

    private static ServiceReference<?> testBackend(BundleContext ctx) {
        try {
            ServiceReference<?>[] refs = ctx.getAllServiceReferences(HYPERVISOR, "(limiquantix.backend=test)");
            return refs == null || refs.length == 0 ? null : refs[0];
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object call(Object target, String method) {
        try {
            java.lang.reflect.Method m = target.getClass().getMethod(method);
            m.setAccessible(true);
            return m.invoke(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(method + " on " + target, e);
        }
    }

    private static void eventually(BooleanSupplier condition, java.util.function.Supplier<String> failure) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail(failure.get());
            Thread.sleep(50);
        }
    }
}
