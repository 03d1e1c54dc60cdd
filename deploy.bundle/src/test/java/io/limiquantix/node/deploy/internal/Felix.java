package io.limiquantix.node.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;

/**
 * A real Felix in the test JVM with the node's real bundles (copied by the build to {@code lq.it.bundles}) and
 * the deploy bundle just built. The test's own class space has none of the bundles' packages: services are called
 * by reflection, and their exceptions and records are read by name.
 */
final class Felix implements AutoCloseable {
    static final List<String> BASE = List.of("org.apache.felix.log", "org.apache.felix.configadmin", "org.apache.felix.metatype",
        "org.apache.felix.dependencymanager", "org.apache.felix.gogo.runtime", "jackson-annotations", "jackson-core",
        "jackson-databind", "api.bundle", "core.bundle");

    final Framework framework;
    final List<Bundle> bundles = new ArrayList<>();

    Felix(Path storage, List<String> artifacts, Map<String, String> properties) throws Exception {
        Map<String, String> config = new HashMap<>(properties);
        config.put(Constants.FRAMEWORK_STORAGE, storage.resolve("felix").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.putIfAbsent("limiquantix.readiness.report", "false");
        config.putIfAbsent("limiquantix.data", storage.resolve("data").toString());
        framework = new FrameworkFactory().newFramework(config);
        framework.start();
        BundleContext ctx = framework.getBundleContext();
        Path dir = Path.of(System.getProperty("lq.it.bundles"));
        for (String a : artifacts) {
            Path jar = dir.resolve(a + ".jar");
            if (!Files.isRegularFile(jar)) fail("no bundle " + jar + " (the build copies them to target/it-bundles)");
            bundles.add(ctx.installBundle(jar.toUri().toString()));
        }
        bundles.add(ctx.installBundle(Path.of(System.getProperty("lq.deploy.bundle")).toUri().toString()));
        for (Bundle b : bundles) if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) b.start();
        for (Bundle b : bundles)
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null)
                assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is not active");
    }

    BundleContext context() {
        return framework.getBundleContext();
    }

    /** A service object (from the bundles' class space) by interface name, waiting for it. */
    Object service(String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            // getAllServiceReferences: the test's class path has this module's classes too (a different class
            // space), which would make the framework hide the service from getServiceReference.
            ServiceReference<?>[] refs;
            try {
                refs = context().getAllServiceReferences(name, null);
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new AssertionError(e);
            }
            ServiceReference<?> ref = refs == null || refs.length == 0 ? null : refs[0];
            if (ref != null) {
                Object s = context().getService(ref);
                if (s != null) return s;
            }
            Thread.sleep(50);
        }
        StringBuilder all = new StringBuilder();
        try {
            ServiceReference<?>[] refs = context().getAllServiceReferences(null, null);
            if (refs != null) for (ServiceReference<?> r : refs)
                all.append(java.util.Arrays.toString((String[]) r.getProperty("objectClass"))).append(" from ")
                    .append(r.getBundle().getSymbolicName()).append("; ");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no service " + name + " within 60 s; services: " + all);
    }

    /** The running set: symbolic name -> "id version state" of every bundle. */
    Map<String, String> runningSet() {
        Map<String, String> set = new TreeMap<>();
        for (Bundle b : context().getBundles())
            set.put(b.getSymbolicName() + "#" + b.getBundleId(), b.getBundleId() + " " + b.getVersion() + " " + b.getState());
        return set;
    }

    Bundle bundle(String bsn) {
        for (Bundle b : context().getBundles()) if (bsn.equals(b.getSymbolicName())) return b;
        return null;
    }

    /** Calls a method of a bundle's object by name; a thrown exception comes back as {@link Failure}. */
    static Object call(Object target, String method, Object... args) {
        for (Method m : target.getClass().getMethods()) {
            if (!m.getName().equals(method) || m.getParameterCount() != args.length) continue;
            try {
                m.setAccessible(true);
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw new Failure(e.getCause());
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no method " + method + "/" + args.length + " on " + target.getClass());
    }

    /** A record component (or other no-argument accessor) of a bundle's object. */
    static Object get(Object record, String accessor) {
        return call(record, accessor);
    }

    /** An exception thrown by a bundle's code: its class's simple name and message. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String type;

        Failure(Throwable cause) {
            super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
            type = cause.getClass().getSimpleName();
        }
    }

    static InputStream stream(Path p) throws java.io.IOException {
        return Files.newInputStream(p);
    }

    static void eventually(long seconds, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + seconds + " s waiting for " + what);
            Thread.sleep(100);
        }
    }

    @Override
    public void close() throws Exception {
        framework.stop();
        framework.waitForStop(60_000);
    }
}
