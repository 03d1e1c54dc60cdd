package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;
import java.util.Set;

/**
 * What the mapper needs to know about the host a domain is written for: the libvirt domain type
 * ({@code kvm}, {@code qemu} for TCG, {@code test} for libvirt's test driver), the accelerator guests run
 * under, where serial logs go, and the CPU vendor (for the flag nested virtualization requires).
 */
public record HostTarget(String domainType, Accelerator accelerator, String serialLogDir, HostCpuVendor cpuVendor,
                         Set<String> hypervAccepted) {
    public static final String QEMU_LOG_DIR = "/var/log/libvirt/qemu";

    /**
     * {@code hypervAccepted}: the Hyper-V enlightenments (libvirt names, {@link HyperVFeatures}) QEMU accepts
     * on this host under its accelerator, as probed; null when not probed (then {@link HyperVFeatures#assumed}).
     */
    public HostTarget {
        cpuVendor = cpuVendor == null ? HostCpuVendor.UNKNOWN : cpuVendor;
        hypervAccepted = hypervAccepted == null ? HyperVFeatures.assumed(accelerator) : Set.copyOf(hypervAccepted);
    }

    public HostTarget(String domainType, Accelerator accelerator, String serialLogDir, HostCpuVendor cpuVendor) {
        this(domainType, accelerator, serialLogDir, cpuVendor, null);
    }

    /** The same host with the Hyper-V enlightenments a probe found QEMU to accept (null: keep the assumption). */
    public HostTarget withHyperV(Set<String> accepted) {
        return accepted == null ? this : new HostTarget(domainType, accelerator, serialLogDir, cpuVendor, accepted);
    }

    public static HostTarget of(Accelerator accelerator, boolean testDriver) {
        return of(accelerator, testDriver, HostCpuVendor.UNKNOWN);
    }

    public static HostTarget of(Accelerator accelerator, boolean testDriver, HostCpuVendor cpuVendor) {
        if (testDriver) return new HostTarget("test", Accelerator.NONE, QEMU_LOG_DIR, cpuVendor);
        return new HostTarget(accelerator == Accelerator.KVM ? "kvm" : "qemu", accelerator, QEMU_LOG_DIR, cpuVendor);
    }

    public String serialLogFor(String domainName) {
        return serialLogDir + "/" + domainName + "-serial.log";
    }
}
