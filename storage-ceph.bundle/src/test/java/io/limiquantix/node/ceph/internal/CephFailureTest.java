package io.limiquantix.node.ceph.internal;

import static org.junit.jupiter.api.Assertions.*;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.storage.VolumeSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster that cannot be used gives a clear, typed error naming the configuration property, and the call
 * returns: no hang. The bound below only guards against hanging; it is not a performance assertion.
 */
class CephFailureTest {
    private static final Duration NO_HANG = Duration.ofSeconds(90);
    private static CapturedLog log;
    private static String wrongKey;

    @TempDir
    Path tmp;

    @BeforeAll
    static void capture() {
        log = CapturedLog.install();
        byte[] raw = new byte[28];
        new Random(7).nextBytes(raw);
        // a well-formed cephx key blob (type 1, 16 secret bytes) that the cluster does not know
        raw[0] = 1;
        raw[1] = 0;
        raw[10] = 16;
        raw[11] = 0;
        wrongKey = Base64.getEncoder().encodeToString(raw);
    }

    @AfterAll
    static void keysNeverLogged() throws Exception {
        log.uninstall();
        if (!RealCluster.available()) return; // skipped: no cluster
        assertFalse(log.text().contains(wrongKey), "the wrong key appeared in the log");
        assertFalse(log.text().contains(RbdVolumeProviderTest.adminKey()), "the admin key appeared in the log");
    }

    private <E extends HypervisorException> E failsWith(Class<E> type, Map<String, Object> config, Consumer<RbdVolumeProvider> call) {
        try (RbdVolumeProvider provider = RealCluster.provider(config)) {
            E e = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(type, () -> call.accept(provider)));
            assertFalse(e.getMessage().contains(wrongKey), e.getMessage());
            assertFalse(String.valueOf(e.getCause()).contains(wrongKey));
            return e;
        }
    }

    @Test
    void wrongKeyNamesTheKeyring() throws Exception {
        RealCluster.dir();
        Path keyring = tmp.resolve("wrong.keyring");
        Files.writeString(keyring, "[client.admin]\n\tkey = " + wrongKey + "\n");
        InvalidArgumentException e = failsWith(InvalidArgumentException.class, Map.of(CephConfig.KEYRING, keyring.toString()), RbdVolumeProvider::list);
        assertEquals(CephConfig.KEYRING, e.field());
        assertTrue(e.getMessage().contains("did not authenticate client.admin"), e.getMessage());
    }

    @Test
    void wrongKeyFileNamesTheKeyFile() throws Exception {
        RealCluster.dir();
        Path keyFile = tmp.resolve("wrong.key");
        Files.writeString(keyFile, wrongKey + "\n");
        Map<String, Object> config = new java.util.HashMap<>(Map.of(CephConfig.KEY_FILE, keyFile.toString()));
        config.put(CephConfig.KEYRING, "");
        InvalidArgumentException e = failsWith(InvalidArgumentException.class, config, p -> p.info("x"));
        assertEquals(CephConfig.KEY_FILE, e.field());
    }

    @Test
    void unreachableMonitorIsUnavailable() {
        RealCluster.dir();
        String monitor = "127.0.0.1:" + RealCluster.closedPort();
        BackendUnavailableException e = failsWith(BackendUnavailableException.class,
            Map.of(CephConfig.MONITORS, monitor, CephConfig.CONNECT_TIMEOUT, 3), p -> p.create(new VolumeSpec("v", 1 << 20, null, Map.of()), ProgressListener.NONE));
        assertTrue(e.getMessage().contains(monitor) && e.getMessage().contains("'monitors'"), e.getMessage());
    }

    @Test
    void silentMonitorIsUnavailable() throws Exception {
        RealCluster.dir();
        // accepts connections and never says a word: neither librados nor the banner probe get an answer
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                List<java.net.Socket> open = new java.util.ArrayList<>();
                try {
                    while (true) open.add(silent.accept());
                } catch (java.io.IOException e) {
                    open.forEach(sock -> {
                        try {
                            sock.close();
                        } catch (java.io.IOException ignored) {
                            // closing a test socket
                        }
                    });
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String monitor = "127.0.0.1:" + silent.getLocalPort();
            BackendUnavailableException e = failsWith(BackendUnavailableException.class,
                Map.of(CephConfig.MONITORS, monitor, CephConfig.CONNECT_TIMEOUT, 3), RbdVolumeProvider::list);
            assertTrue(e.getMessage().contains(monitor), e.getMessage());
        }
    }

    @Test
    void concurrentCallersOfAnUnreachableClusterAllReturn() throws Exception {
        RealCluster.dir();
        try (RbdVolumeProvider provider = RealCluster.provider(Map.of(CephConfig.MONITORS, "127.0.0.1:" + RealCluster.closedPort(),
            CephConfig.CONNECT_TIMEOUT, 2))) {
            var pool = java.util.concurrent.Executors.newFixedThreadPool(6);
            try {
                List<java.util.concurrent.Future<Throwable>> results = new java.util.ArrayList<>();
                for (int i = 0; i < 6; i++) results.add(pool.submit(() -> {
                    try {
                        provider.info("v");
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                }));
                for (var r : results)
                    assertInstanceOf(BackendUnavailableException.class, r.get(NO_HANG.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void missingPoolNamesThePool() {
        RealCluster.dir();
        InvalidArgumentException e = failsWith(InvalidArgumentException.class, Map.of(CephConfig.POOL, "nosuchpool"), RbdVolumeProvider::list);
        assertEquals(CephConfig.POOL, e.field());
        assertTrue(e.getMessage().contains("'nosuchpool' does not exist"), e.getMessage());
    }

    @Test
    void missingKeyringNamesTheKeyring() {
        RealCluster.dir();
        InvalidArgumentException e = failsWith(InvalidArgumentException.class,
            Map.of(CephConfig.KEYRING, tmp.resolve("absent.keyring").toString()), RbdVolumeProvider::list);
        assertEquals(CephConfig.KEYRING, e.field());
    }

    @Test
    void recoversAfterAFailedConnect() throws Exception {
        RealCluster.dir();
        Path keyring = tmp.resolve("rotating.keyring");
        Files.writeString(keyring, "[client.admin]\n\tkey = " + wrongKey + "\n");
        try (RbdVolumeProvider provider = RealCluster.provider(Map.of(CephConfig.KEYRING, keyring.toString()))) {
            assertThrows(InvalidArgumentException.class, provider::list);
            // the key is read at each connection attempt, so fixing the file is enough
            Files.copy(RealCluster.keyring(), keyring, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertNotNull(assertTimeoutPreemptively(NO_HANG, provider::list));
        }
    }
}
