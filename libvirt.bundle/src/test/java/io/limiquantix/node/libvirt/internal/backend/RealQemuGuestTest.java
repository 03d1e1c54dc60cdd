package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real guest on qemu:///system through the backend: a Debian kernel and a busybox initramfs that prints
 * GUEST-UP and then a TICK line per second listing its block devices. Covers define, start, the serial
 * log, the VNC console, disk hot-plug and unplug seen from inside the guest, a graceful stop that the
 * guest ignores (busybox init has no ACPI handling, so the stop must time out and leave it running),
 * force stop and delete. Skips loudly without libvirtd or the payload, unless LQ_REQUIRE_REAL=1.
 */
class RealQemuGuestTest {
    private static final Path PAYLOAD = Path.of("/var/lib/limiquantix/test-guest");
    private static final Path KERNEL = PAYLOAD.resolve("vmlinuz");
    private static final Path INITRD = PAYLOAD.resolve("initramfs.gz");
    private static final Path IMAGES = Path.of("/var/lib/libvirt/images");
    private static final Duration BOOT_LIMIT = Duration.ofSeconds(90);

    @Test
    void realGuestLifecycle() throws Exception {
        LibvirtTestSupport.requireOrSkip(Files.isReadable(KERNEL) && Files.isReadable(INITRD),
            "guest payload missing at " + PAYLOAD + " (build it with run/lib/guest-payload.sh)");
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);

        long t0 = System.nanoTime();
        LibvirtHypervisor hv = LibvirtTestSupport.connected("qemu-real", "qemu:///system", AccelDecision.Requested.AUTO);
        phase("connected and probed", t0);
        String id = UUID.randomUUID().toString();
        String name = "lq-real-" + id.substring(0, 8);
        Path disk = IMAGES.resolve(name + "-extra.raw");
        List<VmEvent> events = new CopyOnWriteArrayList<>();
        try (Subscription ignored = hv.subscribe(e -> {
            if (id.equals(e.vmId())) events.add(e);
        })) {
            HypervisorCapabilities caps = hv.capabilities();
            assertTrue(caps.capable(), String.valueOf(caps.notCapableReason()));
            assertEquals(KvmProbe.result().runsGuests() ? Accelerator.KVM : Accelerator.TCG, caps.accelerator(), caps.version());
            assertTrue(caps.has(Feature.DISK_HOTPLUG));

            VmSpec spec = VmSpec.builder(name).id(id).vcpus(1).memoryMiB(128)
                .kernelBoot(KERNEL.toString(), INITRD.toString(), "console=ttyS0 panic=-1")
                .graphics(GraphicsSpec.vnc()).serialConsole(true).build();
            assertEquals(VmState.STOPPED, hv.createVm(spec).state());
            hv.startVm(id);
            assertEquals(VmState.RUNNING, hv.status(id).state());

            ConsoleInfo console = hv.consoleInfo(id);
            Path log = Path.of(console.serialLog());
            assertEquals("/var/log/libvirt/qemu/" + name + "-serial.log", log.toString());
            waitForLog(log, 0, "GUEST-UP");
            waitForLog(log, 0, "TICK");
            phase("guest up and ticking", t0);

            assertEquals(GraphicsSpec.Type.VNC, console.type());
            assertTrue(console.port() > 0, "a running VM has a VNC port: " + console);
            assertNotNull(console.password());
            assertTrue(readBanner(console.host(), console.port()).startsWith("RFB "), "VNC answers with an RFB banner");

            // hot-plug: the guest lists its block devices on every TICK line
            try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                f.setLength(16L << 20);
            }
            long mark = Files.size(log);
            hv.attachDisk(id, DiskSpec.file("extra", disk.toString(), DiskSource.Format.RAW));
            waitForLog(log, mark, "disks=vda,");
            phase("hot-plugged disk seen by the guest", t0);
            assertThrows(ConflictException.class, () -> hv.attachDisk(id, DiskSpec.file("extra", disk.toString(), DiskSource.Format.RAW)));
            mark = Files.size(log);
            hv.detachDisk(id, "extra");
            waitForLog(log, mark, "TICK", line -> !line.contains("vda"));
            phase("unplugged disk gone from the guest", t0);
            assertThrows(NotFoundException.class, () -> hv.detachDisk(id, "extra"));

            hv.pauseVm(id);
            assertEquals(VmState.PAUSED, hv.status(id).state());
            hv.resumeVm(id);
            assertEquals(VmState.RUNNING, hv.status(id).state());

            // busybox init ignores the ACPI power button: the graceful stop must give up and leave it running
            List<OperationProgress> progress = new CopyOnWriteArrayList<>();
            assertThrows(ConflictException.class, () -> hv.stopVm(id, Duration.ofSeconds(3), progress::add));
            assertEquals(VmState.RUNNING, hv.status(id).state());
            assertFalse(progress.isEmpty(), "a graceful stop reports progress while it waits");
            phase("graceful stop timed out as expected", t0);

            hv.forceStopVm(id);
            assertEquals(VmState.STOPPED, hv.status(id).state());
            hv.deleteVm(id);
            assertThrows(NotFoundException.class, () -> hv.status(id));
            assertFalse(virshListsUuid(id), "virsh still lists " + id + " after delete");
            phase("deleted", t0);
            LibvirtTestSupport.waitFor(Duration.ofSeconds(10), () -> events.stream().anyMatch(e -> e.type() == VmEvent.Type.UNDEFINED),
                () -> "events seen: " + events.stream().map(VmEvent::type).toList());
            List<VmEvent.Type> seen = events.stream().map(VmEvent::type).toList();
            for (VmEvent.Type t : List.of(VmEvent.Type.DEFINED, VmEvent.Type.STARTED, VmEvent.Type.PAUSED, VmEvent.Type.RESUMED,
                VmEvent.Type.STOPPED, VmEvent.Type.UNDEFINED))
                assertTrue(seen.contains(t), "expected " + t + " from the real guest, got " + seen);
        } finally {
            LibvirtTestSupport.removeQuietly(hv, id);
            hv.close();
            Files.deleteIfExists(disk);
        }
    }

    /** Progress for whoever reads the test output (not an assertion: timings vary by machine). */
    private static void phase(String what, long t0) {
        System.out.printf("RealQemuGuestTest: %-40s at %5.1f s%n", what, (System.nanoTime() - t0) / 1e9);
    }

    private static void waitForLog(Path log, long from, String needle) {
        waitForLog(log, from, needle, line -> true);
    }

    /** Waits (bounded) until a line after byte {@code from} contains {@code needle} and passes {@code also}. */
    private static void waitForLog(Path log, long from, String needle, java.util.function.Predicate<String> also) {
        LibvirtTestSupport.waitFor(BOOT_LIMIT, () -> tail(log, from).lines().anyMatch(l -> l.contains(needle) && also.test(l)),
            () -> "no '" + needle + "' line in " + log + " within " + BOOT_LIMIT.toSeconds() + " s; the log ends with:\n"
                + last(tail(log, from), 1500));
    }

    private static String tail(Path log, long from) {
        try {
            byte[] all = Files.readAllBytes(log);
            int start = (int) Math.min(from, all.length);
            return new String(all, start, all.length - start, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String last(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }

    private static String readBanner(String host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            byte[] b = in.readNBytes(12);
            return new String(b, StandardCharsets.US_ASCII);
        }
    }

    private static boolean virshListsUuid(String id) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("virsh", "-c", "qemu:///system", "list", "--all", "--uuid").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "virsh list failed: " + out);
        return out.lines().anyMatch(l -> l.trim().equals(id));
    }
}
