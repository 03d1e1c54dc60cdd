package io.limiquantix.node.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationException;

/** The embedded defaults and the factory, against a fake registry and a fake ConfigAdmin. */
class DefaultBackendsTest {
    private final FakeRegistry registry = new FakeRegistry();
    private final AtomicReference<String> daemon = new AtomicReference<>("qemu:///system does not answer: no socket");
    private final AtomicInteger probes = new AtomicInteger();
    private final AtomicInteger configurations = new AtomicInteger();
    private DefaultBackends defaults;

    @AfterEach
    void close() {
        if (defaults != null) defaults.close();
    }

    private DefaultBackends defaults(boolean enabled) {
        defaults = new DefaultBackends(registry, enabled, uri -> {
            probes.incrementAndGet();
            return daemon.get();
        }, 1);
        defaults.configAdminAdded(configAdmin());
        return defaults;
    }

    /** A ConfigurationAdmin that reports {@code configurations} factory configurations of our PID. */
    private ConfigurationAdmin configAdmin() {
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ConfigurationAdmin.class},
            (proxy, method, args) -> {
                if (method.getName().equals("listConfigurations")) {
                    assertTrue(String.valueOf(args[0]).contains("service.factoryPid=" + BackendConfig.FACTORY_PID), String.valueOf(args[0]));
                    int n = configurations.get();
                    return n == 0 ? null : new Configuration[n];
                }
                throw new UnsupportedOperationException(method.getName());
            });
    }

    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail(what);
            Thread.sleep(20);
        }
    }

    @Test
    void testBackendAtOnceQemuWhenTheDaemonAnswers() throws Exception {
        defaults(true).start();
        eventually(() -> registry.names().equals(Set.of("test")), "test default not registered: " + registry.live);
        assertEquals(10, registry.live.get("default:test").ranking());
        eventually(() -> probes.get() >= 2, "the qemu probe is not repeated while the daemon is away");
        assertEquals(Set.of("test"), registry.names());
        daemon.set(null);
        eventually(() -> registry.names().equals(Set.of("qemu", "test")), "qemu default not registered once libvirtd answers");
        BackendConfig qemu = registry.live.get("default:qemu");
        assertEquals("qemu:///system", qemu.uri());
        assertEquals(100, qemu.ranking());
        int after = probes.get();
        Thread.sleep(2500);
        assertEquals(after, probes.get(), "probing stops once the qemu backend is registered");
    }

    @Test
    void aFactoryConfigurationWithdrawsTheDefaultsAndMayReuseTheirNames() throws Exception {
        daemon.set(null);
        DefaultBackends d = defaults(true);
        d.start();
        eventually(() -> registry.names().equals(Set.of("qemu", "test")), "defaults not up: " + registry.live);
        BackendFactory factory = new BackendFactory(registry, d);
        configurations.set(1);
        factory.updated("pid-1", props(Map.of("name", "qemu", "uri", "qemu+tcp://10.0.0.1/system", "ranking", 50)));
        assertEquals(Set.of("qemu"), registry.names());
        assertEquals("qemu+tcp://10.0.0.1/system", registry.live.get("pid-1").uri());
        // a later re-evaluation (e.g. a ConfigAdmin event) must not bring the defaults back
        d.reconsider();
        Thread.sleep(300);
        assertEquals(Set.of("qemu"), registry.names());
        // once the last configuration is gone they return
        configurations.set(0);
        factory.deleted("pid-1");
        eventually(() -> registry.names().equals(Set.of("qemu", "test")) && registry.has("default:qemu"), "defaults did not come back: " + registry.live);
    }

    @Test
    void settledOnceTheFirstProbeHasAnsweredWithTheBackendsAlreadyRegistered() throws Exception {
        daemon.set(null);
        java.util.concurrent.CountDownLatch slowProbe = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger settledCount = new AtomicInteger();
        AtomicReference<Set<String>> namesWhenSettled = new AtomicReference<>();
        defaults = new DefaultBackends(registry, true, uri -> {
            probes.incrementAndGet();
            try {
                slowProbe.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return daemon.get();
        }, 1);
        defaults.whenSettled(() -> {
            namesWhenSettled.set(registry.names());
            settledCount.incrementAndGet();
        });
        defaults.configAdminAdded(configAdmin());
        defaults.start();
        eventually(() -> probes.get() == 1, "the qemu probe did not start");
        Thread.sleep(200);
        assertEquals(0, settledCount.get(), "settled while the first probe of qemu:///system was still running");
        slowProbe.countDown();
        eventually(() -> settledCount.get() == 1, "not settled after the first probe answered");
        assertEquals(Set.of("qemu", "test"), namesWhenSettled.get(), "both defaults are registered before the settle signal");
        daemon.set("gone");
        defaults.reconsider();
        Thread.sleep(300);
        assertEquals(1, settledCount.get(), "the settle signal is given once");
    }

    @Test
    void settledAtOnceWhenTheDaemonDoesNotAnswerWhenConfiguredOrWhenDisabled() throws Exception {
        for (int mode = 0; mode < 3; mode++) {
            close();
            registry.live.clear();
            configurations.set(mode == 1 ? 1 : 0);
            daemon.set(mode == 0 ? "qemu:///system does not answer: no socket" : null);
            AtomicInteger settledCount = new AtomicInteger();
            DefaultBackends d = new DefaultBackends(registry, mode != 2, uri -> daemon.get(), 30);
            defaults = d;
            d.whenSettled(settledCount::incrementAndGet);
            d.configAdminAdded(configAdmin());
            d.start();
            int m = mode;
            eventually(() -> settledCount.get() == 1, "not settled in mode " + m);
            assertEquals(mode == 0 ? Set.of("test") : Set.of(), registry.names(), "mode " + mode);
        }
    }

    @Test
    void configurationsPresentAtStartKeepTheDefaultsDown() throws Exception {
        configurations.set(2);
        defaults(true).start();
        Thread.sleep(500);
        assertTrue(registry.live.isEmpty(), "defaults registered although configurations exist: " + registry.live);
        assertEquals(0, probes.get());
    }

    @Test
    void disabledByFrameworkProperty() throws Exception {
        daemon.set(null);
        defaults(false).start();
        Thread.sleep(500);
        assertTrue(registry.live.isEmpty());
    }

    @Test
    void badConfigurationRegistersNothingAndNamesTheProperty() throws Exception {
        DefaultBackends d = defaults(true);
        BackendFactory factory = new BackendFactory(registry, d);
        configurations.set(1);
        ConfigurationException e = assertThrows(ConfigurationException.class,
            () -> factory.updated("pid-bad", props(Map.of("name", "ok", "uri", "qemu:///system", "accel", "warp"))));
        assertEquals("accel", e.getProperty());
        assertTrue(registry.live.isEmpty());
        // a good configuration, then a bad update of it: the old backend goes, nothing half-configured stays
        factory.updated("pid-2", props(Map.of("name", "b2", "uri", "test:///default")));
        assertEquals(Set.of("b2"), registry.names());
        assertThrows(ConfigurationException.class, () -> factory.updated("pid-2", props(Map.of("name", "b2"))));
        assertTrue(registry.live.isEmpty());
        // two configurations may not share a name
        factory.updated("pid-3", props(Map.of("name", "same", "uri", "test:///default")));
        ConfigurationException dup = assertThrows(ConfigurationException.class,
            () -> factory.updated("pid-4", props(Map.of("name", "same", "uri", "qemu:///system"))));
        assertEquals("name", dup.getProperty());
        assertEquals(Set.of("pid-3"), registry.live.keySet());
    }

    private static Dictionary<String, ?> props(Map<String, Object> m) {
        return new Hashtable<>(m);
    }
}
