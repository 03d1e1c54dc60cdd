package io.limiquantix.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.storage.DiskSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmSpecValidationTest {

    private static InvalidArgumentException refused(Runnable r) {
        return assertThrows(InvalidArgumentException.class, r::run);
    }

    @Test
    void aValidSpecKeepsWhatWasGivenAndFillsDefaults() {
        VmSpec spec = VmSpec.builder("web-01").vcpus(2).memoryMiB(1024)
            .kernelBoot("/var/lib/limiquantix/images/vmlinuz", "/var/lib/limiquantix/images/initrd", "console=ttyS0")
            .fileDisk("root", "/var/lib/limiquantix/images/web-01.qcow2", DiskSource.Format.QCOW2).build();
        assertEquals("web-01", spec.name());
        assertEquals(2, spec.cpu().vcpus());
        assertEquals(OsFamily.LINUX, spec.os().family());
        assertEquals(Firmware.BIOS, spec.firmware());
        assertEquals(GraphicsSpec.Type.NONE, spec.graphics().type());
        assertEquals(DiskSpec.Bus.VIRTIO, spec.disks().get(0).bus());
        assertTrue(spec.hostDevices().isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "x</name><devices>", "../../etc/shadow", "-leading-dash", "a b", "naïve", "vm\u0000x",
        "vm&amp;", "vm'x", "ｗｅｂ", "аdmin" /* Cyrillic a */})
    void badNamesAreRefusedNamingTheField(String name) {
        InvalidArgumentException e = refused(() -> VmSpec.builder(name).build());
        assertEquals("name", e.field());
    }

    @Test
    void overLongNameIsRefused() {
        assertEquals("name", refused(() -> VmSpec.builder("a".repeat(65)).build()).field());
        assertEquals("a".repeat(64), VmSpec.builder("a".repeat(64)).build().name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../etc/shadow", "relative/disk.img", "/var/lib/limiquantix/images/../../../etc/shadow",
        "/var/lib/x/./y", "/var//lib", "/var/lib/</source>", "/var/lib/a b", "/var/lib/x\u0000y", "/var/lib/dir/"})
    void badDiskPathsAreRefusedWithTheirPath(String path) {
        InvalidArgumentException e = refused(() -> VmSpec.builder("vm").fileDisk("root", path, null).build());
        assertEquals("disks[0].source.path", e.field());
    }

    @Test
    void diskSourceErrorsCarryTheFullPathWhenBuiltFromRecords() {
        InvalidArgumentException e = refused(() -> DiskSource.file("../x", null));
        assertEquals("path", e.field());
        assertEquals("disks[3].source.path", e.under("disks[3].source").field());
    }

    @Test
    void vcpusAndMemoryOutOfRange() {
        assertEquals("cpu.vcpus", refused(() -> VmSpec.builder("vm").vcpus(0)).field());
        assertEquals("cpu.vcpus", refused(() -> VmSpec.builder("vm").vcpus(100000)).field());
        assertEquals("memory.sizeMiB", refused(() -> VmSpec.builder("vm").memoryMiB(-1)).field());
        assertEquals("memory.sizeMiB", refused(() -> VmSpec.builder("vm").memoryMiB(Long.MAX_VALUE)).field());
        assertEquals("sockets", refused(() -> new CpuSpec(4, 2, 1, 1, null, null)).field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"console=ttyS0 <x>", "a & b", "quote'", "dq\"", "nul\u0000", "bell\u0007", "bidi\u202e", "ctl\u0085"})
    void cmdlineWithMetacharactersOrControlsIsRefused(String cmdline) {
        InvalidArgumentException e = refused(() -> VmSpec.builder("vm").kernelBoot("/k", null, cmdline));
        assertEquals("boot.cmdline", e.field());
    }

    @Test
    void kernelFieldsOnlyWithKernelBoot() {
        assertEquals("kernel", refused(() -> new BootSource(BootSource.Kind.DISK, "/k", null, null)).field());
        assertEquals("kernel", refused(() -> new BootSource(BootSource.Kind.KERNEL, null, null, null)).field());
    }

    @Test
    void duplicateDiskNamesAndCdromBootWithoutCdrom() {
        assertEquals("disks[1].name", refused(() -> VmSpec.builder("vm").fileDisk("a", "/d/1", null)
            .fileDisk("a", "/d/2", null).build()).field());
        assertEquals("boot.kind", refused(() -> VmSpec.builder("vm").boot(new BootSource(BootSource.Kind.CDROM, null, null, null))
            .build()).field());
    }

    @Test
    void idMustBeALowerCaseUuid() {
        assertEquals("id", refused(() -> VmSpec.builder("vm").id("not-a-uuid").build()).field());
        assertEquals("id", refused(() -> VmSpec.builder("vm").id("123E4567-E89B-42D3-A456-426614174000").build()).field());
        assertEquals("123e4567-e89b-42d3-a456-426614174000",
            VmSpec.builder("vm").id("123e4567-e89b-42d3-a456-426614174000").build().id());
    }

    @Test
    void nicsGraphicsAndDevicesAreChecked() {
        assertEquals("network", refused(() -> new NicSpec("default", "br0", null, null)).field());
        assertEquals("mac", refused(() -> new NicSpec("default", null, null, "01:00:00:00:00:01")).field());
        assertEquals("mac", refused(() -> new NicSpec("default", null, null, "52:54:00:zz:00:01")).field());
        assertEquals("listen", refused(() -> new GraphicsSpec(GraphicsSpec.Type.VNC, "0.0.0.0\"/><x")).field());
        assertEquals("pciAddress", refused(() -> new GpuRequest("01:00.0", null, null, 1)).field());
        assertEquals("pciAddress", refused(() -> new GpuRequest(null, null, null, 1)).field());
        assertEquals("count", refused(() -> new GpuRequest(null, "10de:1db6", null, 99)).field());
        assertEquals("bus", refused(() -> new UsbRequest(null, 0, 3)).field());
    }

    @Test
    void labelsAreCheckedAndCopied() {
        assertEquals("labels[k]", refused(() -> VmSpec.builder("vm").labels(Map.of("k", "<v>")).build()).field());
        assertEquals("labels key", refused(() -> VmSpec.builder("vm").labels(Map.of("../k", "v")).build()).field());
    }

    @Test
    void networkSourcesNeedHostsAndValidVolumeNames() {
        assertEquals("hosts", refused(() -> DiskSource.network("rbd", "rbd/img", List.of(), null, null)).field());
        assertEquals("hosts[0]", refused(() -> DiskSource.network("rbd", "rbd/img", List.of("mon1"), null, null)).field());
        assertEquals("volume", refused(() -> DiskSource.network("rbd", "rbd/../img", List.of("127.0.0.1:6789"), null, null)).field());
        assertEquals("secretUuid", refused(() -> DiskSource.network("rbd", "rbd/img", List.of("127.0.0.1:6789"), "libvirt", "x")).field());
    }

    @Test
    void valuesAreImmutable() {
        VmSpec spec = VmSpec.builder("vm").fileDisk("a", "/d/1", null).build();
        assertThrows(UnsupportedOperationException.class, () -> spec.disks().add(spec.disks().get(0)));
        assertThrows(UnsupportedOperationException.class, () -> spec.labels().put("a", "b"));
    }
}
