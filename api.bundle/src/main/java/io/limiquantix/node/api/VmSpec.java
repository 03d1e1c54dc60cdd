package io.limiquantix.node.api;

import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.internal.Checks;
import io.limiquantix.node.api.storage.DiskSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Everything the node needs to define a VM. Immutable and validated on construction: an invalid spec
 * cannot exist, and the error names the offending field (e.g. {@code disks[1].source.path}).
 *
 * <p>{@code id} is a lower-case UUID; the node assigns one when the caller gives none. {@code hostDevices}
 * is filled by the node from {@code gpus} through a device provider; callers leave it empty.
 */
public record VmSpec(String id, String name, CpuSpec cpu, MemorySpec memory, GuestOs os, Firmware firmware,
                     BootSource boot, List<DiskSpec> disks, List<NicSpec> nics, GraphicsSpec graphics,
                     boolean serialConsole, List<GpuRequest> gpus, List<UsbRequest> usb,
                     boolean nestedVirtualization, PlacementHints placement, Map<String, String> labels,
                     List<HostDevice> hostDevices) {
    public static final int MAX_DISKS = 32;
    public static final int MAX_NICS = 16;

    public VmSpec {
        if (id != null && !DiskSource.UUID.matcher(id).matches())
            throw new InvalidArgumentException("id", "must be a lower-case UUID like 123e4567-e89b-42d3-a456-426614174000");
        Checks.name("name", name);
        Checks.notNull("cpu", cpu);
        Checks.notNull("memory", memory);
        os = os == null ? GuestOs.linux() : os;
        firmware = firmware == null ? Firmware.BIOS : firmware;
        boot = boot == null ? BootSource.disk() : boot;
        disks = Checks.list("disks", disks, MAX_DISKS);
        nics = Checks.list("nics", nics, MAX_NICS);
        graphics = graphics == null ? GraphicsSpec.none() : graphics;
        gpus = Checks.list("gpus", gpus, 8);
        usb = Checks.list("usb", usb, 16);
        placement = placement == null ? PlacementHints.none() : placement;
        labels = Checks.labels("labels", labels);
        hostDevices = Checks.list("hostDevices", hostDevices, 32);
        Set<String> diskNames = new HashSet<>();
        for (int i = 0; i < disks.size(); i++)
            if (!diskNames.add(disks.get(i).name()))
                throw new InvalidArgumentException("disks[" + i + "].name", "'" + disks.get(i).name() + "' is used twice");
        if (boot.kind() == BootSource.Kind.CDROM && disks.stream().noneMatch(d -> d.device() == DiskSpec.Device.CDROM))
            throw new InvalidArgumentException("boot.kind", "CDROM boot needs a disk with device CDROM");
    }

    public VmSpec withId(String newId) {
        return new VmSpec(newId, name, cpu, memory, os, firmware, boot, disks, nics, graphics, serialConsole, gpus, usb,
            nestedVirtualization, placement, labels, hostDevices);
    }

    public VmSpec withDisks(List<DiskSpec> newDisks) {
        return new VmSpec(id, name, cpu, memory, os, firmware, boot, newDisks, nics, graphics, serialConsole, gpus, usb,
            nestedVirtualization, placement, labels, hostDevices);
    }

    public VmSpec withHostDevices(List<HostDevice> devices) {
        return new VmSpec(id, name, cpu, memory, os, firmware, boot, disks, nics, graphics, serialConsole, gpus, usb,
            nestedVirtualization, placement, labels, devices);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Builds a spec part by part; each part is validated as it is added and its errors carry the part's
     * path, so {@code builder("a").disk(...)} with a bad path reports {@code disks[0].source.path}.
     */
    public static final class Builder {
        private String id;
        private final String name;
        private CpuSpec cpu = CpuSpec.of(1);
        private MemorySpec memory = MemorySpec.mib(512);
        private GuestOs os;
        private Firmware firmware;
        private BootSource boot;
        private final List<DiskSpec> disks = new ArrayList<>();
        private final List<NicSpec> nics = new ArrayList<>();
        private GraphicsSpec graphics;
        private boolean serialConsole = true;
        private final List<GpuRequest> gpus = new ArrayList<>();
        private final List<UsbRequest> usb = new ArrayList<>();
        private boolean nested;
        private PlacementHints placement;
        private Map<String, String> labels = Map.of();

        private Builder(String name) {
            this.name = name;
        }

        private static <T> T part(String path, Supplier<T> make) {
            try {
                return make.get();
            } catch (InvalidArgumentException e) {
                throw e.under(path);
            }
        }

        public Builder id(String value) { this.id = value; return this; }
        public Builder vcpus(int n) { this.cpu = part("cpu", () -> CpuSpec.of(n)); return this; }
        public Builder cpu(CpuSpec value) { this.cpu = value; return this; }
        public Builder memoryMiB(long mib) { this.memory = part("memory", () -> MemorySpec.mib(mib)); return this; }
        public Builder memory(MemorySpec value) { this.memory = value; return this; }
        public Builder os(GuestOs value) { this.os = value; return this; }
        public Builder firmware(Firmware value) { this.firmware = value; return this; }
        public Builder boot(BootSource value) { this.boot = value; return this; }

        public Builder kernelBoot(String kernel, String initrd, String cmdline) {
            this.boot = part("boot", () -> BootSource.kernel(kernel, initrd, cmdline));
            return this;
        }

        public Builder disk(DiskSpec value) { disks.add(value); return this; }

        public Builder fileDisk(String diskName, String path, DiskSource.Format format) {
            disks.add(part("disks[" + disks.size() + "]", () -> DiskSpec.file(diskName, path, format)));
            return this;
        }

        public Builder nic(NicSpec value) { nics.add(value); return this; }
        public Builder graphics(GraphicsSpec value) { this.graphics = value; return this; }
        public Builder serialConsole(boolean value) { this.serialConsole = value; return this; }
        public Builder gpu(GpuRequest value) { gpus.add(value); return this; }
        public Builder usb(UsbRequest value) { usb.add(value); return this; }
        public Builder nestedVirtualization(boolean value) { this.nested = value; return this; }
        public Builder placement(PlacementHints value) { this.placement = value; return this; }
        public Builder labels(Map<String, String> value) { this.labels = value; return this; }

        public VmSpec build() {
            return new VmSpec(id, name, cpu, memory, os, firmware, boot, disks, nics, graphics, serialConsole, gpus, usb,
                nested, placement, labels, List.of());
        }
    }
}
