package io.limiquantix.node.libvirt.internal.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MemorySpec;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DomainMapperTest {
    private static final DomainMapper TCG = new DomainMapper(HostTarget.of(Accelerator.TCG, false));
    private static final DomainMapper KVM = new DomainMapper(HostTarget.of(Accelerator.KVM, false));

    private static XmlDoc xml(DomainMapper m, VmSpec spec) {
        return XmlDoc.parse(DomainXmlWriter.write(m.map(spec)));
    }

    @Test
    void kernelBootGuestUnderTcg() {
        VmSpec spec = Specs.linuxKernelBoot("k1");
        XmlDoc x = xml(TCG, spec);
        assertEquals("qemu", x.string("/domain/@type"));
        assertEquals("k1", x.string("/domain/name"));
        assertEquals(spec.id(), x.string("/domain/uuid"));
        assertEquals("131072", x.string("/domain/memory"));
        assertEquals("KiB", x.string("/domain/memory/@unit"));
        assertEquals("131072", x.string("/domain/currentMemory"));
        assertEquals("2", x.string("/domain/vcpu"));
        assertEquals("maximum", x.string("/domain/cpu/@mode"), "TCG's default CPU must be -cpu max, not qemu64");
        assertEquals("1", x.string("/domain/cpu/topology/@sockets"));
        assertEquals("2", x.string("/domain/cpu/topology/@cores"));
        assertEquals("q35", x.string("/domain/os/type/@machine"));
        assertEquals("hvm", x.string("/domain/os/type"));
        assertEquals("/var/lib/limiquantix/test-guest/vmlinuz", x.string("/domain/os/kernel"));
        assertEquals("/var/lib/limiquantix/test-guest/initramfs.gz", x.string("/domain/os/initrd"));
        assertEquals("console=ttyS0 panic=-1", x.string("/domain/os/cmdline"));
        assertFalse(x.exists("/domain/os/boot"), "kernel boot needs no boot device");
        assertFalse(x.exists("/domain/os/@firmware"));
        assertTrue(x.exists("/domain/features/acpi"));
        assertTrue(x.exists("/domain/features/apic"));
        assertEquals("utc", x.string("/domain/clock/@offset"));
        assertEquals("pty", x.string("/domain/devices/serial/@type"));
        assertEquals("/var/log/libvirt/qemu/k1-serial.log", x.string("/domain/devices/serial/log/@file"));
        assertEquals("off", x.string("/domain/devices/serial/log/@append"));
        assertEquals("serial", x.string("/domain/devices/console/target/@type"));
        assertEquals(String.valueOf(DomainMapper.SPARE_ROOT_PORTS), x.string("count(/domain/devices/controller[@model='pcie-root-port'])"));
        assertFalse(x.exists("/domain/devices/graphics"));
        assertFalse(x.exists("/domain/devices/video"));
        assertEquals("LINUX", x.string("/domain/metadata/*[local-name()='node']/*[local-name()='os']/@family"));
    }

    @Test
    void kvmDefaultsToHostModel() {
        XmlDoc x = xml(KVM, Specs.linuxKernelBoot("k2"));
        assertEquals("kvm", x.string("/domain/@type"));
        assertEquals("host-model", x.string("/domain/cpu/@mode"));
    }

    @Test
    void disksNicsGraphicsAndLabels() {
        VmSpec spec = Specs.linuxFull("full");
        XmlDoc x = xml(TCG, spec);
        assertEquals("vda", x.string("/domain/devices/disk[alias/@name='ua-root']/target/@dev"));
        assertEquals("virtio", x.string("/domain/devices/disk[alias/@name='ua-root']/target/@bus"));
        assertEquals("qcow2", x.string("/domain/devices/disk[alias/@name='ua-root']/driver/@type"));
        assertEquals("/var/lib/images/root.qcow2", x.string("/domain/devices/disk[alias/@name='ua-root']/source/@file"));
        assertEquals("sda", x.string("/domain/devices/disk[alias/@name='ua-data']/target/@dev"));
        assertEquals("scsi", x.string("/domain/devices/disk[alias/@name='ua-data']/target/@bus"));
        assertEquals("file", x.string("/domain/devices/disk[alias/@name='ua-data']/@type"));
        assertTrue(x.exists("/domain/devices/controller[@type='scsi' and @model='virtio-scsi']"));
        // a CD-ROM cannot be virtio: it moves to SATA and shares the sd namespace with SCSI
        assertEquals("cdrom", x.string("/domain/devices/disk[alias/@name='ua-iso']/@device"));
        assertEquals("sata", x.string("/domain/devices/disk[alias/@name='ua-iso']/target/@bus"));
        assertEquals("sdb", x.string("/domain/devices/disk[alias/@name='ua-iso']/target/@dev"));
        assertTrue(x.exists("/domain/devices/disk[alias/@name='ua-iso']/readonly"));
        String ceph = "/domain/devices/disk[alias/@name='ua-ceph']";
        assertEquals("network", x.string(ceph + "/@type"));
        assertEquals("vdb", x.string(ceph + "/target/@dev"));
        assertEquals("rbd", x.string(ceph + "/source/@protocol"));
        assertEquals("rbd/vm-disk", x.string(ceph + "/source/@name"));
        assertEquals("10.0.0.1", x.string(ceph + "/source/host[1]/@name"));
        assertEquals("6789", x.string(ceph + "/source/host[1]/@port"));
        assertEquals("fd00::1", x.string(ceph + "/source/host[2]/@name"));
        assertEquals("libvirt", x.string(ceph + "/auth/@username"));
        assertEquals("ceph", x.string(ceph + "/auth/secret/@type"));
        assertEquals("0f0e0d0c-0b0a-4908-8706-050403020100", x.string(ceph + "/auth/secret/@uuid"));
        assertEquals("network", x.string("/domain/devices/interface[1]/@type"));
        assertEquals("default", x.string("/domain/devices/interface[1]/source/@network"));
        assertEquals("virtio", x.string("/domain/devices/interface[1]/model/@type"));
        assertEquals("bridge", x.string("/domain/devices/interface[2]/@type"));
        assertEquals("br0", x.string("/domain/devices/interface[2]/source/@bridge"));
        assertEquals("e1000e", x.string("/domain/devices/interface[2]/model/@type"));
        assertEquals("52:54:00:12:34:56", x.string("/domain/devices/interface[2]/mac/@address"));
        assertEquals("vnc", x.string("/domain/devices/graphics/@type"));
        assertEquals("127.0.0.1", x.string("/domain/devices/graphics/@listen"));
        assertEquals(8, x.string("/domain/devices/graphics/@passwd").length());
        assertEquals("virtio", x.string("/domain/devices/video/model/@type"));
        assertEquals("2", x.string("/domain/cpu/topology/@cores"));
        assertEquals("2", x.string("/domain/cpu/topology/@threads"));
        assertEquals("hd", x.string("/domain/os/boot/@dev"));
        assertEquals("gold", x.string("/domain/metadata/*/*[local-name()='labels']/*[@key='tier']/@value"));
        // 2 virtio disks + 2 NICs + virtio-scsi + virtio video take ports; the spares stay free for hot-plug
        assertEquals(String.valueOf(6 + DomainMapper.SPARE_ROOT_PORTS), x.string("count(/domain/devices/controller[@model='pcie-root-port'])"));
    }

    @Test
    void eachVmGetsItsOwnGraphicsPassword() {
        VmSpec spec = Specs.linuxFull("pw");
        String a = xml(TCG, spec).string("/domain/devices/graphics/@passwd");
        String b = xml(TCG, spec).string("/domain/devices/graphics/@passwd");
        assertNotEquals(a, b);
    }

    @Test
    void windowsSecureBootProfile() {
        XmlDoc x = xml(TCG, Specs.windowsSecureBoot("win"));
        assertEquals("efi", x.string("/domain/os/@firmware"));
        assertEquals("yes", x.string("/domain/os/firmware/feature[@name='secure-boot']/@enabled"));
        assertEquals("yes", x.string("/domain/os/firmware/feature[@name='enrolled-keys']/@enabled"));
        assertEquals("on", x.string("/domain/features/smm/@state"));
        assertEquals("on", x.string("/domain/features/hyperv/relaxed/@state"));
        assertEquals("on", x.string("/domain/features/hyperv/vapic/@state"));
        assertEquals("8191", x.string("/domain/features/hyperv/spinlocks/@retries"));
        assertFalse(x.exists("/domain/features/hyperv/vpindex"), "TCG refuses hv-vpindex");
        assertEquals("localtime", x.string("/domain/clock/@offset"));
        assertEquals("no", x.string("/domain/clock/timer[@name='hpet']/@present"));
        assertEquals("yes", x.string("/domain/clock/timer[@name='hypervclock']/@present"));
        assertEquals("sda", x.string("/domain/devices/disk/target/@dev"));
        assertEquals("1", x.string("/domain/devices/disk/boot/@order"));
        assertFalse(x.exists("/domain/os/boot"), "per-device boot order excludes <os><boot>");
        assertEquals("spice", x.string("/domain/devices/graphics/@type"));
        assertEquals("::1", x.string("/domain/devices/graphics/listen/@address"));
        assertEquals("bochs", x.string("/domain/devices/video/model/@type"));
        assertTrue(x.exists("/domain/devices/input[@type='tablet' and @bus='usb']"));
        assertTrue(x.exists("/domain/devices/controller[@type='usb' and @model='qemu-xhci']"));
        assertEquals("2.0", x.string("/domain/devices/tpm/backend/@version"));
        assertFalse(x.exists("/domain/devices/serial"));
    }

    @Test
    void uefiWithoutSecureBoot() {
        VmSpec spec = VmSpec.builder("uefi").id(Specs.newId()).firmware(io.limiquantix.node.api.Firmware.UEFI)
            .fileDisk("root", "/var/lib/images/u.qcow2", DiskSource.Format.QCOW2).build();
        XmlDoc x = xml(TCG, spec);
        assertEquals("efi", x.string("/domain/os/@firmware"));
        assertEquals("no", x.string("/domain/os/firmware/feature[@name='secure-boot']/@enabled"));
        assertFalse(x.exists("/domain/features/smm"));
    }

    @Test
    void cdromAndNetworkBoot() {
        VmSpec cd = VmSpec.builder("cd").id(Specs.newId()).boot(new BootSource(BootSource.Kind.CDROM, null, null, null))
            .disk(new DiskSpec("iso", DiskSource.file("/i.iso", null), null, DiskSpec.Device.CDROM, false, 0)).build();
        assertEquals(List.of("cdrom", "hd"), xml(TCG, cd).strings("/domain/os/boot/@dev"));
        VmSpec pxe = VmSpec.builder("pxe").id(Specs.newId()).boot(new BootSource(BootSource.Kind.NETWORK, null, null, null))
            .nic(io.limiquantix.node.api.NicSpec.network("default")).build();
        assertEquals(List.of("network"), xml(TCG, pxe).strings("/domain/os/boot/@dev"));
        VmSpec pxeNoNic = VmSpec.builder("pxe2").id(Specs.newId()).boot(new BootSource(BootSource.Kind.NETWORK, null, null, null)).build();
        assertEquals("boot.kind", assertThrows(InvalidArgumentException.class, () -> TCG.map(pxeNoNic)).field());
    }

    @Test
    void refusesWhatItDoesNotEmit() {
        VmSpec huge = VmSpec.builder("h").id(Specs.newId()).memory(new MemorySpec(1024, true)).build();
        assertEquals(Feature.HUGE_PAGES, assertThrows(UnsupportedFeatureException.class, () -> TCG.map(huge)).feature());
        VmSpec passthrough = VmSpec.builder("p").id(Specs.newId()).cpu(new CpuSpec(1, 0, 0, 0, CpuSpec.Mode.HOST_PASSTHROUGH, null)).build();
        assertEquals("cpu.mode", assertThrows(InvalidArgumentException.class, () -> TCG.map(passthrough)).field());
        assertEquals("host-passthrough", xml(KVM, passthrough).string("/domain/cpu/@mode"));
        VmSpec noId = VmSpec.builder("x").build();
        assertEquals("id", assertThrows(InvalidArgumentException.class, () -> TCG.map(noId)).field());
        VmSpec iscsi = VmSpec.builder("i").id(Specs.newId()).disk(new DiskSpec("d",
            DiskSource.network("iscsi", "iqn/lun", List.of("10.0.0.2:3260"), null, null), null, null, false, 0)).build();
        assertThrows(UnsupportedFeatureException.class, () -> TCG.map(iscsi));
        VmSpec volume = VmSpec.builder("v").id(Specs.newId()).disk(new DiskSpec("d", DiskSource.volume("ceph", "rbd/x"), null, null, false, 0)).build();
        assertEquals("disks[0].source.kind", assertThrows(InvalidArgumentException.class, () -> TCG.map(volume)).field());
    }

    @Test
    void blockDisk() {
        DiskSource block = new DiskSource(DiskSource.Kind.BLOCK, "/dev/vg0/lv1", DiskSource.Format.RAW, null, null, null, List.of(), null, null);
        VmSpec spec = VmSpec.builder("b").id(Specs.newId()).disk(new DiskSpec("lv", block, null, null, true, 0)).build();
        XmlDoc x = xml(TCG, spec);
        assertEquals("block", x.string("/domain/devices/disk/@type"));
        assertEquals("/dev/vg0/lv1", x.string("/domain/devices/disk/source/@dev"));
        assertTrue(x.exists("/domain/devices/disk/readonly"));
    }

    @Test
    void customCpuModel() {
        VmSpec spec = VmSpec.builder("c").id(Specs.newId()).cpu(new CpuSpec(1, 0, 0, 0, CpuSpec.Mode.CUSTOM, "Skylake-Server")).build();
        XmlDoc x = xml(KVM, spec);
        assertEquals("custom", x.string("/domain/cpu/@mode"));
        assertEquals("Skylake-Server", x.string("/domain/cpu/model"));
    }

    @Test
    void hotplugTargetsSkipTakenNames() {
        DiskSpec d = DiskSpec.file("extra", "/x.raw", DiskSource.Format.RAW);
        assertEquals("vdc", DomainMapper.disk(d, Set.of("vda", "vdb", "sda")).target());
        assertEquals("ua-extra", DomainMapper.disk(d, Set.of()).alias());
    }

    @Test
    void targetNamesGoPastZ() {
        assertEquals("vda", TargetNames.name("vd", 0));
        assertEquals("vdz", TargetNames.name("vd", 25));
        assertEquals("vdaa", TargetNames.name("vd", 26));
        assertEquals("vdaf", TargetNames.name("vd", 31));
        assertEquals("sdb", TargetNames.firstFree("sd", Set.of("sda", "sdc")));
    }

    @Test
    void testDriverDomainType() {
        XmlDoc x = xml(new DomainMapper(HostTarget.of(Accelerator.NONE, true)), Specs.linuxKernelBoot("t"));
        assertEquals("test", x.string("/domain/@type"));
    }
}
