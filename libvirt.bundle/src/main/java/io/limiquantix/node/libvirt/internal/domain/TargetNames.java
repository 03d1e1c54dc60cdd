package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.DiskSpec;
import java.util.Set;

/**
 * Guest-visible disk target names: {@code vda, vdb, ...} on virtio, {@code sda, sdb, ...} shared by SATA
 * and SCSI (libvirt keeps them in one namespace). After {@code z} come {@code aa, ab, ...}, as Linux names them.
 */
public final class TargetNames {
    private TargetNames() {}

    public static String prefix(DiskSpec.Bus bus) {
        return bus == DiskSpec.Bus.VIRTIO ? "vd" : "sd";
    }

    public static String name(String prefix, int index) {
        if (index < 0) throw new IllegalArgumentException("index must not be negative");
        StringBuilder suffix = new StringBuilder();
        int n = index;
        do {
            suffix.insert(0, (char) ('a' + n % 26));
            n = n / 26 - 1;
        } while (n >= 0);
        return prefix + suffix;
    }

    /** The first name with this prefix that is not in {@code taken}. */
    public static String firstFree(String prefix, Set<String> taken) {
        for (int i = 0; ; i++) {
            String candidate = name(prefix, i);
            if (!taken.contains(candidate)) return candidate;
        }
    }
}
