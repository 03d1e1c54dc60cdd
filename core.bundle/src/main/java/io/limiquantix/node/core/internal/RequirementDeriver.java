package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeProvider;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What a VM needs from a backend, read off its spec. Placement compares this set with each backend's
 * features, so every device and setting that not every backend offers must map to a feature here.
 */
final class RequirementDeriver {
    private final Function<String, Optional<VolumeProvider>> volumeProviders;

    RequirementDeriver(Function<String, Optional<VolumeProvider>> volumeProviders) {
        this.volumeProviders = volumeProviders;
    }

    Set<Feature> derive(VmSpec spec) {
        EnumSet<Feature> need = EnumSet.noneOf(Feature.class);
        need.add(switch (spec.os().family()) {
            case LINUX -> Feature.LINUX_GUEST;
            case WINDOWS -> Feature.WINDOWS_GUEST;
            case OTHER -> Feature.OTHER_GUEST;
        });
        switch (spec.firmware()) {
            case BIOS -> need.add(Feature.BIOS_FIRMWARE);
            case UEFI -> need.add(Feature.UEFI_FIRMWARE);
            case UEFI_SECURE_BOOT -> need.addAll(EnumSet.of(Feature.UEFI_FIRMWARE, Feature.SECURE_BOOT));
        }
        need.add(switch (spec.boot().kind()) {
            case KERNEL -> Feature.DIRECT_KERNEL_BOOT;
            case DISK -> Feature.DISK_BOOT;
            case CDROM -> Feature.CDROM_BOOT;
            case NETWORK -> Feature.NETWORK_BOOT;
        });
        for (int i = 0; i < spec.disks().size(); i++) {
            DiskSpec disk = spec.disks().get(i);
            need.add(busFeature(disk.bus()));
            need.add(sourceFeature("disks[" + i + "].source", disk.source()));
        }
        for (NicSpec nic : spec.nics()) need.add(nic.network() != null ? Feature.VIRTUAL_NETWORK : Feature.BRIDGE_NETWORK);
        if (spec.graphics().type() == GraphicsSpec.Type.VNC) need.add(Feature.VNC_CONSOLE);
        if (spec.graphics().type() == GraphicsSpec.Type.SPICE) need.add(Feature.SPICE_CONSOLE);
        if (spec.serialConsole()) need.add(Feature.SERIAL_CONSOLE);
        for (GpuRequest gpu : spec.gpus()) need.add(gpu.mdevType() != null ? Feature.MEDIATED_DEVICE : Feature.GPU_PASSTHROUGH);
        if (!spec.usb().isEmpty()) need.add(Feature.USB_PASSTHROUGH);
        if (spec.nestedVirtualization()) need.add(Feature.NESTED_VIRTUALIZATION);
        if (spec.memory().hugePages()) need.add(Feature.HUGE_PAGES);
        if (spec.placement().liveMigratable()) need.add(Feature.LIVE_MIGRATION);
        return Collections.unmodifiableSet(need);
    }

    static Feature busFeature(DiskSpec.Bus bus) {
        return switch (bus) {
            case VIRTIO -> Feature.VIRTIO_DISK;
            case SATA -> Feature.SATA_DISK;
            case SCSI -> Feature.SCSI_DISK;
        };
    }

    /** The feature a disk source needs; {@code field} is the source's path in the spec, for errors. */
    Feature sourceFeature(String field, DiskSource source) {
        return switch (source.kind()) {
            case FILE, BLOCK -> Feature.FILE_DISK;
            case NETWORK -> {
                if ("rbd".equals(source.protocol().toLowerCase(Locale.ROOT))) yield Feature.RBD_DISK;
                throw new InvalidArgumentException(field + ".protocol",
                    "no backend feature covers protocol '" + source.protocol() + "' (supported: rbd)");
            }
            case VOLUME -> {
                VolumeProvider p = volumeProviders.apply(source.provider()).orElseThrow(() ->
                    new InvalidArgumentException(field + ".provider",
                        "no volume provider named '" + source.provider() + "' is registered"));
                Feature f = p.requiredFeature();
                if (f == null) throw new InvalidArgumentException(field + ".provider",
                    "volume provider '" + source.provider() + "' does not say which backend feature it needs");
                yield f;
            }
        };
    }
}
