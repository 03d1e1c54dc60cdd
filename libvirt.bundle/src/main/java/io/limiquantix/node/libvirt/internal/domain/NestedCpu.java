package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.UnsupportedFeatureException;
import java.util.List;

/**
 * The guest CPU for a VM that asks for nested virtualization. Only KVM can give a guest hardware
 * virtualization; the guest's CPU then has to carry the vendor's flag (vmx or svm).
 *
 * <p>The CPU mode the spec chose stays (host-model by default: a named model libvirt can check a migration
 * target against) and the flag is added with {@code policy='require'}, so a host whose KVM does not offer
 * nesting refuses to start the guest instead of booting it without the flag. When the vendor is unknown
 * the flag cannot be named: DEFAULT then falls back to host-passthrough, which hands the guest whatever the
 * host has; an explicit model-based mode is refused rather than silently left without the flag.
 *
 * <p>Under TCG nesting is refused: QEMU's TCG offers no usable vmx, and a hypervisor in the guest would
 * itself fall back to emulation inside emulation, far too slow for any workload.
 */
record NestedCpu(String mode, List<String> requiredFeatures) {
    NestedCpu {
        requiredFeatures = List.copyOf(requiredFeatures);
    }

    /** {@code mode} is the libvirt mode already chosen for {@code requested}. */
    static NestedCpu decide(HostTarget host, CpuSpec.Mode requested, String mode) {
        if (host.accelerator() != Accelerator.KVM)
            throw new UnsupportedFeatureException(Feature.NESTED_VIRTUALIZATION, "nestedVirtualization: needs KVM, and"
                + " this backend runs guests under " + host.accelerator() + " (a hypervisor inside a TCG guest could only"
                + " emulate in turn, unusably slowly)");
        String flag = host.cpuVendor().virtualizationFlag();
        if (flag != null) return new NestedCpu(mode, List.of(flag));
        if (requested == CpuSpec.Mode.DEFAULT || requested == CpuSpec.Mode.HOST_PASSTHROUGH)
            return new NestedCpu("host-passthrough", List.of());
        throw new UnsupportedFeatureException(Feature.NESTED_VIRTUALIZATION, "nestedVirtualization: the host CPU vendor"
            + " is unknown, so cpu.mode " + requested + " cannot be made to require vmx or svm; use DEFAULT or"
            + " HOST_PASSTHROUGH");
    }
}
