package io.limiquantix.node.libvirt.internal.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What every probe of the host's QEMU depends on, as one line: the kernel release, the QEMU binary (size and
 * modification time) and whether {@code /dev/kvm} exists. A stored probe verdict ({@link KvmVerdictStore},
 * {@link HyperVVerdictStore}) is used only while this line, followed by the probe's own version, is the one
 * it was stored under.
 */
final class HostProbeKey {
    private final Path qemu;
    private final Path devKvm;
    private final Path osRelease;

    HostProbeKey(Path qemu, Path devKvm, Path osRelease) {
        this.qemu = qemu;
        this.devKvm = devKvm;
        this.osRelease = osRelease;
    }

    /** This host: the QEMU the backend runs, the real {@code /dev/kvm} and the running kernel. */
    static HostProbeKey local() {
        return new HostProbeKey(KvmProbe.QEMU, KvmProbe.DEV_KVM, Path.of("/proc/sys/kernel/osrelease"));
    }

    Path qemu() {
        return qemu;
    }

    /** The host's part of a key, read now (so a change since the last call shows). */
    String host() {
        StringBuilder k = new StringBuilder();
        try {
            k.append("kernel=").append(Files.readString(osRelease, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            k.append("kernel=?");
        }
        try {
            BasicFileAttributes a = Files.readAttributes(qemu, BasicFileAttributes.class);
            k.append(";qemu=").append(a.size()).append('@').append(a.lastModifiedTime().toMillis());
        } catch (IOException e) {
            k.append(";qemu=absent");
        }
        k.append(";devkvm=").append(Files.exists(devKvm));
        // Which module provides KVM (kvm_intel, kvm_amd, or one without VT-x/AMD-V such as kvm_pvm): can change
        // without a new kernel.
        k.append(";kvm-modules=").append(String.join(",", KvmProbe.kvmModules(KvmProbe.SYS_MODULE)));
        return k.toString();
    }
}
