package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Windows guests (variants 2016/2019/2022/10/11, libosinfo short ids {@code win2k16} … {@code win11}): RTC
 * in local time, the Hyper-V enlightenments QEMU accepts on this host (see {@link HyperVFeatures}), a tablet
 * so the pointer tracks under VNC, S3/S4 off, a TPM for Windows 11 (its installer refuses to run without),
 * the libosinfo id in the metadata. Compared element by element with virt-install's output for the same OS
 * variant by {@code VirtInstallComparisonTest}; the deliberate differences are listed in the bundle README.
 */
final class WindowsProfile implements GuestProfile {
    /** Windows' own default spinlock retry count, as virt-install emits it. */
    private static final int SPINLOCK_RETRIES = HyperVFeatures.SPINLOCK_RETRIES;
    private static final Map<String, String> LIBOSINFO = Map.of(
        "win2k16", "http://microsoft.com/win/2k16",
        "win2k19", "http://microsoft.com/win/2k19",
        "win2k22", "http://microsoft.com/win/2k22",
        "win10", "http://microsoft.com/win/10",
        "win11", "http://microsoft.com/win/11");

    private final String variant;

    WindowsProfile(String variant) {
        this.variant = variant;
    }

    /** Without knowing the host: the enlightenments assumed for the accelerator. */
    @Override
    public DomainModel.Features features(Accelerator accelerator, boolean smm) {
        return features(new HostTarget(accelerator == Accelerator.KVM ? "kvm" : "qemu", accelerator, HostTarget.QEMU_LOG_DIR, null), smm);
    }

    @Override
    public DomainModel.Features features(HostTarget host, boolean smm) {
        List<String> accepted = new ArrayList<>(HyperVFeatures.usable(host.hypervAccepted()));
        return new DomainModel.Features(true, true, smm, new DomainModel.HyperV(host.hypervAccepted().contains("relaxed"),
            host.hypervAccepted().contains("vapic"), host.hypervAccepted().contains("spinlocks") ? SPINLOCK_RETRIES : 0, accepted), true);
    }

    @Override
    public DomainModel.Clock clock() {
        return clock(true);
    }

    @Override
    public DomainModel.Clock clock(HostTarget host) {
        return clock(host.hypervAccepted().contains(HyperVFeatures.TIME));
    }

    private static DomainModel.Clock clock(boolean hypervClock) {
        List<DomainModel.Timer> timers = new ArrayList<>(List.of(
            new DomainModel.Timer("rtc", "catchup", null),
            new DomainModel.Timer("pit", "delay", null),
            new DomainModel.Timer("hpet", null, false)));
        if (hypervClock) timers.add(new DomainModel.Timer("hypervclock", null, true));
        return new DomainModel.Clock("localtime", timers);
    }

    @Override
    public String videoModel() {
        return "bochs";
    }

    /**
     * bochs-display under UEFI (no legacy VGA, works with the firmware's GOP; what virt-install gives
     * Windows 11), plain VGA under BIOS, where the boot loader and early setup screens need VGA modes
     * (what virt-install gives the BIOS-era variants).
     */
    @Override
    public String videoModel(boolean efi) {
        return efi ? "bochs" : "vga";
    }

    @Override
    public boolean usbTablet() {
        return true;
    }

    @Override
    public boolean tpm() {
        return variant != null && variant.startsWith("win11");
    }

    @Override
    public String libosinfoId() {
        return variant == null ? null : LIBOSINFO.get(variant);
    }
}
