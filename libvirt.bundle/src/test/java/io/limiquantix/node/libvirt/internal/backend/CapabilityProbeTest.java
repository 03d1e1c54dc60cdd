package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Feature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CapabilityProbeTest {
    @TempDir
    Path dir;

    @Test
    void hostFilesDecideFirmwareTpmAndRbd() throws Exception {
        Path ovmf = Files.createFile(dir.resolve("OVMF_CODE_4M.fd"));
        Path swtpm = Files.createFile(dir.resolve("swtpm"));
        swtpm.toFile().setExecutable(true);
        CapabilityProbe.HostFiles some = new CapabilityProbe.HostFiles(ovmf, dir.resolve("missing.secboot.fd"), swtpm,
            dir.resolve("missing-rbd.so"), dir.resolve("missing-spice.so"));
        Set<Feature> f = CapabilityProbe.qemuFeatures(true, some);
        assertTrue(f.contains(Feature.UEFI_FIRMWARE));
        assertTrue(f.contains(Feature.TPM));
        assertFalse(f.contains(Feature.SECURE_BOOT));
        assertFalse(f.contains(Feature.RBD_DISK));
        assertFalse(f.contains(Feature.SPICE_CONSOLE));
        Set<Feature> remote = CapabilityProbe.qemuFeatures(false, some);
        assertFalse(remote.contains(Feature.UEFI_FIRMWARE), "a remote host's files are not visible from here");
        assertTrue(remote.contains(Feature.DISK_HOTPLUG));
    }

    @Test
    void neverClaimsWhatTheCodeDoesNotEmit() {
        Set<Feature> f = CapabilityProbe.qemuFeatures(true, CapabilityProbe.HostFiles.debian());
        for (Feature never : Set.of(Feature.GPU_PASSTHROUGH, Feature.MEDIATED_DEVICE, Feature.USB_PASSTHROUGH,
            Feature.NESTED_VIRTUALIZATION, Feature.HUGE_PAGES, Feature.POST_COPY_MIGRATION, Feature.PERFORMANCE_PROFILE))
            assertFalse(f.contains(never), never + " is not implemented and must not be claimed");
        assertFalse(CapabilityProbe.testFeatures().contains(Feature.DISK_HOTPLUG));
    }
}
