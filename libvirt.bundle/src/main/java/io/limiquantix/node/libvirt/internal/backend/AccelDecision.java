package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.Accelerator;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Which accelerator a backend's guests run under, and why. {@code usable} is false when the configured
 * accelerator cannot run guests here (accel=kvm without a working KVM); the backend then reports itself
 * not capable with {@code reason}.
 */
public record AccelDecision(Accelerator accelerator, boolean usable, String reason) {
    public enum Requested {
        AUTO, KVM, TCG;

        public static Requested parse(String value) {
            if (value == null || value.isBlank()) return AUTO;
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    /**
     * {@code auto}: KVM only when libvirt offers kvm domains and a KVM test guest actually ran
     * ({@link KvmProbe}), else TCG. {@code kvm}: KVM, or not usable when either fails. {@code tcg}: TCG
     * without probing. The probe is only run when its answer matters. libvirt's view matters separately
     * because QEMU runs as libvirt's user, who may not be allowed to open {@code /dev/kvm} even when this
     * process is.
     */
    public static AccelDecision decide(Requested requested, boolean libvirtOffersKvm, Supplier<KvmProbe.Result> probe) {
        if (requested == Requested.TCG) return new AccelDecision(Accelerator.TCG, true, "accel=tcg is configured");
        if (!libvirtOffersKvm) {
            String why = "libvirt offers no kvm domains for x86_64 (is /dev/kvm usable by libvirt's QEMU user?)";
            return requested == Requested.KVM ? new AccelDecision(Accelerator.KVM, false, "accel=kvm is configured but " + why)
                : new AccelDecision(Accelerator.TCG, true, "accel=auto chose TCG: " + why);
        }
        KvmProbe.Result r = probe.get();
        if (requested == Requested.KVM)
            return r.runsGuests() ? new AccelDecision(Accelerator.KVM, true, "accel=kvm: " + r.detail())
                : new AccelDecision(Accelerator.KVM, false, "accel=kvm is configured but KVM cannot run guests here: " + r.detail());
        return r.runsGuests() ? new AccelDecision(Accelerator.KVM, true, "accel=auto chose KVM: " + r.detail())
            : new AccelDecision(Accelerator.TCG, true, "accel=auto chose TCG: " + r.detail());
    }

    /**
     * For a remote host this node cannot run a test guest there. {@code auto} then means TCG (it always
     * works); an operator who knows the host has a working KVM says {@code accel=kvm}.
     */
    public static AccelDecision forRemote(Requested requested) {
        return switch (requested) {
            case KVM -> new AccelDecision(Accelerator.KVM, true, "accel=kvm on a remote host (KVM not verified from here)");
            case TCG -> new AccelDecision(Accelerator.TCG, true, "accel=tcg is configured");
            case AUTO -> new AccelDecision(Accelerator.TCG, true,
                "accel=auto chose TCG: KVM on a remote host cannot be verified from this node; set accel=kvm to use it");
        };
    }
}
