package io.limiquantix.node.cloudhv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.limiquantix.node.cloudhv.standin.StandInExecutable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;

/**
 * The built bundle in a real Felix with ConfigAdmin, Dependency Manager, Jackson and the API bundle, nothing
 * else (the embedded Jetty and slf4j must be enough): it resolves; the embedded default registers and says
 * it is not capable; a factory configuration on the stand-in VMM replaces it and is capable; deleting the
 * configuration brings the default back; stopping the bundle leaves no service and no thread. The test sees
 * the bundles only through service properties and reflection.
 */
class OsgiBundleIT {
    private static final String HYPERVISOR = "io.limiquantix.node.api.Hypervisor";

    @TempDir Path tmp;

    @Test
    void bundleLifecycleInFelix() throws Exception {
        Path standIn = StandInExecutable.path();
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, tmp.resolve("felix").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("limiquantix.data", tmp.resolve("data").toString());
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
            Bundle cloudhv = bundles.get(bundles.size() - 1);
            assertEquals("io.limiquantix.node.cloudhv", cloudhv.getSymbolicName());
            for (Bundle b : bundles) assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is not active");

            eventually(() -> backends(ctx).containsKey("cloudhv"), () -> "default backend not registered: " + backends(ctx).keySet());
            ServiceReference<?> dflt = backends(ctx).get("cloudhv");
            assertEquals("cloudhv", dflt.getProperty("limiquantix.backend.type"));
            assertEquals(200, dflt.getProperty(Constants.SERVICE_RANKING));
            Object caps = call(ctx.getService(dflt), "capabilities");
            if (!Files.exists(Path.of("/usr/bin/cloud-hypervisor"))) {
                assertEquals(false, call(caps, "capable"), String.valueOf(caps));
                assertTrue(String.valueOf(call(caps, "notCapableReason")).contains("not installed"), String.valueOf(caps));
            }

            ServiceReference<?>[] cas = ctx.getAllServiceReferences("org.osgi.service.cm.ConfigurationAdmin", null);
            assertTrue(cas != null && cas.length == 1, "no ConfigurationAdmin service");
            Object ca = ctx.getService(cas[0]);
            Object cfg = ca.getClass().getMethod("createFactoryConfiguration", String.class, String.class)
                .invoke(ca, "io.limiquantix.node.cloudhv", "?");
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("name", "configured");
            props.put("ranking", 250);
            props.put("binary", standIn.toString());
            props.put("stateDir", tmp.resolve("state").toString());
            props.put("testOnly.skipKvmCheck", "true");
            cfg.getClass().getMethod("update", java.util.Dictionary.class).invoke(cfg, props);
            eventually(() -> backends(ctx).keySet().equals(Set.of("configured")), () -> "expected only the configured backend: "
                + backends(ctx).keySet());
            ServiceReference<?> configured = backends(ctx).get("configured");
            assertEquals(250, configured.getProperty(Constants.SERVICE_RANKING));
            Object configuredCaps = call(ctx.getService(configured), "capabilities");
            assertEquals(true, call(configuredCaps, "capable"), String.valueOf(configuredCaps));
            assertEquals("v53.0-stand-in", call(configuredCaps, "version"));

            cfg.getClass().getMethod("delete").invoke(cfg);
            eventually(() -> backends(ctx).keySet().equals(Set.of("cloudhv")), () -> "the default did not come back: " + backends(ctx).keySet());

            cloudhv.stop();
            assertTrue(backends(ctx).isEmpty(), "services left after stop: " + backends(ctx).keySet());
            eventually(() -> threads().isEmpty(), () -> "threads left after stop: " + threads());
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
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return out;
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

    /** This bundle's threads, and Jetty's client threads, still alive. */
    private static List<String> threads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
            .filter(n -> n.startsWith("lq-cloudhv") || n.startsWith("HttpClient")).toList();
    }

    private static void eventually(BooleanSupplier condition, Supplier<String> message) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail(message.get());
            Thread.sleep(100);
        }
    }
}
