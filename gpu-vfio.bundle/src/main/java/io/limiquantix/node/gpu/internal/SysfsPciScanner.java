package io.limiquantix.node.gpu.internal;

import io.limiquantix.node.api.GpuRequest;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads PCI functions from {@code bus/pci/devices} (Documentation/ABI/testing/sysfs-bus-pci): ids, class,
 * NUMA node, the bound driver and {@code driver_override}, the IOMMU group, {@code boot_vga} and
 * {@code enable}. Every call reads sysfs afresh: drivers bind and unbind under us, so nothing is cached.
 */
final class SysfsPciScanner {
    private static final System.Logger LOG = System.getLogger(SysfsPciScanner.class.getName());
    private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F]+");

    private final Sysfs sysfs;

    SysfsPciScanner(Sysfs sysfs) {
        this.sysfs = sysfs;
    }

    /** Every PCI function, in address order. */
    List<PciFunction> scan() {
        List<PciFunction> functions = new ArrayList<>();
        for (String address : sysfs.list(sysfs.pciDevices())) {
            if (!GpuRequest.PCI_ADDRESS.matcher(address).matches()) {
                // 32-bit domains (Intel VMD puts devices in 10000:xx) cannot be named in a GpuRequest or a
                // HostDevice; they are not passthrough candidates, so they are left out, but not silently.
                LOG.log(Level.DEBUG, "PCI function " + address + " has an address outside the 0000:00:00.0 form; not listed");
                continue;
            }
            read(address).ifPresent(functions::add);
        }
        return functions;
    }

    /** One function, or empty when there is none at that address (or its identity cannot be read). */
    Optional<PciFunction> function(String address) {
        if (!sysfs.exists(sysfs.pciDevice(address))) return Optional.empty();
        return read(address);
    }

    private Optional<PciFunction> read(String address) {
        Path dir = sysfs.pciDevice(address);
        String vendor = hex(dir.resolve("vendor"), 4);
        String device = hex(dir.resolve("device"), 4);
        String classCode = hex(dir.resolve("class"), 6);
        if (vendor == null || device == null || classCode == null) {
            LOG.log(Level.WARNING, "PCI function " + address + " has unreadable vendor, device or class attributes; not listed");
            return Optional.empty();
        }
        String driver = sysfs.linkName(dir.resolve("driver")).orElse(null);
        // The kernel shows an unset override as "(null)".
        String override = sysfs.read(dir.resolve("driver_override"))
            .filter(s -> !s.isEmpty() && !s.equals("(null)")).orElse(null);
        int group = sysfs.linkName(dir.resolve("iommu_group")).map(SysfsPciScanner::integer).orElse(-1);
        int numa = sysfs.read(dir.resolve("numa_node")).map(SysfsPciScanner::integer).orElse(-1);
        boolean bootVga = sysfs.read(dir.resolve("boot_vga")).map("1"::equals).orElse(false);
        boolean enabled = sysfs.read(dir.resolve("enable")).map(s -> integer(s) > 0).orElse(false);
        return Optional.of(new PciFunction(address, vendor, device, classCode, driver, override, group,
            Math.max(-1, numa), bootVga, enabled));
    }

    /** {@code 0x10de} as {@code 10de}, left-padded to {@code digits}; null when absent or malformed. */
    private String hex(Path attribute, int digits) {
        String raw = sysfs.read(attribute).orElse(null);
        if (raw == null || !HEX.matcher(raw).matches() || raw.length() - 2 > digits) return null;
        String value = raw.substring(2).toLowerCase(java.util.Locale.ROOT);
        return "0".repeat(digits - value.length()) + value;
    }

    private static int integer(String s) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
