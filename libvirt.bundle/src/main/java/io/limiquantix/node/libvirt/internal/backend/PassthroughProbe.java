package io.limiquantix.node.libvirt.internal.backend;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the local host can give guests devices and hardware virtualization, from sysfs and {@code /dev}.
 * Both roots are parameters so tests can point them at a tree they build.
 *
 * <p>These are the same signs gpu-vfio's provider checks (IOMMU groups, registered mdev parents); this
 * bundle repeats them because placement compares a backend's features before any provider is asked, and a
 * backend must not claim what its host cannot do.
 */
final class PassthroughProbe {
    private final Path sysfs;
    private final Path vfioContainer;

    /** {@code sysfs} is normally {@code /sys}; {@code vfioContainer} {@code /dev/vfio/vfio}. */
    PassthroughProbe(Path sysfs, Path vfioContainer) {
        this.sysfs = sysfs;
        this.vfioContainer = vfioContainer;
    }

    /**
     * PCI passthrough: the kernel has an IOMMU (it creates the groups only then) and the VFIO container
     * device exists (QEMU opens it for every vfio-pci device).
     */
    boolean pciPassthrough() {
        return hasEntries(sysfs.resolve("kernel/iommu_groups")) && Files.exists(vfioContainer);
    }

    /**
     * Mediated devices: a driver registered an mdev parent, and VFIO is there to open the mdev. No hardware
     * IOMMU is needed: the parent's driver isolates its mdevs (as gpu-vfio's provider also judges).
     */
    boolean mediatedDevices() {
        return hasEntries(sysfs.resolve("class/mdev_bus")) && Files.exists(vfioContainer);
    }

    /**
     * Whether KVM lets guests run hypervisors: the {@code nested} parameter of kvm_intel or kvm_amd is on
     * ({@code Y} on Intel, {@code 1} on older AMD kernels). Without it a guest gets no vmx/svm whatever its
     * CPU definition asks for.
     */
    boolean nestedKvm() {
        return parameterOn("kvm_intel") || parameterOn("kvm_amd");
    }

    private boolean parameterOn(String module) {
        Path p = sysfs.resolve("module").resolve(module).resolve("parameters/nested");
        try {
            String v = Files.readString(p).trim();
            return v.equals("Y") || v.equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean hasEntries(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return entries.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }
}
