package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Events, not polling, against a real libvirtd and a real TCG guest: start, pause and destroy each produce
 * their event within a second of the call returning, while the backend's own threads sit idle (WAITING, no
 * timed wait: nothing of ours wakes up to look); then the daemon is killed and started again — the backend
 * reports itself unavailable (calls fail at once), then healthy, and events of the guest that kept running
 * meanwhile flow again on the new connection.
 *
 * <p>The daemon is a private one ({@code run/lib/private-libvirtd.sh}: own mount namespace, own socket), so
 * the machine's main libvirtd is never touched; it is stopped and started by PID.
 */
class RealEventsAndRestartTest {
    private static final Path SCRIPT = Path.of("../run/lib/private-libvirtd.sh").toAbsolutePath().normalize();
    private static final String BACKEND = "qemu-evt";

    record Seen(VmEvent event, long nanos) {
    }

    @Test
    void eventsFlowWithoutPollingAndSurviveALibvirtdRestart() throws Exception {
        LibvirtTestSupport.requireOrSkip(GuestConsole.payloadPresent(), "guest payload missing at " + GuestConsole.PAYLOAD);
        LibvirtTestSupport.requireOrSkip(Files.isExecutable(SCRIPT), SCRIPT + " missing");
        LibvirtTestSupport.requireOrSkip(Files.isExecutable(Path.of("/usr/sbin/libvirtd")), "libvirtd is not installed");
        LibvirtTestSupport.requireOrSkip("root".equals(System.getProperty("user.name")),
            "a private libvirtd needs root (mount namespace); running as " + System.getProperty("user.name"));

        Path dir = Files.createTempDirectory("lq-privd");
        String uri = "qemu+unix:///system?socket=" + dir.resolve("sock/libvirt-sock");
        script("up", dir);
        LibvirtHypervisor hv = null;
        String id = UUID.randomUUID().toString();
        List<Seen> seen = new CopyOnWriteArrayList<>();
        List<String> figures = new ArrayList<>();
        try {
            hv = LibvirtTestSupport.connected(BACKEND, uri, AccelDecision.Requested.TCG);
            LibvirtHypervisor backend = hv;
            Subscription sub = hv.subscribe(e -> seen.add(new Seen(e, System.nanoTime())));
            VmSpec spec = VmSpec.builder("lq-evt-" + id.substring(0, 8)).id(id).vcpus(1).memoryMiB(128)
                .kernelBoot(GuestConsole.KERNEL.toString(), GuestConsole.INITRD.toString(), "console=ttyS0 panic=-1")
                .graphics(GraphicsSpec.none()).serialConsole(false).build();
            hv.createVm(spec);
            awaitEvent(seen, id, VmEvent.Type.DEFINED, 0, "define", figures);

            long mark = System.nanoTime();
            hv.startVm(id);
            awaitEvent(seen, id, VmEvent.Type.STARTED, mark, "start", figures);
            assertIdleThreads();
            mark = System.nanoTime();
            hv.pauseVm(id);
            awaitEvent(seen, id, VmEvent.Type.PAUSED, mark, "pause", figures);
            mark = System.nanoTime();
            hv.resumeVm(id);
            awaitEvent(seen, id, VmEvent.Type.RESUMED, mark, "resume", figures);
            assertIdleThreads();

            // --- the daemon goes away while the guest runs
            long killed = System.nanoTime();
            script("kill", dir);
            LibvirtTestSupport.waitFor(Duration.ofSeconds(30), () -> !backend.health().isHealthy(),
                () -> "still healthy after libvirtd was killed: " + LibvirtTestSupport.describe(backend.health()));
            figures.add(String.format("unhealthy %.0f ms after the kill", (System.nanoTime() - killed) / 1e6));
            BackendHealth down = hv.health();
            assertEquals(BackendHealth.Status.UNAVAILABLE, down.status());
            LibvirtTestSupport.waitFor(Duration.ofSeconds(10), () -> seen.stream().anyMatch(s -> s.event().type() == VmEvent.Type.BACKEND_DOWN),
                () -> "no BACKEND_DOWN: " + types(seen));
            long t = System.nanoTime();
            assertThrows(BackendUnavailableException.class, () -> backend.status(id), "calls fail while the daemon is away");
            assertTrue(System.nanoTime() - t < TimeUnit.SECONDS.toNanos(2), "and fail at once");

            long restarted = System.nanoTime();
            int upsBefore = count(seen, VmEvent.Type.BACKEND_UP);
            script("start", dir);
            LibvirtTestSupport.waitFor(Duration.ofSeconds(60), () -> backend.health().isHealthy(),
                () -> "no reconnect after libvirtd came back: " + LibvirtTestSupport.describe(backend.health()));
            figures.add(String.format("healthy again %.0f ms after the restart", (System.nanoTime() - restarted) / 1e6));
            LibvirtTestSupport.waitFor(Duration.ofSeconds(10), () -> count(seen, VmEvent.Type.BACKEND_UP) > upsBefore,
                () -> "no BACKEND_UP after the reconnect: " + types(seen));
            assertEquals(VmState.RUNNING, hv.status(id).state(), "the guest kept running while libvirtd was away");

            // --- events flow again: the callbacks were registered on the new connection
            mark = System.nanoTime();
            hv.pauseVm(id);
            awaitEvent(seen, id, VmEvent.Type.PAUSED, mark, "pause after restart", figures);
            mark = System.nanoTime();
            hv.forceStopVm(id);
            awaitEvent(seen, id, VmEvent.Type.STOPPED, mark, "destroy after restart", figures);
            assertIdleThreads();
            hv.deleteVm(id);
            awaitEvent(seen, id, VmEvent.Type.UNDEFINED, System.nanoTime() - TimeUnit.SECONDS.toNanos(1), "undefine", figures);
            sub.close();
            System.out.println("RealEventsAndRestartTest figures: " + String.join("; ", figures));
        } finally {
            if (hv != null) {
                LibvirtTestSupport.removeQuietly(hv, id);
                hv.close();
            }
            script("down", dir);
            deleteTree(dir);
        }
    }

    /**
     * Waits (bounded) for the event, then requires it to have arrived within a second of the call returning
     * (or before it returned: libvirt often emits it first). A poller with a period of a second or more
     * could not meet that.
     */
    private static void awaitEvent(List<Seen> seen, String id, VmEvent.Type type, long since, String what, List<String> figures) {
        long returned = System.nanoTime();
        LibvirtTestSupport.waitFor(Duration.ofSeconds(10), () -> find(seen, id, type, since) != null,
            () -> "no " + type + " event after " + what + "; seen: " + types(seen));
        Seen s = find(seen, id, type, since);
        assertNotNull(s);
        double ms = (s.nanos() - returned) / 1e6;
        figures.add(String.format("%s→%s %+.0f ms", what, type, ms));
        assertTrue(ms < 1000, type + " arrived " + ms + " ms after " + what + " returned; events must arrive within a second");
    }

    private static Seen find(List<Seen> seen, String id, VmEvent.Type type, long since) {
        for (Seen s : seen)
            if (s.nanos() >= since && s.event().type() == type && id.equals(s.event().vmId())) return s;
        return null;
    }

    private static int count(List<Seen> seen, VmEvent.Type type) {
        return (int) seen.stream().filter(s -> s.event().type() == type).count();
    }

    private static List<String> types(List<Seen> seen) {
        return seen.stream().map(s -> s.event().type().name()).toList();
    }

    /**
     * No thread of this backend polls: its connector and event-delivery threads wait without a timeout
     * (a scheduled re-check would show as TIMED_WAITING), and libvirt's event loop thread exists to wake on
     * its file descriptors.
     */
    private static void assertIdleThreads() throws InterruptedException {
        Thread.sleep(200); // let the delivery thread finish handing out the last event
        Map<Thread, StackTraceElement[]> all = Thread.getAllStackTraces();
        List<String> ours = new ArrayList<>();
        boolean loop = false;
        for (Thread t : all.keySet()) {
            String n = t.getName();
            if (n.equals("lq-libvirt-event-loop")) loop = true;
            if (!n.startsWith("lq-libvirt-" + BACKEND + "-")) continue;
            ours.add(n + "=" + t.getState());
            if (n.endsWith("-connector") || n.endsWith("-events"))
                assertEquals(Thread.State.WAITING, t.getState(), n + " must wait for work, not wake up on a timer: "
                    + java.util.Arrays.toString(all.get(t)));
            assertFalse(n.contains("poll"), "a polling thread: " + n);
        }
        assertTrue(loop, "libvirt's event loop thread runs");
        assertTrue(ours.stream().anyMatch(s -> s.contains("-connector=")), "threads of the backend: " + ours);
    }

    private static void script(String command, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(SCRIPT.toString(), command, dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "private-libvirtd.sh " + command + " did not finish");
        assertEquals(0, p.exitValue(), "private-libvirtd.sh " + command + " failed: " + out);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
