package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStats;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.api.storage.DiskSource;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The bulk statistics sweep against a real TCG guest on qemu:///system: the guest's record has CPU time that
 * grows, memory from the balloon group and the host's RSS, and its disk with I/O counters (the guest's kernel
 * reads the disk's partition table, so reads are non-zero). Skips loudly without libvirtd or the payload,
 * fails instead with LQ_REQUIRE_REAL=1.
 */
class RealQemuStatsTest {
    private static final Path PAYLOAD = Path.of("/var/lib/limiquantix/test-guest");
    private static final Path IMAGES = Path.of("/var/lib/libvirt/images");

    @Test
    void sweepOfARunningGuest() throws Exception {
        LibvirtTestSupport.requireOrSkip(Files.isReadable(PAYLOAD.resolve("vmlinuz")) && Files.isReadable(PAYLOAD.resolve("initramfs.gz")),
            "guest payload missing at " + PAYLOAD + " (build it with run/lib/guest-payload.sh)");
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);

        LibvirtHypervisor hv = LibvirtTestSupport.connected("qemu-stats", "qemu:///system", AccelDecision.Requested.AUTO);
        String id = UUID.randomUUID().toString();
        String name = "lq-stats-" + id.substring(0, 8);
        Path disk = IMAGES.resolve(name + ".raw");
        try {
            try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                f.setLength(8L << 20);
            }
            VmSpec spec = VmSpec.builder(name).id(id).vcpus(1).memoryMiB(128)
                .kernelBoot(PAYLOAD.resolve("vmlinuz").toString(), PAYLOAD.resolve("initramfs.gz").toString(), "console=ttyS0 panic=-1")
                .fileDisk("data", disk.toString(), DiskSource.Format.RAW).serialConsole(true).build();
            hv.createVm(spec);
            VmStats defined = find(hv, id);
            assertEquals(VmState.STOPPED, defined.state());
            assertEquals(0, defined.cpuTimeNanos());
            hv.startVm(id);
            // the kernel probes the disk while it boots: wait until the sweep shows reads (bounded, not timed)
            LibvirtTestSupport.waitFor(Duration.ofSeconds(120), () -> {
                VmStats s = find(hv, id);
                return !s.disks().isEmpty() && s.disks().get(0).readRequests() > 0;
            }, () -> "no disk reads reported for " + name + ": " + find(hv, id));
            VmStats first = find(hv, id);
            assertEquals(VmState.RUNNING, first.state());
            assertEquals(name, first.name());
            assertTrue(first.cpuTimeNanos() > 0, "a running guest reports CPU time: " + first);
            assertEquals(1, first.vcpus());
            assertEquals(128 * 1024, first.memory().maximumKiB(), first.memory().toString());
            assertEquals(128 * 1024, first.memory().currentKiB(), first.memory().toString());
            assertTrue(first.memory().rssKiB() > 0, "QEMU's resident memory: " + first.memory());
            assertEquals(1, first.disks().size(), first.disks().toString());
            VmStats.Disk d = first.disks().get(0);
            assertEquals("vda", d.name());
            assertEquals(disk.toString(), d.path());
            assertTrue(d.readBytes() > 0 && d.readRequests() > 0, d.toString());
            assertTrue(d.writeBytes() >= 0 && d.writeRequests() >= 0, d.toString());
            // The listing (one bulk call) carries what a per-domain status carries, on a real QEMU domain.
            VmStatus listed = hv.listVms().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
            VmStatus one = hv.status(id);
            assertEquals(one.name(), listed.name());
            assertEquals(VmState.RUNNING, listed.state());
            assertEquals(one.vcpus(), listed.vcpus());
            assertEquals(one.memoryMiB(), listed.memoryMiB());
            assertTrue(listed.cpuTimeNanos() > 0, "CPU time in the listing: " + listed);
            LibvirtTestSupport.waitFor(Duration.ofSeconds(60), () -> find(hv, id).cpuTimeNanos() > first.cpuTimeNanos(),
                () -> "CPU time did not grow past " + first.cpuTimeNanos());
            System.out.println("RealQemuStatsTest: " + find(hv, id));
        } finally {
            LibvirtTestSupport.removeQuietly(hv, id);
            hv.close();
            Files.deleteIfExists(disk);
        }
    }

    private static VmStats find(LibvirtHypervisor hv, String id) {
        return hv.stats().stream().filter(s -> s.id().equals(id)).findFirst()
            .orElseThrow(() -> new AssertionError("the sweep has no record of " + id));
    }
}
