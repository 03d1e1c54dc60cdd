package io.limiquantix.node.ceph.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The real Ceph cluster the tests run against: the one in {@code LQ_CEPH_DIR} (made by
 * {@code run/lib/ceph-cluster.sh up}), or else one this JVM starts with the same script in a temporary
 * directory and stops at exit. Without Ceph on the machine the tests are skipped loudly, or fail when
 * {@code LQ_REQUIRE_REAL=1}.
 */
final class RealCluster {
    private static Path dir;
    private static String unavailable;

    private RealCluster() {}

    /** The cluster directory (ceph.conf, ceph.client.admin.keyring, monitors), or aborts/fails the test. */
    static synchronized Path dir() {
        if (dir == null && unavailable == null) locate();
        if (unavailable != null) {
            String msg = "NO REAL CEPH CLUSTER, test skipped: " + unavailable;
            if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(msg);
            System.err.println("*** " + msg);
            Assumptions.abort(msg);
        }
        return dir;
    }

    /** Whether a cluster was found or started (after the first {@link #dir()}). */
    static synchronized boolean available() {
        return dir != null;
    }

    static Path keyring() {
        return dir().resolve("ceph.client.admin.keyring");
    }

    static String monitors() {
        try {
            return Files.readString(dir().resolve("monitors")).trim();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A configuration of the real cluster, with short timeouts; {@code overrides} replace entries. */
    static CephConfig config(Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(CephConfig.MONITORS, monitors());
        props.put(CephConfig.KEYRING, keyring().toString());
        props.put(CephConfig.CONNECT_TIMEOUT, 5);
        props.put(CephConfig.OP_TIMEOUT, 20);
        props.putAll(overrides);
        return CephConfig.from(props);
    }

    static RbdVolumeProvider provider(Map<String, Object> overrides) {
        CephLibraries libs = CephLibraries.get();
        if (libs == null) fail(CephLibraries.failure());
        return new RbdVolumeProvider(new CephCluster(config(overrides), libs));
    }

    private static void locate() {
        String given = System.getenv("LQ_CEPH_DIR");
        if (given != null && !given.isBlank()) {
            Path d = Path.of(given);
            if (!Files.isRegularFile(d.resolve("monitors")) || !Files.isRegularFile(d.resolve("ceph.client.admin.keyring")))
                fail("LQ_CEPH_DIR=" + given + " is not a cluster made by run/lib/ceph-cluster.sh");
            dir = d;
            return;
        }
        if (CephLibraries.get() == null) {
            unavailable = CephLibraries.failure();
            return;
        }
        String harness = System.getProperty("lq.ceph.harness", "../run/lib/ceph-cluster.sh");
        if (!Files.isExecutable(Path.of(harness)) || !Files.isExecutable(Path.of("/usr/bin/ceph-mon"))) {
            unavailable = "LQ_CEPH_DIR is not set and " + harness + " or ceph-mon is missing "
                + "(apt-get install ceph-mon ceph-osd ceph-common librbd1 librados2)";
            return;
        }
        try {
            Path d = Files.createTempDirectory("lq-ceph-test");
            int base = freePortBase();
            ProcessBuilder pb = new ProcessBuilder(harness, "up", d.toString()).redirectErrorStream(true)
                .redirectOutput(d.resolveSibling(d.getFileName() + ".up.log").toFile());
            pb.environment().put("LQ_CEPH_PORT_BASE", Integer.toString(base));
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                unavailable = "ceph-cluster.sh up did not finish within 180 s";
            } else if (p.exitValue() != 0) {
                unavailable = "ceph-cluster.sh up failed: " + Files.readString(d.resolveSibling(d.getFileName() + ".up.log"), StandardCharsets.UTF_8);
            } else {
                dir = d;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> down(harness, d)));
            }
        } catch (IOException | InterruptedException e) {
            unavailable = "cannot start a cluster: " + e;
        }
    }

    /** Stops the cluster this JVM started and removes its directory (memstore data included). */
    private static void down(String harness, Path d) {
        try {
            Process p = new ProcessBuilder(harness, "down", d.toString()).inheritIO().start();
            if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                try (var files = Files.walk(d)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
                Files.deleteIfExists(d.resolveSibling(d.getFileName() + ".up.log"));
            } else {
                System.err.println("ceph-cluster.sh down " + d + " did not finish; left in place");
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("ceph-cluster.sh down " + d + " failed: " + e);
        }
    }

    /** A port on loopback that nothing listens on: a monitor address that refuses connections. */
    static int closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first port base from 16800 up (in steps of 100) whose monitor ports are free, so a running cluster is left alone. */
    private static int freePortBase() {
        for (int base = 16800; base < 20000; base += 100) {
            if (bindable(base) && bindable(base + 1) && bindable(base + 10)) return base;
        }
        throw new IllegalStateException("no free port base for a test cluster between 16800 and 20000");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
