package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.libvirt.internal.domain.HostCpuVendor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CapabilityProbeTest {
    @TempDir
    Path dir;

    private CapabilityProbe.HostFiles files(Path sysfs, Path vfio) {
        return new CapabilityProbe.HostFiles(dir.resolve("missing.fd"), dir.resolve("missing.secboot.fd"),
            dir.resolve("missing-swtpm"), dir.resolve("missing-rbd.so"), dir.resolve("missing-spice.so"), sysfs, vfio, dir.resolve("no-kvm"));
    }

    /** A sysfs tree as the kernel lays it out, with only what is asked for. */
    private Path sysfs(boolean iommuGroups, boolean mdevParent, String nestedIntel, String nestedAmd) throws IOException {
        Path sys = Files.createDirectories(dir.resolve("sys"));
        Files.createDirectories(sys.resolve("kernel/iommu_groups"));
        Files.createDirectories(sys.resolve("class/mdev_bus"));
        if (iommuGroups) Files.createDirectories(sys.resolve("kernel/iommu_groups/7/devices"));
        if (mdevParent) Files.createDirectories(sys.resolve("class/mdev_bus/0000:05:00.0"));
        if (nestedIntel != null)
            Files.writeString(Files.createDirectories(sys.resolve("module/kvm_intel/parameters")).resolve("nested"), nestedIntel + "\n");
        if (nestedAmd != null)
            Files.writeString(Files.createDirectories(sys.resolve("module/kvm_amd/parameters")).resolve("nested"), nestedAmd + "\n");
        return sys;
    }

    private Path vfio() throws IOException {
        return Files.createFile(dir.resolve("vfio"));
    }

    @Test
    void hostFilesDecideFirmwareTpmAndRbd() throws Exception {
        Path ovmf = Files.createFile(dir.resolve("OVMF_CODE_4M.fd"));
        Path swtpm = Files.createFile(dir.resolve("swtpm"));
        swtpm.toFile().setExecutable(true);
        CapabilityProbe.HostFiles some = new CapabilityProbe.HostFiles(ovmf, dir.resolve("missing.secboot.fd"), swtpm,
            dir.resolve("missing-rbd.so"), dir.resolve("missing-spice.so"), dir.resolve("no-sys"), dir.resolve("no-vfio"), dir.resolve("no-kvm"));
        Set<Feature> f = CapabilityProbe.qemuFeatures(true, Accelerator.TCG, some);
        assertTrue(f.contains(Feature.UEFI_FIRMWARE));
        assertTrue(f.contains(Feature.TPM));
        assertFalse(f.contains(Feature.SECURE_BOOT));
        assertFalse(f.contains(Feature.RBD_DISK));
        assertFalse(f.contains(Feature.SPICE_CONSOLE));
        Set<Feature> remote = CapabilityProbe.qemuFeatures(false, Accelerator.TCG, some);
        assertFalse(remote.contains(Feature.UEFI_FIRMWARE), "a remote host's files are not visible from here");
        assertTrue(remote.contains(Feature.DISK_HOTPLUG));
    }

    @Test
    void passthroughNeedsIommuGroupsAndVfio() throws Exception {
        Set<Feature> all = CapabilityProbe.qemuFeatures(true, Accelerator.KVM, files(sysfs(true, true, "Y", null), vfio()));
        assertTrue(all.contains(Feature.GPU_PASSTHROUGH));
        assertTrue(all.contains(Feature.MEDIATED_DEVICE));
        assertTrue(all.contains(Feature.USB_PASSTHROUGH));
        assertTrue(all.contains(Feature.NESTED_VIRTUALIZATION));
        Set<Feature> remote = CapabilityProbe.qemuFeatures(false, Accelerator.KVM, files(dir.resolve("sys"), dir.resolve("vfio")));
        for (Feature local : Set.of(Feature.GPU_PASSTHROUGH, Feature.MEDIATED_DEVICE, Feature.USB_PASSTHROUGH,
            Feature.NESTED_VIRTUALIZATION))
            assertFalse(remote.contains(local), local + " cannot be judged or used for a remote libvirtd");
    }

    @Test
    void emptyIommuGroupsMeanNoPciPassthrough() throws Exception {
        Set<Feature> f = CapabilityProbe.qemuFeatures(true, Accelerator.KVM, files(sysfs(false, false, null, null), vfio()));
        assertFalse(f.contains(Feature.GPU_PASSTHROUGH), "an empty iommu_groups directory means no IOMMU");
        assertFalse(f.contains(Feature.MEDIATED_DEVICE), "no mdev parent is registered");
        assertTrue(f.contains(Feature.USB_PASSTHROUGH), "USB needs no IOMMU");
    }

    @Test
    void withoutTheVfioContainerNothingIsPassedThrough() throws Exception {
        Set<Feature> f = CapabilityProbe.qemuFeatures(true, Accelerator.KVM, files(sysfs(true, true, null, null), dir.resolve("no-vfio")));
        assertFalse(f.contains(Feature.GPU_PASSTHROUGH));
        assertFalse(f.contains(Feature.MEDIATED_DEVICE));
    }

    @Test
    void mediatedDevicesNeedAParentButNoIommu() throws Exception {
        Set<Feature> f = CapabilityProbe.qemuFeatures(true, Accelerator.KVM, files(sysfs(false, true, null, null), vfio()));
        assertTrue(f.contains(Feature.MEDIATED_DEVICE), "the mdev parent's driver isolates its devices");
        assertFalse(f.contains(Feature.GPU_PASSTHROUGH));
    }

    @Test
    void nestedOnlyUnderKvmWithNestingOn() throws Exception {
        Path sys = sysfs(false, false, "N", "1");
        assertTrue(CapabilityProbe.qemuFeatures(true, Accelerator.KVM, files(sys, dir.resolve("v"))).contains(Feature.NESTED_VIRTUALIZATION),
            "kvm_amd nested=1");
        assertFalse(CapabilityProbe.qemuFeatures(true, Accelerator.TCG, files(sys, dir.resolve("v"))).contains(Feature.NESTED_VIRTUALIZATION),
            "TCG never offers nesting");
        Files.writeString(sys.resolve("module/kvm_amd/parameters/nested"), "0\n");
        assertFalse(CapabilityProbe.qemuFeatures(true, Accelerator.KVM, files(sys, dir.resolve("v"))).contains(Feature.NESTED_VIRTUALIZATION),
            "kvm_intel nested=N and kvm_amd nested=0");
    }

    @Test
    void thisHostMatchesWhatItHas() {
        // The development host: no IOMMU, TCG. Whatever the host, the claim must follow the real files.
        Set<Feature> f = CapabilityProbe.qemuFeatures(true, Accelerator.TCG, CapabilityProbe.HostFiles.debian());
        boolean iommu = Path.of("/sys/kernel/iommu_groups").toFile().list() != null
            && Path.of("/sys/kernel/iommu_groups").toFile().list().length > 0 && Files.exists(Path.of("/dev/vfio/vfio"));
        assertEquals(iommu, f.contains(Feature.GPU_PASSTHROUGH));
        assertTrue(f.contains(Feature.USB_PASSTHROUGH));
        assertFalse(f.contains(Feature.NESTED_VIRTUALIZATION));
    }

    @Test
    void secureBootUnderKvmNeedsKvmToEmulateSmm() throws Exception {
        Path secboot = Files.createFile(dir.resolve("OVMF_CODE_4M.secboot.fd"));
        CapabilityProbe.HostFiles noKvm = new CapabilityProbe.HostFiles(dir.resolve("missing.fd"), secboot, dir.resolve("s"),
            dir.resolve("r"), dir.resolve("sp"), dir.resolve("no-sys"), dir.resolve("no-vfio"), dir.resolve("no-kvm"));
        assertTrue(CapabilityProbe.qemuFeatures(true, Accelerator.TCG, noKvm).contains(Feature.SECURE_BOOT), "TCG always emulates SMM");
        assertFalse(CapabilityProbe.qemuFeatures(true, Accelerator.KVM, noKvm).contains(Feature.SECURE_BOOT),
            "a KVM whose SMM support cannot be confirmed must not be offered Secure Boot guests");
        CapabilityProbe.HostFiles thisKvm = new CapabilityProbe.HostFiles(dir.resolve("missing.fd"), secboot, dir.resolve("s"),
            dir.resolve("r"), dir.resolve("sp"), dir.resolve("no-sys"), dir.resolve("no-vfio"), Path.of("/dev/kvm"));
        assertEquals(KvmSmm.supported(Path.of("/dev/kvm")),
            CapabilityProbe.qemuFeatures(true, Accelerator.KVM, thisKvm).contains(Feature.SECURE_BOOT));
    }

    @Test
    void neverClaimsWhatTheCodeDoesNotEmit() {
        Set<Feature> f = CapabilityProbe.qemuFeatures(true, Accelerator.KVM, CapabilityProbe.HostFiles.debian());
        for (Feature never : Set.of(Feature.HUGE_PAGES, Feature.POST_COPY_MIGRATION, Feature.PERFORMANCE_PROFILE))
            assertFalse(f.contains(never), never + " is not implemented and must not be claimed");
        assertFalse(CapabilityProbe.testFeatures().contains(Feature.DISK_HOTPLUG));
        assertFalse(CapabilityProbe.testFeatures().contains(Feature.USB_PASSTHROUGH), "the test driver runs no guest");
    }

    @Test
    void vendorNamesTheNestedFlag() {
        assertEquals("vmx", HostCpuVendor.of("Intel").virtualizationFlag());
        assertEquals("svm", HostCpuVendor.of("AMD").virtualizationFlag());
        assertEquals("svm", HostCpuVendor.of("Hygon").virtualizationFlag());
        assertEquals(HostCpuVendor.UNKNOWN, HostCpuVendor.of(""));
        assertEquals(HostCpuVendor.UNKNOWN, HostCpuVendor.of(null));
    }
}
