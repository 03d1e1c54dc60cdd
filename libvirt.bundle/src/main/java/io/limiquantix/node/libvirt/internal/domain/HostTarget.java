package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;

/**
 * What the mapper needs to know about the host a domain is written for: the libvirt domain type
 * ({@code kvm}, {@code qemu} for TCG, {@code test} for libvirt's test driver), the accelerator guests run
 * under, and where serial logs go.
 */
public record HostTarget(String domainType, Accelerator accelerator, String serialLogDir) {
    public static final String QEMU_LOG_DIR = "/var/log/libvirt/qemu";

    public static HostTarget of(Accelerator accelerator, boolean testDriver) {
        if (testDriver) return new HostTarget("test", Accelerator.NONE, QEMU_LOG_DIR);
        return new HostTarget(accelerator == Accelerator.KVM ? "kvm" : "qemu", accelerator, QEMU_LOG_DIR);
    }

    public String serialLogFor(String domainName) {
        return serialLogDir + "/" + domainName + "-serial.log";
    }
}
