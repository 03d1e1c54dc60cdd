package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;
import io.limiquantix.node.api.storage.DiskSource;

/**
 * One disk of a VM. {@code name} identifies it in the API (detach by name); the backend chooses the
 * guest-visible target. A CD-ROM is read-only by nature.
 */
public record DiskSpec(String name, DiskSource source, Bus bus, Device device, boolean readOnly, int bootOrder) {
    public enum Bus { VIRTIO, SATA, SCSI }

    public enum Device { DISK, CDROM }

    public DiskSpec {
        Checks.name("name", name);
        Checks.notNull("source", source);
        bus = bus == null ? Bus.VIRTIO : bus;
        device = device == null ? Device.DISK : device;
        Checks.range("bootOrder", bootOrder, 0, 64);
        if (device == Device.CDROM) readOnly = true;
    }

    public static DiskSpec file(String name, String path, DiskSource.Format format) {
        DiskSource source;
        try {
            source = DiskSource.file(path, format);
        } catch (InvalidArgumentException e) {
            throw e.under("source");
        }
        return new DiskSpec(name, source, Bus.VIRTIO, Device.DISK, false, 0);
    }
}
