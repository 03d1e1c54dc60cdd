package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.storage.DiskSource;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Specs used across the XML tests. */
public final class Specs {
    private Specs() {}

    public static String newId() {
        return UUID.randomUUID().toString();
    }

    public static VmSpec linuxKernelBoot(String name) {
        return VmSpec.builder(name).id(newId()).vcpus(2).memoryMiB(128)
            .kernelBoot("/var/lib/limiquantix/test-guest/vmlinuz", "/var/lib/limiquantix/test-guest/initramfs.gz", "console=ttyS0 panic=-1")
            .serialConsole(true).build();
    }

    public static VmSpec linuxFull(String name) {
        return VmSpec.builder(name).id(newId()).cpu(new CpuSpec(4, 1, 2, 2, CpuSpec.Mode.DEFAULT, null)).memoryMiB(1024)
            .fileDisk("root", "/var/lib/images/root.qcow2", DiskSource.Format.QCOW2)
            .disk(new DiskSpec("data", DiskSource.file("/dev/vg0/data", DiskSource.Format.RAW), DiskSpec.Bus.SCSI, DiskSpec.Device.DISK, false, 0))
            .disk(new DiskSpec("iso", DiskSource.file("/var/lib/images/install.iso", DiskSource.Format.RAW), DiskSpec.Bus.VIRTIO, DiskSpec.Device.CDROM, false, 0))
            .disk(new DiskSpec("ceph", DiskSource.network("rbd", "rbd/vm-disk", List.of("10.0.0.1:6789", "[fd00::1]:6789"), "libvirt",
                "0f0e0d0c-0b0a-4908-8706-050403020100"), DiskSpec.Bus.VIRTIO, DiskSpec.Device.DISK, false, 0))
            .nic(NicSpec.network("default"))
            .nic(new NicSpec(null, "br0", NicSpec.Model.E1000E, "52:54:00:12:34:56"))
            .graphics(GraphicsSpec.vnc()).labels(Map.of("team", "infra", "tier", "gold")).build();
    }

    public static VmSpec windowsSecureBoot(String name) {
        return VmSpec.builder(name).id(newId()).vcpus(2).memoryMiB(4096).os(GuestOs.windows("win11"))
            .firmware(Firmware.UEFI_SECURE_BOOT)
            .disk(new DiskSpec("c", DiskSource.file("/var/lib/images/win.qcow2", DiskSource.Format.QCOW2), DiskSpec.Bus.SATA, DiskSpec.Device.DISK, false, 1))
            .nic(new NicSpec("default", null, NicSpec.Model.E1000E, null))
            .graphics(new GraphicsSpec(GraphicsSpec.Type.SPICE, "::1")).serialConsole(false).build();
    }

    public static final String MDEV_UUID = "11111111-2222-4333-8444-555555555555";

    public static HostDevice pci(String address, String classCode) {
        return new HostDevice(HostDevice.Kind.PCI, address, "10de", "1db6", classCode, "vfio-pci", 1, 0, null, null, "test function");
    }

    public static HostDevice mdev(String uuid) {
        return new HostDevice(HostDevice.Kind.MDEV, "0000:05:00.0", "10de", "1eb8", "030200", "nvidia", -1, 0, "nvidia-230",
            uuid, "GRID T4-8Q");
    }

    /**
     * What core hands the backend after a reservation: a GPU with its HDMI audio (listed audio first, as a
     * provider may), a lone GPU function, and a vGPU; plus USB by ids and by position.
     */
    public static VmSpec passthrough(String name) {
        VmSpec spec = VmSpec.builder(name).id(newId()).vcpus(2).memoryMiB(1024)
            .fileDisk("root", "/var/lib/images/p.qcow2", DiskSource.Format.QCOW2)
            .gpu(new GpuRequest("0000:01:00.0", null, null, 1)).gpu(new GpuRequest("0000:02:00.0", null, null, 1))
            .gpu(new GpuRequest(null, null, "nvidia-230", 1))
            .usb(new UsbRequest("046d:c52b", 0, 0)).usb(new UsbRequest(null, 1, 3)).build();
        return spec.withHostDevices(List.of(pci("0000:01:00.1", "040300"), pci("0000:01:00.0", "030000"),
            pci("0000:02:00.0", "030200"), mdev(MDEV_UUID)));
    }

    public static VmSpec nested(String name, CpuSpec.Mode mode) {
        return VmSpec.builder(name).id(newId()).cpu(new CpuSpec(2, 0, 0, 0, mode, mode == CpuSpec.Mode.CUSTOM ? "EPYC" : null))
            .memoryMiB(512).nestedVirtualization(true).build();
    }
}
