package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Snapshots of a real TCG guest with a qcow2 disk. The guest writes a marker at the start of its disk
 * ({@code lq.marker=A}) and later, on a command written into its serial console, another one
 * ({@code lq.console-marks=1}, see run/lib/guest-init.sh); the disk is read back from the host with qemu-io.
 * <ul>
 * <li>internal with memory: A, snapshot, B, revert → the disk holds A again and the guest runs;</li>
 * <li>what libvirt 9 cannot do is refused with the reason: an internal disk-only snapshot of a running guest,
 *     reverting to an external snapshot;</li>
 * <li>external disk-only, then external with memory: the base image keeps A while the guest writes C into the
 *     overlay; deleting both merges the overlays back (the base then holds C) and removes the memory file.</li>
 * </ul>
 * Prints the create/revert/delete times (figures, not assertions).
 */
class RealSnapshotTest {
    private static final Path IMAGES = Path.of("/var/lib/libvirt/images");

    @Test
    void snapshotsOfARealGuest() throws Exception {
        LibvirtTestSupport.requireOrSkip(GuestConsole.payloadPresent(),
            "guest payload missing at " + GuestConsole.PAYLOAD + " (build it with run/lib/guest-payload.sh)");
        LibvirtTestSupport.requireOrSkip(Files.isExecutable(Path.of("/usr/bin/qemu-img")) && Files.isExecutable(Path.of("/usr/bin/qemu-io")),
            "qemu-img/qemu-io missing (Debian qemu-utils)");
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);

        LibvirtHypervisor hv = LibvirtTestSupport.connected("qemu-snap", "qemu:///system", AccelDecision.Requested.AUTO);
        String id = UUID.randomUUID().toString();
        String name = "lq-snap-" + id.substring(0, 8);
        Path base = IMAGES.resolve(name + ".qcow2");
        try {
            GuestConsole.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "16M"));
            VmSpec spec = VmSpec.builder(name).id(id).vcpus(1).memoryMiB(128)
                .kernelBoot(GuestConsole.KERNEL.toString(), GuestConsole.INITRD.toString(),
                    "console=ttyS0 panic=-1 lq.marker=A lq.console-marks=1")
                .fileDisk("root", base.toString(), DiskSource.Format.QCOW2)
                .graphics(GraphicsSpec.none()).serialConsole(true).build();
            hv.createVm(spec);
            long t0 = System.nanoTime();
            Path log = Path.of(bootAndWait(hv, id));
            System.out.printf("RealSnapshotTest: guest booted and wrote marker A in %.1f s%n", seconds(t0));
            assertEquals("LQMARK.A", GuestConsole.diskStart(base, "qcow2"));

            // --- internal, with memory
            List<OperationProgress> progress = new CopyOnWriteArrayList<>();
            long t = System.nanoTime();
            SnapshotInfo s1 = hv.createSnapshot(id, new SnapshotSpec("s1", "marker A", true, false), progress::add);
            double createInternal = seconds(t);
            assertTrue(s1.includesMemory(), s1.toString());
            assertFalse(s1.external(), s1.toString());
            assertEquals(VmState.RUNNING, s1.vmState());
            assertEquals("marker A", s1.description());
            assertTrue(s1.current());
            assertFalse(progress.isEmpty(), "snapshot creation reports progress");

            GuestConsole.command(liveXml(hv, id), log, "MARK B", "MARKER-WRITTEN B");
            assertEquals("LQMARK.B", GuestConsole.diskStart(base, "qcow2"));

            t = System.nanoTime();
            hv.revertSnapshot(id, "s1", null);
            double revertInternal = seconds(t);
            assertEquals(VmState.RUNNING, hv.status(id).state(), "a snapshot of a running guest reverts to a running guest");

            // libvirt takes internal snapshots of a running guest only together with its memory
            UnsupportedFeatureException diskOnly = assertThrows(UnsupportedFeatureException.class,
                () -> hv.createSnapshot(id, new SnapshotSpec("s-disk", null, false, false), null));
            assertEquals(Feature.SNAPSHOT_INTERNAL, diskOnly.feature());
            assertTrue(diskOnly.getMessage().startsWith("includeMemory:"), diskOnly.getMessage());

            assertEquals("LQMARK.A", GuestConsole.diskStart(base, "qcow2"), "revert must bring back the disk of the snapshot");
            List<SnapshotInfo> listed = hv.listSnapshots(id);
            assertEquals(List.of("s1"), listed.stream().map(SnapshotInfo::name).toList());
            assertTrue(listed.get(0).current());

            t = System.nanoTime();
            hv.deleteSnapshot(id, "s1");
            double deleteInternal = seconds(t);
            assertTrue(hv.listSnapshots(id).isEmpty());

            // --- external: disk-only, then with memory; the reverted guest goes on (one boot for the whole test)
            t = System.nanoTime();
            SnapshotInfo e1 = hv.createSnapshot(id, new SnapshotSpec("e1", null, false, true), null);
            double createExternal = seconds(t);
            assertTrue(e1.external(), e1.toString());
            assertFalse(e1.includesMemory(), e1.toString());
            Path overlay1 = Path.of(diskSource(hv, id));
            assertFalse(overlay1.equals(base), "the guest now writes into an overlay: " + overlay1);
            GuestConsole.command(liveXml(hv, id), log, "MARK C", "MARKER-WRITTEN C");
            // (the reverted guest answers on its console: its reader was restored with its memory)
            assertEquals("LQMARK.A", GuestConsole.diskStart(base, "qcow2"), "the base image keeps the snapshot's state");
            assertEquals("LQMARK.C", GuestConsole.diskStart(overlay1, "qcow2"));

            t = System.nanoTime();
            SnapshotInfo e2 = hv.createSnapshot(id, new SnapshotSpec("e2", null, true, true), null);
            double createExternalMemory = seconds(t);
            assertTrue(e2.external() && e2.includesMemory(), e2.toString());
            assertEquals("e1", e2.parent());
            Path memory = IMAGES.resolve(name + ".e2.memory");
            assertTrue(Files.size(memory) > 0, "memory file " + memory);
            assertEquals(VmState.RUNNING, hv.status(id).state());

            for (String external : List.of("e1", "e2")) {
                UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> hv.revertSnapshot(id, external, null));
                assertEquals(Feature.SNAPSHOT_EXTERNAL, e.feature());
                assertTrue(e.getMessage().startsWith("snapshotName: " + external + " is an external snapshot"), e.getMessage());
            }
            List<SnapshotInfo> both = hv.listSnapshots(id);
            assertEquals(2, both.size(), both.toString());
            SnapshotInfo listedE2 = both.stream().filter(s -> s.name().equals("e2")).findFirst().orElseThrow();
            assertTrue(listedE2.current());
            assertNull(both.stream().filter(s -> s.name().equals("e1")).findFirst().orElseThrow().parent());

            t = System.nanoTime();
            hv.deleteSnapshot(id, "e2");
            double deleteExternal = seconds(t);
            assertFalse(Files.exists(memory), "deleting the snapshot removes its memory file");
            hv.deleteSnapshot(id, "e1");
            assertEquals(base.toString(), diskSource(hv, id), "the overlays are merged back into the base image");
            assertEquals("LQMARK.C", GuestConsole.diskStart(base, "qcow2"));
            assertFalse(Files.exists(overlay1), "the merged overlay is removed");

            System.out.printf("RealSnapshotTest: all snapshot steps done %.1f s after the start%n", seconds(t0));
            System.out.printf("RealSnapshotTest figures (s): internal+memory create %.2f revert %.2f delete %.2f;"
                    + " external disk-only create %.2f; external+memory create %.2f delete %.2f%n",
                createInternal, revertInternal, deleteInternal, createExternal, createExternalMemory, deleteExternal);
            hv.forceStopVm(id);
            assertThrows(ConflictException.class, () -> hv.createSnapshot(id, new SnapshotSpec("s-mem", null, true, false), null),
                "a stopped VM has no memory to save");
            hv.deleteVm(id);
        } finally {
            LibvirtTestSupport.removeQuietly(hv, id);
            hv.close();
            try (var files = Files.list(IMAGES)) {
                for (Path p : files.filter(p -> p.getFileName().toString().startsWith(name)).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /** Starts the VM and waits until the guest wrote marker A and listens on its console; returns the serial log. */
    private static String bootAndWait(LibvirtHypervisor hv, String id) {
        hv.startVm(id);
        Path log = Path.of(hv.consoleInfo(id).serialLog());
        GuestConsole.waitForLog(log, 0, "MARKER-WRITTEN A");
        GuestConsole.waitForLog(log, 0, "CONSOLE-MARKS ready");
        return log.toString();
    }

    private static String liveXml(LibvirtHypervisor hv, String id) {
        return hv.connection().call("live XML", c -> Domains.lookup(c, id).getXMLDesc(0));
    }

    private static String diskSource(LibvirtHypervisor hv, String id) {
        return XmlDoc.parse(liveXml(hv, id)).string("/domain/devices/disk[target/@dev='vda']/source/@file");
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
