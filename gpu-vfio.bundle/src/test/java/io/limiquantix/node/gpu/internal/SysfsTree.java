package io.limiquantix.node.gpu.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds a sysfs tree in a directory, laid out as the kernel documents it
 * (Documentation/ABI/testing/sysfs-bus-pci, sysfs-kernel-iommu_groups,
 * Documentation/driver-api/vfio-mediated-device.rst) and as a real host shows it:
 * <pre>
 * devices/pci0000:00/&lt;addr&gt;/{vendor,device,class,numa_node,driver_override,enable,boot_vga}
 * devices/pci0000:00/&lt;addr&gt;/driver      -&gt; ../../../bus/pci/drivers/&lt;drv&gt;
 * devices/pci0000:00/&lt;addr&gt;/iommu_group -&gt; ../../../kernel/iommu_groups/&lt;n&gt;
 * bus/pci/devices/&lt;addr&gt;                -&gt; ../../../devices/pci0000:00/&lt;addr&gt;
 * bus/pci/drivers/&lt;drv&gt;/{bind,unbind,new_id}, bus/pci/drivers/&lt;drv&gt;/&lt;addr&gt; -&gt; the device
 * bus/pci/drivers_probe
 * kernel/iommu_groups/&lt;n&gt;/devices/&lt;addr&gt; -&gt; ../../../../devices/pci0000:00/&lt;addr&gt;
 * class/mdev_bus/&lt;addr&gt;                 -&gt; ../../devices/pci0000:00/&lt;addr&gt;
 * &lt;parent&gt;/mdev_supported_types/&lt;type&gt;/{name,available_instances,device_api,description,create,devices/}
 * bus/mdev/devices/&lt;uuid&gt;               -&gt; the mdev's directory under its parent
 * </pre>
 * Links are relative, as the kernel's are. The tree remembers which driver the kernel would pick for each
 * function on a probe without override (its "native" driver), for {@link SimulatedKernelSysfs}.
 */
final class SysfsTree {
    final Path root;
    private final Map<String, String> nativeDrivers = new HashMap<>();

    SysfsTree(Path root) {
        this.root = root;
        mkdirs("devices/pci0000:00");
        mkdirs("bus/pci/devices");
        mkdirs("bus/pci/drivers");
        mkdirs("kernel/iommu_groups");
        mkdirs("bus/mdev/devices");
        file("bus/pci/drivers_probe", "");
        file("bus/pci/drivers_autoprobe", "1");
    }

    Path deviceDir(String address) {
        return root.resolve("devices/pci0000:00").resolve(address);
    }

    /** A driver directory with the attributes the PCI core gives every driver. */
    SysfsTree driver(String name) {
        mkdirs("bus/pci/drivers/" + name);
        for (String attr : new String[] {"bind", "unbind", "new_id", "remove_id"})
            if (!Files.exists(root.resolve("bus/pci/drivers/" + name + "/" + attr))) file("bus/pci/drivers/" + name + "/" + attr, "");
        return this;
    }

    /** A PCI function; {@code driver} null for none, {@code group} -1 for no IOMMU group. */
    SysfsTree pci(String address, String vendor, String device, String classCode, String driver, int group, int numa) {
        Path dir = deviceDir(address);
        mkdirs(root.relativize(dir).toString());
        write(dir.resolve("vendor"), "0x" + vendor);
        write(dir.resolve("device"), "0x" + device);
        write(dir.resolve("class"), "0x" + classCode);
        write(dir.resolve("numa_node"), Integer.toString(numa));
        write(dir.resolve("driver_override"), "(null)");
        write(dir.resolve("enable"), "0");
        write(dir.resolve("subsystem_vendor"), "0x" + vendor);
        if (classCode.startsWith("03")) write(dir.resolve("boot_vga"), "0");
        link(root.resolve("bus/pci/devices").resolve(address), dir);
        if (group >= 0) group(group, address);
        if (driver != null) {
            nativeDrivers.put(address, driver);
            bindLinks(address, driver);
        }
        return this;
    }

    SysfsTree attribute(String address, String name, String value) {
        write(deviceDir(address).resolve(name), value);
        return this;
    }

    /** Creates the group (and the IOMMU's presence with it) and puts the device in it. */
    SysfsTree group(int group, String address) {
        Path g = root.resolve("kernel/iommu_groups").resolve(Integer.toString(group));
        mkdirs(root.relativize(g.resolve("devices")).toString());
        write(g.resolve("type"), "DMA");
        link(g.resolve("devices").resolve(address), deviceDir(address));
        link(deviceDir(address).resolve("iommu_group"), g);
        return this;
    }

    /** Takes a function out of its group and puts it in {@code group} (what ACS or a different slot does). */
    SysfsTree moveToGroup(String address, int group) {
        try {
            Path link = deviceDir(address).resolve("iommu_group");
            Path old = link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
            Files.delete(old.resolve("devices").resolve(address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return group(group, address);
    }

    /** Registers a function as a mediated-device parent (what a vGPU host driver does when it loads). */
    SysfsTree mdevParent(String address) {
        mkdirs("class/mdev_bus");
        link(root.resolve("class/mdev_bus").resolve(address), deviceDir(address));
        mkdirs(root.relativize(deviceDir(address).resolve("mdev_supported_types")).toString());
        return this;
    }

    SysfsTree mdevType(String parent, String type, String name, int available, String deviceApi, String description) {
        Path t = deviceDir(parent).resolve("mdev_supported_types").resolve(type);
        mkdirs(root.relativize(t.resolve("devices")).toString());
        write(t.resolve("name"), name);
        write(t.resolve("available_instances"), Integer.toString(available));
        write(t.resolve("device_api"), deviceApi);
        write(t.resolve("description"), description);
        write(t.resolve("create"), "");
        return this;
    }

    String nativeDriver(String address) {
        return nativeDrivers.get(address);
    }

    /** The function's driver as its {@code driver} link names it, or null. */
    String driverOf(String address) {
        Path link = deviceDir(address).resolve("driver");
        try {
            return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String read(String relative) {
        try {
            return Files.readString(root.resolve(relative), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the kernel does on a successful bind: the device's driver link and the driver's device link. */
    void bindLinks(String address, String driver) {
        driver(driver);
        link(deviceDir(address).resolve("driver"), root.resolve("bus/pci/drivers").resolve(driver));
        link(root.resolve("bus/pci/drivers").resolve(driver).resolve(address), deviceDir(address));
    }

    void unbindLinks(String address, String driver) {
        try {
            Files.deleteIfExists(deviceDir(address).resolve("driver"));
            Files.deleteIfExists(root.resolve("bus/pci/drivers").resolve(driver).resolve(address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void link(Path link, Path target) {
        try {
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, link.getParent().relativize(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void write(Path file, String content) {
        try {
            Files.writeString(file, content + (content.isEmpty() ? "" : "\n"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void file(String relative, String content) {
        write(root.resolve(relative), content);
    }

    private void mkdirs(String relative) {
        try {
            Files.createDirectories(root.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the scenarios the tests share ----

    static final String GPU1 = "0000:01:00.0";
    static final String AUDIO1 = "0000:01:00.1";
    static final String GPU2 = "0000:02:00.0";
    static final String AUDIO2 = "0000:02:00.1";
    static final String ROOT_PORT2 = "0000:00:02.0";
    static final String HOST_NIC = "0000:00:1f.6";
    static final String GPU3 = "0000:03:00.0";
    static final String SHARED_NIC = "0000:04:00.0";
    static final String VGPU_PARENT = "0000:05:00.0";

    /**
     * A GPU host: two NVIDIA V100 (10de:1db6, 3D controller) each with an HDMI audio function (10de:10f0)
     * in its own IOMMU group (the second group also holds its PCIe root port, as on boards without ACS);
     * a GPU (10de:1eb8) that shares group 4 with an igb NIC the host uses; a T4 registered as a vGPU parent
     * with two mediated device types; the host's own NIC. vfio-pci is loaded.
     */
    static SysfsTree gpuHost(Path root) {
        SysfsTree t = new SysfsTree(root);
        t.driver("vfio-pci").driver("pci-stub");
        t.pci("0000:00:00.0", "8086", "1237", "060000", null, 0, -1);
        t.pci(GPU1, "10de", "1db6", "030200", "nouveau", 1, 0);
        t.pci(AUDIO1, "10de", "10f0", "040300", "snd_hda_intel", 1, 0);
        t.pci(ROOT_PORT2, "8086", "1901", "060400", "pcieport", 2, 1);
        t.pci(GPU2, "10de", "1db6", "030200", "nouveau", 2, 1);
        t.pci(AUDIO2, "10de", "10f0", "040300", "snd_hda_intel", 2, 1);
        t.pci(HOST_NIC, "8086", "15b8", "020000", "e1000e", 3, 0);
        t.pci(GPU3, "10de", "1eb8", "030200", "nouveau", 4, 0);
        t.pci(SHARED_NIC, "8086", "1533", "020000", "igb", 4, 0);
        t.pci(VGPU_PARENT, "10de", "1eb8", "030200", "nvidia", 5, 1);
        t.mdevParent(VGPU_PARENT)
            .mdevType(VGPU_PARENT, "nvidia-222", "GRID T4-1B", 16, "vfio-pci",
                "num_heads=4, frl_config=45, framebuffer=1024M, max_resolution=5120x2880, max_instance=16")
            .mdevType(VGPU_PARENT, "nvidia-230", "GRID T4-8Q", 2, "vfio-pci",
                "num_heads=4, frl_config=60, framebuffer=8192M, max_resolution=7680x4320, max_instance=2");
        return t;
    }

    /** The same machine booted without an IOMMU and without vfio-pci: no groups, no vfio driver. */
    static SysfsTree hostWithoutIommu(Path root) {
        SysfsTree t = new SysfsTree(root);
        t.pci("0000:00:00.0", "8086", "1237", "060000", null, -1, -1);
        t.pci(GPU1, "10de", "1db6", "030200", "nouveau", -1, 0);
        t.pci(AUDIO1, "10de", "10f0", "040300", "snd_hda_intel", -1, 0);
        return t;
    }
}
