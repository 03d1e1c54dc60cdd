package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.OsFamily;

/**
 * What depends on the guest OS rather than on the VM's devices: clock, enlightenments, video, pointer,
 * TPM. One profile per family keeps the per-OS knowledge in one place each.
 */
interface GuestProfile {
    DomainModel.Features features(Accelerator accelerator, boolean smm);

    /** The features for this host (e.g. the Hyper-V enlightenments its QEMU accepts). */
    default DomainModel.Features features(HostTarget host, boolean smm) {
        return features(host.accelerator(), smm);
    }

    DomainModel.Clock clock();

    default DomainModel.Clock clock(HostTarget host) {
        return clock();
    }

    /** The video model when the VM has a graphical console. */
    String videoModel();

    /** The video model for the firmware ({@code efi}: UEFI, else BIOS). */
    default String videoModel(boolean efi) {
        return videoModel();
    }

    /** libosinfo's id of the guest OS (virt-install records it in the metadata), or null. */
    default String libosinfoId() {
        return null;
    }

    /** Whether a USB tablet is worth its controller (absolute pointer under a graphical console). */
    boolean usbTablet();

    boolean tpm();

    static GuestProfile of(GuestOs os) {
        return os.family() == OsFamily.WINDOWS ? new WindowsProfile(os.variant()) : new LinuxProfile();
    }
}
