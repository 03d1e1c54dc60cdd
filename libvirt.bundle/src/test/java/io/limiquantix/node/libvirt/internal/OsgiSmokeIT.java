package io.limiquantix.node.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;

/**
 * The built bundle in a real Felix with ConfigAdmin, Dependency Manager, JNA and the API bundle: it
 * resolves, registers the embedded default, gives way to a factory configuration, comes back when it is
 * deleted, and leaves no service and no thread behind when stopped. The test sees the framework only
 * through service properties and reflection: its own class path has none of the bundles' packages.
 */
class OsgiSmokeIT {
    private static final String HYPERVISOR = "io.limiquantix.node.api.Hypervisor";

    @TempDir
    Path storage;

    @Test
    void bundleLifecycleInFelix() throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        Framework framework = new FrameworkFactory().newFramework(config);
        framework.start();
        try {
            BundleContext ctx = framework.getBundleContext();
            List<Bundle> bundles = new ArrayList<>();
            for (String jar : System.getProperty("lq.bundles").split(",")) {
                assertTrue(Files.exists(Path.of(jar)), "missing bundle " + jar);
                bundles.add(ctx.installBundle(Path.of(jar).toUri().toString()));
            }
            for (Bundle b : bundles) b.start();
            for (Bundle b : bundles)
                assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is not active");
            Bundle libvirt = bundles.get(bundles.size() - 1);
            assertEquals("io.limiquantix.node.libvirt", libvirt.getSymbolicName());
            assertEquals(Bundle.ACTIVE, libvirt.getState());

            eventually(() -> backends(ctx).containsKey("test"), () -> "default backend 'test' not registered: " + backends(ctx));
            ServiceReference<?> test = backends(ctx).get("test");
            assertEquals("libvirt", test.getProperty("limiquantix.backend.type"));
            assertEquals(10, test.getProperty(Constants.SERVICE_RANKING));
            Object hv = ctx.getService(test);
            eventually(() -> healthy(hv), () -> "backend 'test' never became healthy: " + call(hv, "health"));
            Object caps = call(hv, "capabilities");
            assertEquals(true, call(caps, "capable"), String.valueOf(caps));
            ctx.ungetService(test);
            // the 'local' volume provider is registered with its defaults (nothing done in libvirt until used)
            eventually(() -> localVolumes(ctx) != null, () -> "no 'local' VolumeProvider service");
            {
                ServiceReference<?>[] cas0 = ctx.getAllServiceReferences("org.osgi.service.cm.ConfigurationAdmin", null);
                Object ca0 = ctx.getService(cas0[0]);
                Object localCfg = ca0.getClass().getMethod("getConfiguration", String.class, String.class)
                    .invoke(ca0, "io.limiquantix.node.libvirt.local", "?");
                Hashtable<String, Object> lp = new Hashtable<>();
                lp.put("pool", "lq-smoke-pool");
                localCfg.getClass().getMethod("update", java.util.Dictionary.class).invoke(localCfg, lp);
                eventually(() -> localVolumes(ctx) != null && "lq-smoke-pool".equals(localVolumes(ctx).getProperty("limiquantix.volume.pool")),
                    () -> "the 'local' provider did not follow its configuration: " + (localVolumes(ctx) == null ? null
                        : localVolumes(ctx).getProperty("limiquantix.volume.pool")));
                localCfg.getClass().getMethod("delete").invoke(localCfg);
                eventually(() -> localVolumes(ctx) != null && "limiquantix-local".equals(localVolumes(ctx).getProperty("limiquantix.volume.pool")),
                    () -> "the 'local' provider did not return to its defaults");
            }

            // a factory configuration replaces the defaults
            // getAll…: the test's class space has no org.osgi.service.cm, so class-space filtering would hide it
            ServiceReference<?>[] cas = ctx.getAllServiceReferences("org.osgi.service.cm.ConfigurationAdmin", null);
            assertTrue(cas != null && cas.length == 1, "no ConfigurationAdmin service; services: " + java.util.Arrays.toString(allServices(ctx)));
            Object ca = ctx.getService(cas[0]);
            Object cfg = ca.getClass().getMethod("createFactoryConfiguration", String.class, String.class)
                .invoke(ca, "io.limiquantix.node.libvirt", "?");
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("name", "configured");
            props.put("uri", "test:///default");
            props.put("ranking", 7);
            props.put("accel", "tcg");
            cfg.getClass().getMethod("update", java.util.Dictionary.class).invoke(cfg, props);
            eventually(() -> backends(ctx).keySet().equals(java.util.Set.of("configured")),
                () -> "expected only the configured backend, got " + backends(ctx).keySet());
            assertEquals(7, backends(ctx).get("configured").getProperty(Constants.SERVICE_RANKING));

            // deleting it brings the defaults back
            cfg.getClass().getMethod("delete").invoke(cfg);
            eventually(() -> backends(ctx).containsKey("test") && !backends(ctx).containsKey("configured"),
                () -> "defaults did not come back: " + backends(ctx).keySet());

            libvirt.stop();
            assertTrue(backends(ctx).isEmpty(), "services left after stop: " + backends(ctx).keySet());
            assertTrue(localVolumes(ctx) == null, "the 'local' VolumeProvider is left after stop");
            // The event loop, delivery and defaults threads end at once. A connector thread blocked inside a
            // libvirt call cannot be interrupted; it ends when libvirtd answers (slow on the CI host, where
            // libvirtd re-probes QEMU for up to ~80 s), sees the backend closed and disposes its connection.
            eventually(Duration.ofSeconds(10), () -> libvirtThreads().stream().allMatch(n -> n.endsWith("-connector")),
                () -> "threads left after stop: " + libvirtThreads());
            eventually(Duration.ofSeconds(150), () -> libvirtThreads().isEmpty(), () -> "threads left after stop: " + libvirtThreads());
        } finally {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }

    private static Map<String, ServiceReference<?>> backends(BundleContext ctx) {
        Map<String, ServiceReference<?>> out = new TreeMap<>();
        try {
            ServiceReference<?>[] refs = ctx.getAllServiceReferences(HYPERVISOR, null);
            if (refs != null) for (ServiceReference<?> r : refs) out.put((String) r.getProperty("limiquantix.backend"), r);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static ServiceReference<?>[] allServices(BundleContext ctx) {
        try {
            return ctx.getAllServiceReferences(null, null);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean healthy(Object hv) {
        return (Boolean) call(call(hv, "health"), "isHealthy");
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

    private static List<String> libvirtThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
            .filter(n -> n.startsWith("lq-libvirt-") && !n.equals("lq-libvirt-probe")).toList();
    }

    private static void eventually(BooleanSupplier condition, java.util.function.Supplier<String> failure) throws InterruptedException {
        eventually(Duration.ofSeconds(30), condition, failure);
    }

    private static void eventually(Duration limit, BooleanSupplier condition, java.util.function.Supplier<String> failure)
        throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail(failure.get());
            Thread.sleep(50);
        }
    }

    private static ServiceReference<?> localVolumes(org.osgi.framework.BundleContext ctx) {
        try {
            ServiceReference<?>[] refs = ctx.getAllServiceReferences("io.limiquantix.node.api.storage.VolumeProvider",
                "(limiquantix.volume.provider=local)");
            return refs == null || refs.length == 0 ? null : refs[0];
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
