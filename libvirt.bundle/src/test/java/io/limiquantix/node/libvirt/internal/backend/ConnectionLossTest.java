package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.BackendUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A backend whose libvirt does not answer: unavailable with a reason, calls fail fast, close is clean. */
class ConnectionLossTest {
    @Test
    void unreachableDaemon() {
        LibvirtTestSupport.startLoop();
        // Nothing listens on port 1: the connect is refused at once, and retried in the background.
        LibvirtHypervisor hv = new LibvirtHypervisor("nowhere", "qemu+tcp://127.0.0.1:1/system", AccelDecision.Requested.AUTO);
        hv.open();
        try {
            LibvirtTestSupport.waitFor(Duration.ofSeconds(20), () -> hv.health().detail().startsWith("cannot connect"),
                () -> "no connect failure reported: " + hv.health());
            BackendHealth h = hv.health();
            assertEquals(BackendHealth.Status.UNAVAILABLE, h.status());
            assertTrue(h.detail().contains("127.0.0.1:1"), h.detail());
            assertTrue(h.detail().contains("next attempt in"), h.detail());
            assertFalse(hv.capabilities().capable());
            long start = System.nanoTime();
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> hv.status(UUID.randomUUID().toString()));
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos(), "calls must fail fast while disconnected");
            assertTrue(e.getMessage().contains("not connected"), e.getMessage());
        } finally {
            hv.close();
        }
        assertEquals("backend closed", hv.health().detail());
    }

    @Test
    void reconnectsAfterALostConnectionAndKeepsDeliveringEvents() {
        LibvirtHypervisor hv = LibvirtTestSupport.connected("flaky", "test:///default", AccelDecision.Requested.AUTO);
        java.util.List<io.limiquantix.node.api.VmEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        String id = UUID.randomUUID().toString();
        try (io.limiquantix.node.api.Subscription s = hv.subscribe(events::add)) {
            hv.connection().lost("simulated: libvirtd went away");
            // at once: unavailable with the reason, and calls fail fast
            BackendHealth down = hv.health();
            if (down.isHealthy()) {
                // the reconnect may already have happened on a fast machine; the events below still prove it
                assertTrue(events.stream().anyMatch(e -> e.type() == io.limiquantix.node.api.VmEvent.Type.BACKEND_DOWN));
            } else {
                assertTrue(down.detail().contains("simulated"), down.detail());
            }
            LibvirtTestSupport.waitFor(Duration.ofSeconds(20), () -> hv.health().isHealthy(), () -> "no reconnect: " + hv.health());
            List<io.limiquantix.node.api.VmEvent.Type> types = events.stream().map(io.limiquantix.node.api.VmEvent::type).toList();
            assertTrue(types.contains(io.limiquantix.node.api.VmEvent.Type.BACKEND_DOWN), types.toString());
            LibvirtTestSupport.waitFor(Duration.ofSeconds(5), () -> events.stream().anyMatch(e -> e.type() == io.limiquantix.node.api.VmEvent.Type.BACKEND_UP),
                () -> "no BACKEND_UP: " + events);
            // lifecycle events flow on the new connection
            hv.createVm(io.limiquantix.node.api.VmSpec.builder("flaky-" + id.substring(0, 8)).id(id).build());
            LibvirtTestSupport.waitFor(Duration.ofSeconds(10), () -> events.stream().anyMatch(e -> id.equals(e.vmId())
                && e.type() == io.limiquantix.node.api.VmEvent.Type.DEFINED), () -> "no DEFINED after reconnect: " + events);
        } finally {
            try {
                hv.deleteVm(id);
            } catch (RuntimeException ignored) {
                // not created
            }
            hv.close();
        }
    }

    @Test
    void eventLoopStopsAndRestarts() throws Exception {
        LibvirtTestSupport.startLoop();
        assertTrue(LibvirtTestSupport.LOOP.isRunning());
        LibvirtTestSupport.LOOP.stop();
        assertFalse(LibvirtTestSupport.LOOP.isRunning(), "the event loop thread must end on stop");
        LibvirtTestSupport.LOOP.start();
        assertTrue(LibvirtTestSupport.LOOP.isRunning());
        // and events still flow after the restart
        LibvirtHypervisor hv = LibvirtTestSupport.connected("restart", "test:///default", AccelDecision.Requested.AUTO);
        try {
            assertTrue(hv.health().isHealthy());
        } finally {
            hv.close();
        }
    }
}
