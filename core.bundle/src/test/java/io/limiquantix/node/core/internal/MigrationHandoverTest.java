package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.core.internal.MigrationHandover.Owner;
import io.limiquantix.node.runtime.VmRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger's side of a migration: the marker written before, the VM recorded where it runs after, nothing
 * changed after a failure, and an interrupted migration settled from what both hosts report. The hosts are the
 * in-memory contract double (the libvirt side runs on two real hosts in libvirt.bundle's TwoHostMigrationTest).
 */
class MigrationHandoverTest {
    static final String A = "qemu+tcp://10.77.0.1/system";
    static final String B = "qemu+tcp://10.77.0.2/system";
    static final String IMAGES = "/var/lib/limiquantix/images";

    @TempDir
    Path tmp;
    Path data;
    NodeServiceImpl node;
    VmLedger ledger;
    final List<VmEvent> events = Collections.synchronizedList(new ArrayList<>());
    long serviceId = 1;

    @BeforeEach
    void start() throws Exception {
        data = tmp.resolve("data");
        Files.createDirectories(tmp.resolve("images"));
        node = newNode();
    }

    NodeServiceImpl newNode() {
        ledger = VmLedger.open(data);
        NodeServiceImpl n = new NodeServiceImpl(new NodeConfig(data, List.of(Path.of(IMAGES)), Duration.ofMillis(300), 4),
            ledger, Duration.ofSeconds(2));
        n.subscribe(events::add);
        return n;
    }

    @AfterEach
    void stop() {
        node.close();
        ledger.close();
    }

    InMemoryTestBackend backend(String name, InMemoryTestBackend h) throws Exception {
        node.registry().add(name, "memory", 1, serviceId++, h);
        node.reconciliation(name).get(10, TimeUnit.SECONDS);
        return h;
    }

    VmRecord running(String name) {
        VmRecord r = node.createVm(VmSpec.builder(name).vcpus(1).memoryMiB(256)
            .fileDisk("root", IMAGES + "/" + name + ".qcow2", DiskSource.Format.QCOW2).build());
        node.startVm(r.id());
        return r;
    }

    @Test
    void ownershipIsDecidedFromBothSides() {
        assertEquals(Owner.SOURCE, MigrationHandover.decide(VmState.RUNNING, null, true));
        assertEquals(Owner.SOURCE, MigrationHandover.decide(VmState.RUNNING, VmState.PAUSED, true), "an unfinished incoming copy loses");
        assertEquals(Owner.SOURCE, MigrationHandover.decide(VmState.PAUSED, null, false));
        assertEquals(Owner.TARGET, MigrationHandover.decide(null, VmState.RUNNING, true));
        assertEquals(Owner.TARGET, MigrationHandover.decide(VmState.STOPPED, VmState.RUNNING, true), "runs there, definition left here");
        assertEquals(Owner.SOURCE, MigrationHandover.decide(VmState.STOPPED, null, true));
        assertEquals(Owner.TARGET, MigrationHandover.decide(null, VmState.STOPPED, true), "offline migration completed");
        assertEquals(Owner.UNKNOWN, MigrationHandover.decide(null, null, true));
        assertEquals(Owner.UNKNOWN, MigrationHandover.decide(null, null, false));
        assertEquals("qemu+tcp://h/system", MigrationHandover.target(MigrationHandover.marker("qemu+tcp://h/system")));
        assertNull(MigrationHandover.target("start"));
    }

    @Test
    void aMigrationBetweenTwoBackendsOfThisNodeMovesTheEntry() throws Exception {
        InMemoryTestBackend a = backend("hostA", InMemoryTestBackend.linux());
        InMemoryTestBackend b = backend("hostB", InMemoryTestBackend.linux());
        a.hosts.put(B, b);
        VmRecord vm = running("web");
        node.migrate("web", B, MigrationOptions.liveDefaults(), null);
        VmRecord after = node.getVm(vm.id());
        assertEquals("hostB", after.backend(), "recorded on the target backend");
        assertNull(after.pendingOperation());
        assertEquals(VmState.RUNNING, after.state());
        assertTrue(eventArrives(e -> e.type() == VmEvent.Type.MIGRATED && vm.id().equals(e.vmId())));
        // survives a restart: the move was written
        stop();
        node = newNode();
        assertEquals("hostB", node.getVm(vm.id()).backend());
    }

    @Test
    void aMigrationToAnotherNodeHandsTheVmOver() throws Exception {
        InMemoryTestBackend a = backend("hostA", InMemoryTestBackend.linux());
        a.hosts.put(B, InMemoryTestBackend.linux());
        VmRecord vm = running("web");
        node.migrate("web", B, MigrationOptions.liveDefaults(), null);
        assertTrue(node.listVms().isEmpty(), "the destination's node adopts it; this ledger lets go");
        assertTrue(eventArrives(e -> e.type() == VmEvent.Type.MIGRATED && vm.id().equals(e.vmId())
            && e.detail().contains("handed over")));
    }

    @Test
    void aFailedMigrationLeavesTheVmOnTheSourceAndTheLedgerAsItWas() throws Exception {
        InMemoryTestBackend a = backend("hostA", InMemoryTestBackend.linux());
        InMemoryTestBackend b = backend("hostB", InMemoryTestBackend.linux());
        a.hosts.put(B, b);
        VmRecord vm = running("web");
        a.migrateFailure = new ConflictException("migration was aborted on request; the VM keeps running on this host");
        assertThrows(ConflictException.class, () -> node.migrate("web", B, MigrationOptions.liveDefaults(), null));
        VmRecord after = node.getVm(vm.id());
        assertEquals("hostA", after.backend());
        assertNull(after.pendingOperation(), "the marker is cleared");
        assertFalse(b.vms.containsKey(vm.id()));
        var missing = assertThrows(InvalidArgumentException.class, () -> node.migrate("web", " ", null, null));
        assertEquals("targetUri", missing.field());
    }

    @Test
    void anInterruptedMigrationIsSettledFromWhatBothHostsReport() throws Exception {
        InMemoryTestBackend a = backend("hostA", InMemoryTestBackend.linux());
        InMemoryTestBackend b = InMemoryTestBackend.linux();
        a.hosts.put(B, b);
        VmRecord stayed = running("stayed");
        VmRecord moved = running("moved");
        VmRecord lost = running("lost");
        stop();
        // the node stopped in the middle of three migrations (markers on disk):
        try (VmLedger l = VmLedger.open(data)) {
            for (VmRecord r : List.of(stayed, moved, lost)) l.update(r.id(), e -> e.withPending(MigrationHandover.marker(B)));
        }
        // ... "stayed" still runs on A (the migration failed), "moved" completed (runs on B, gone from A),
        // "lost" is on neither host
        b.vms.put(moved.id(), a.vms.remove(moved.id()));
        a.vms.remove(lost.id());
        events.clear();
        node = newNode();
        backend("hostA", a);

        VmRecord s = node.getVm(stayed.id());
        assertEquals("hostA", s.backend());
        assertNull(s.pendingOperation(), "runs on the source: settled there");
        assertThrows(io.limiquantix.node.api.NotFoundException.class, () -> node.getVm(moved.id()), "handed over to the target");
        assertTrue(eventArrives(e -> e.type() == VmEvent.Type.MIGRATED && moved.id().equals(e.vmId())));
        VmRecord l = node.getVm(lost.id());
        assertEquals(VmState.MISSING, l.state(), "nobody runs it: kept and shown missing");
        assertEquals(MigrationHandover.marker(B), l.pendingOperation(), "the marker stays until a host reports the VM");
    }

    /** Events reach subscribers on the fan-out's own thread: wait for the one expected (bounded), on a copy. */
    private boolean eventArrives(java.util.function.Predicate<VmEvent> expected) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        do {
            List<VmEvent> seen;
            synchronized (events) {
                seen = new ArrayList<>(events);
            }
            if (seen.stream().anyMatch(expected)) return true;
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return false;
    }
}
