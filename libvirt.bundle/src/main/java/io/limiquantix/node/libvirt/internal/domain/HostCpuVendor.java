package io.limiquantix.node.libvirt.internal.domain;

import java.util.Locale;

/**
 * The host CPU's vendor as libvirt's capabilities name it, reduced to what the domain XML needs: which
 * CPU flag carries hardware virtualization into a guest (Intel VT-x is {@code vmx}, AMD-V {@code svm};
 * Hygon builds AMD's design).
 */
public enum HostCpuVendor {
    INTEL("vmx"), AMD("svm"), UNKNOWN(null);

    private final String virtualizationFlag;

    HostCpuVendor(String virtualizationFlag) {
        this.virtualizationFlag = virtualizationFlag;
    }

    /** The CPU flag a nested hypervisor needs, or null when this vendor's is not known here. */
    public String virtualizationFlag() {
        return virtualizationFlag;
    }

    /** From {@code /capabilities/host/cpu/vendor} ("Intel", "AMD", "Hygon"); anything else is UNKNOWN. */
    public static HostCpuVendor of(String libvirtVendor) {
        if (libvirtVendor == null) return UNKNOWN;
        return switch (libvirtVendor.trim().toLowerCase(Locale.ROOT)) {
            case "intel" -> INTEL;
            case "amd", "hygon" -> AMD;
            default -> UNKNOWN;
        };
    }
}
