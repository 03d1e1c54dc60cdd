package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStats;
import io.limiquantix.node.runtime.BackendStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NodeService.stats(): one sweep per backend; a backend that cannot, fails or hangs does not spoil the rest. */
class StatsCollectorTest {
    @TempDir
    Path tmp;
    NodeServiceImpl node;
    VmLedger ledger;
    final CountDownLatch hang = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        Path data = tmp.resolve("data");
        NodeConfig config = new NodeConfig(data, List.of(Files.createDirectories(tmp.resolve("images"))), Duration.ofMillis(300), 4);
        ledger = VmLedger.open(data);
        node = new NodeServiceImpl(config, ledger, Duration.ofMillis(500));
    }

    @AfterEach
    void stop() {
        hang.countDown();
        node.close();
        ledger.close();
    }

    @Test
    void everyBackendAnswersOrSaysWhyNot() {
        VmStats one = new VmStats("6695eb01-f6a4-8304-79aa-97f2502e193f", "a", VmState.RUNNING, 1, 5_000, null, null, null);
        node.registry().add("good", "memory", 10, 1, statsBackend(() -> List.of(one)));
        node.registry().add("plain", "memory", 10, 2, InMemoryTestBackend.linux()); // keeps the default: unsupported
        node.registry().add("broken", "memory", 10, 3, statsBackend(() -> {
            throw new BackendFailureException("libvirt said no", null);
        }));
        node.registry().add("hung", "memory", 10, 4, statsBackend(() -> {
            try {
                hang.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return List.of();
        }));
        Map<String, BackendStats> by = node.stats().stream().collect(Collectors.toMap(BackendStats::backend, Function.identity()));
        assertEquals(4, by.size(), by.toString());
        assertTrue(by.get("good").reported());
        assertNull(by.get("good").failure());
        assertEquals(List.of(one), by.get("good").vms());
        assertTrue(by.get("plain").failure().contains("does not report VM statistics"), by.get("plain").failure());
        assertTrue(by.get("broken").failure().contains("libvirt said no"), by.get("broken").failure());
        assertTrue(by.get("hung").failure().contains("did not answer"), by.get("hung").failure());
        for (BackendStats b : by.values()) if (!b.reported()) assertTrue(b.vms().isEmpty());
    }

    /** An in-memory backend whose stats() answers as told (a proxy: InMemoryTestBackend is final). */
    static io.limiquantix.node.api.Hypervisor statsBackend(java.util.function.Supplier<List<VmStats>> answer) {
        InMemoryTestBackend delegate = InMemoryTestBackend.linux();
        return (io.limiquantix.node.api.Hypervisor) java.lang.reflect.Proxy.newProxyInstance(StatsCollectorTest.class.getClassLoader(),
            new Class<?>[] {io.limiquantix.node.api.Hypervisor.class}, (proxy, method, args) -> {
                if (method.getName().equals("stats")) return answer.get();
                try {
                    return method.invoke(delegate, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    }
}
