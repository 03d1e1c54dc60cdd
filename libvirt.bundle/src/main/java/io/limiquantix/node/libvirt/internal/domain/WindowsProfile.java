package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;
import java.util.List;

/**
 * Windows guests: RTC in local time, the Hyper-V enlightenments that work under both accelerators, a
 * tablet so the pointer tracks under VNC, and a TPM for Windows 11 (its installer refuses to run without).
 *
 * <p>Only relaxed, vapic and spinlocks are emitted: under TCG QEMU refuses hv-vpindex ("kernel doesn't allow
 * setting HyperV VP_INDEX"), and synic/stimer depend on vpindex. The full KVM set is a later issue.
 */
final class WindowsProfile implements GuestProfile {
    /** Windows' own default spinlock retry count, as virt-install emits it. */
    private static final int SPINLOCK_RETRIES = 8191;

    private final String variant;

    WindowsProfile(String variant) {
        this.variant = variant;
    }

    @Override
    public DomainModel.Features features(Accelerator accelerator, boolean smm) {
        return new DomainModel.Features(true, true, smm, new DomainModel.HyperV(true, true, SPINLOCK_RETRIES));
    }

    @Override
    public DomainModel.Clock clock() {
        return new DomainModel.Clock("localtime", List.of(
            new DomainModel.Timer("rtc", "catchup", null),
            new DomainModel.Timer("pit", "delay", null),
            new DomainModel.Timer("hpet", null, false),
            new DomainModel.Timer("hypervclock", null, true)));
    }

    @Override
    public String videoModel() {
        // bochs-display needs no driver beyond what Windows ships and works with UEFI GOP.
        return "bochs";
    }

    @Override
    public boolean usbTablet() {
        return true;
    }

    @Override
    public boolean tpm() {
        return variant != null && variant.startsWith("win11");
    }
}
