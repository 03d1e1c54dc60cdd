package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;

/** Where the guest boots from: a kernel and initrd given directly, its disks, a CD-ROM, or the network. */
public record BootSource(Kind kind, String kernel, String initrd, String cmdline) {
    public enum Kind { DISK, CDROM, NETWORK, KERNEL }

    public BootSource {
        kind = kind == null ? Kind.DISK : kind;
        if (kind == Kind.KERNEL) {
            Checks.path("kernel", Checks.notNull("kernel", kernel));
            Checks.optionalPath("initrd", initrd);
            Checks.ascii("cmdline", cmdline, 2048);
        } else if (kernel != null || initrd != null || cmdline != null) {
            throw new InvalidArgumentException("kernel", "kernel, initrd and cmdline are only allowed with kind KERNEL");
        }
    }

    public static BootSource disk() {
        return new BootSource(Kind.DISK, null, null, null);
    }

    public static BootSource kernel(String kernel, String initrd, String cmdline) {
        return new BootSource(Kind.KERNEL, kernel, initrd, cmdline);
    }
}
