package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.MemorySpec;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.PlacementHints;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.storage.DiskSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmLedgerTest {
    @TempDir
    Path dir;

    static VmSpec fullSpec() {
        return new VmSpec("123e4567-e89b-42d3-a456-426614174000", "full",
            new CpuSpec(4, 1, 2, 2, CpuSpec.Mode.HOST_PASSTHROUGH, null), new MemorySpec(4096, true),
            GuestOs.windows("win2k22"), Firmware.UEFI_SECURE_BOOT,
            io.limiquantix.node.api.BootSource.kernel("/var/lib/limiquantix/images/vmlinuz", "/var/lib/limiquantix/images/initrd",
                "console=ttyS0 root=/dev/vda1"),
            List.of(new DiskSpec("sys", DiskSource.file("/var/lib/limiquantix/images/sys.qcow2", DiskSource.Format.QCOW2),
                    DiskSpec.Bus.SATA, DiskSpec.Device.DISK, false, 1),
                new DiskSpec("data", DiskSource.volume("ceph", "pool/data@snap"), DiskSpec.Bus.SCSI, null, true, 0),
                new DiskSpec("net", DiskSource.network("rbd", "pool/x", List.of("mon1:6789", "[::1]:6789"), "admin",
                    "9b2e1f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"), null, null, false, 0)),
            List.of(NicSpec.network("default"), new NicSpec(null, "br0", NicSpec.Model.E1000E, "52:54:00:12:34:56")),
            new GraphicsSpec(GraphicsSpec.Type.SPICE, "::1"), true,
            List.of(new GpuRequest(null, "10de:1db6", null, 2)), List.of(new UsbRequest(null, 1, 4)), true,
            new PlacementHints("qemu", true, true), Map.of("team", "infra"),
            List.of(new HostDevice(HostDevice.Kind.PCI, "0000:01:00.0", "10de", "1db6", "030200", "vfio-pci", 12, 0,
                null, null, "Tesla V100")));
    }

    @Test
    void aFullSpecSurvivesTheRoundTrip() {
        VmSpec spec = fullSpec();
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.created(spec, "qemu", "gpu-vfio"), true);
        }
        try (VmLedger reopened = VmLedger.open(dir)) {
            VmEntry e = reopened.get(spec.id()).orElseThrow();
            assertEquals(spec, e.spec());
            assertEquals("qemu", e.backend());
            assertEquals("gpu-vfio", e.deviceProvider());
            assertEquals("create", e.pendingOperation());
            assertFalse(e.adopted());
        }
    }

    @Test
    void eachWriteReplacesTheFileAndKeepsThePreviousOne() throws Exception {
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.adopted("11111111-1111-4111-8111-111111111111", "one", "qemu", VmState.RUNNING, ""), false);
            String first = Files.readString(dir.resolve("ledger.json"));
            ledger.insert(VmEntry.adopted("22222222-2222-4222-8222-222222222222", "two", "qemu", VmState.STOPPED, ""), false);
            assertEquals(first, Files.readString(dir.resolve("ledger.json.prev")));
            assertTrue(Files.readString(dir.resolve("ledger.json")).contains("\"two\""));
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of("ledger.json", "ledger.json.prev", "ledger.lock"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                "no temporary files are left behind");
        }
    }

    @Test
    void aTruncatedLedgerIsRecoveredFromPrev() throws Exception {
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.adopted("11111111-1111-4111-8111-111111111111", "one", "qemu", VmState.RUNNING, ""), false);
            ledger.insert(VmEntry.adopted("22222222-2222-4222-8222-222222222222", "two", "qemu", VmState.RUNNING, ""), false);
        }
        Path current = dir.resolve("ledger.json");
        byte[] bytes = Files.readAllBytes(current);
        Files.write(current, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        try (VmLedger recovered = VmLedger.open(dir)) {
            assertTrue(recovered.get("11111111-1111-4111-8111-111111111111").isPresent(), "the .prev holds the first VM");
            recovered.insert(VmEntry.adopted("33333333-3333-4333-8333-333333333333", "three", "qemu", VmState.RUNNING, ""), false);
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("ledger.json.corrupt-")),
                "the unreadable file is kept aside, not made the previous version");
        }
        try (VmLedger again = VmLedger.open(dir)) {
            assertEquals(2, again.all().size());
        }
    }

    @Test
    void anEmptyLedgerFileIsRecoveredToo() throws Exception {
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.adopted("11111111-1111-4111-8111-111111111111", "one", "qemu", VmState.RUNNING, ""), false);
            ledger.insert(VmEntry.adopted("22222222-2222-4222-8222-222222222222", "two", "qemu", VmState.RUNNING, ""), false);
        }
        Files.write(dir.resolve("ledger.json"), new byte[0]);
        try (VmLedger recovered = VmLedger.open(dir)) {
            assertEquals(1, recovered.all().size());
        }
    }

    @Test
    void refusesToStartEmptyWhenNeitherFileCanBeRead() throws Exception {
        Files.writeString(dir.resolve("ledger.json"), "{\"format\":1,\"vms\":[{\"id\":");
        Files.writeString(dir.resolve("ledger.json.prev"), "garbage");
        LedgerFile.UnreadableException e = assertThrows(LedgerFile.UnreadableException.class, () -> VmLedger.open(dir));
        assertTrue(e.getMessage().contains("refuses to start with an empty ledger"), e.getMessage());
        assertEquals("garbage", Files.readString(dir.resolve("ledger.json.prev")), "nothing was overwritten");
    }

    @Test
    void refusesWhenTheOnlyFileIsCorrupt() throws Exception {
        Files.writeString(dir.resolve("ledger.json"), "{ not json");
        assertThrows(LedgerFile.UnreadableException.class, () -> VmLedger.open(dir));
    }

    @Test
    void aLedgerDirectoryIsUsedByOneLedgerAtATime() {
        try (VmLedger first = VmLedger.open(dir)) {
            LedgerFile.UnreadableException e = assertThrows(LedgerFile.UnreadableException.class, () -> VmLedger.open(dir));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
        }
        VmLedger.open(dir).close();
    }

    @Test
    void aFreshDirectoryStartsEmpty() {
        try (VmLedger ledger = VmLedger.open(dir.resolve("new"))) {
            assertTrue(ledger.all().isEmpty());
        }
    }

    @Test
    void pendingOperationsSurviveAReload() {
        String id = "11111111-1111-4111-8111-111111111111";
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.adopted(id, "one", "qemu", VmState.RUNNING, ""), false);
            ledger.update(id, e -> e.withPending("stop"));
        }
        try (VmLedger reopened = VmLedger.open(dir)) {
            VmEntry e = reopened.get(id).orElseThrow();
            assertEquals("stop", e.pendingOperation());
            assertTrue(e.pendingSince() != null);
        }
    }

    @Test
    void recordedStatesAreWrittenAtClose() {
        String id = "11111111-1111-4111-8111-111111111111";
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.adopted(id, "one", "qemu", VmState.RUNNING, ""), false);
            ledger.recordState(id, VmState.PAUSED, "by test");
        }
        try (VmLedger reopened = VmLedger.open(dir)) {
            assertEquals(VmState.PAUSED, reopened.get(id).orElseThrow().lastKnownState());
        }
    }

    @Test
    void aListingsStatesAreRecordedTogetherAndWritten() {
        String a = "11111111-1111-4111-8111-111111111111";
        String b = "22222222-2222-4222-8222-222222222222";
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.adopted(a, "a", "qemu", VmState.RUNNING, ""), false);
            ledger.insert(VmEntry.adopted(b, "b", "qemu", VmState.STOPPED, ""), false);
            VmEntry before = ledger.get(b).orElseThrow();
            ledger.recordStates(List.of(new VmLedger.Observed(a, VmState.PAUSED, "paused by the test"),
                new VmLedger.Observed(b, VmState.STOPPED, ""),
                new VmLedger.Observed("33333333-3333-4333-8333-333333333333", VmState.RUNNING, "")));
            assertEquals(VmState.PAUSED, ledger.get(a).orElseThrow().lastKnownState());
            assertEquals("paused by the test", ledger.get(a).orElseThrow().stateReason());
            assertTrue(before == ledger.get(b).orElseThrow(), "an unchanged state leaves the entry as it was");
            assertEquals(2, ledger.all().size(), "an observation of an unknown VM adds nothing");
        }
        try (VmLedger reopened = VmLedger.open(dir)) {
            assertEquals(VmState.PAUSED, reopened.get(a).orElseThrow().lastKnownState());
            assertEquals(VmState.STOPPED, reopened.get(b).orElseThrow().lastKnownState());
        }
    }

    @Test
    void namesAreUniqueForCreatedVmsAndResolvable() {
        try (VmLedger ledger = VmLedger.open(dir)) {
            VmSpec spec = VmSpec.builder("web").id("11111111-1111-4111-8111-111111111111").build();
            ledger.insert(VmEntry.created(spec, "qemu", null), true);
            VmSpec clash = VmSpec.builder("web").id("22222222-2222-4222-8222-222222222222").build();
            assertThrows(ConflictException.class, () -> ledger.insert(VmEntry.created(clash, "qemu", null), true));
            assertEquals(1, ledger.all().size(), "a refused insert changes nothing");
            assertEquals(spec.id(), ledger.resolve("web").id());
            assertEquals(spec.id(), ledger.resolve(spec.id()).id());
            ledger.insert(VmEntry.adopted("33333333-3333-4333-8333-333333333333", "web", "other", VmState.RUNNING, ""), false);
            assertThrows(ConflictException.class, () -> ledger.resolve("web"), "an ambiguous name asks for the id");
        }
    }

    @Test
    void aStoredSpecThatNoLongerValidatesIsKeptVerbatim() throws Exception {
        String id = "11111111-1111-4111-8111-111111111111";
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.created(VmSpec.builder("old").id(id).vcpus(2).build(), "qemu", null), true);
        }
        Path file = dir.resolve("ledger.json");
        Files.writeString(file, Files.readString(file).replace("\"vcpus\" : 2", "\"vcpus\" : 9999"));
        try (VmLedger ledger = VmLedger.open(dir)) {
            VmEntry e = ledger.get(id).orElseThrow();
            assertNull(e.spec());
            assertEquals(9999, e.unreadableSpec().get("cpu").get("vcpus").asInt());
            ledger.update(id, x -> x.withPending(null));
        }
        assertTrue(Files.readString(file).contains("\"vcpus\" : 9999"), "the spec is written back unchanged");
    }
}
