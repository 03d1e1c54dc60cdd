package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LqCommandsTest {
    @TempDir
    Path tmp;
    VmLedger ledger;
    NodeServiceImpl node;
    LqCommands lq;
    InMemoryTestBackend qemu;

    @BeforeEach
    void start() throws Exception {
        ledger = VmLedger.open(tmp);
        node = new NodeServiceImpl(new NodeConfig(tmp, List.of(Path.of("/var/lib/limiquantix/images")), Duration.ZERO, 2),
            ledger, Duration.ofSeconds(2));
        lq = new LqCommands(node);
        qemu = InMemoryTestBackend.linux();
        node.registry().add("qemu", "memory", 100, 1, qemu);
        node.registry().add("win", "memory", 1, 2, InMemoryTestBackend.with(Feature.WINDOWS_GUEST));
        node.reconciliation("qemu").get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        node.close();
        ledger.close();
    }

    @Test
    void backendsAndVmsAreTabulated() {
        node.createVm(VmSpec.builder("web").build());
        String backends = lq.backends();
        assertTrue(backends.contains("qemu") && backends.contains("HEALTHY") && backends.contains("KVM"), backends);
        String vms = lq.vms();
        assertTrue(vms.contains("web") && vms.contains("STOPPED"), vms);
    }

    @Test
    void placeExplainsEveryCandidate() {
        String linux = lq.place("a", 2, 1024);
        assertTrue(linux.startsWith("placed on qemu"), linux);
        assertTrue(linux.contains("ranking 1 < 100"), linux);
        String windows = lq.place("w", 2, 1024, "windows");
        assertTrue(windows.startsWith("placed on win"), windows);
        assertTrue(windows.contains("lacks WINDOWS_GUEST"), windows);
        String pinned = lq.place("w", 2, 1024, "windows", "qemu");
        assertTrue(pinned.startsWith("NOT placed"), pinned);
        assertTrue(lq.place("bad name", 2, 1024).startsWith("error (InvalidArgument): name:"));
        assertTrue(lq.place("a", 2, 1024, "beos").contains("os: must be linux or windows"));
        assertTrue(node.listVms().isEmpty(), "place creates nothing");
    }

    @Test
    void startAndStopReportOutcomesAndErrors() {
        node.createVm(VmSpec.builder("web").build());
        assertEquals("started web", lq.start("web"));
        assertEquals(VmState.RUNNING, node.getVm("web").state());
        assertEquals("stopped web", lq.stop("web", 5));
        assertTrue(lq.start("nope").startsWith("error (NotFound)"), lq.start("nope"));
        node.registry().remove(1);
        assertTrue(lq.stop("web").contains("backend 'qemu' is not present"), lq.stop("web"));
    }
}
