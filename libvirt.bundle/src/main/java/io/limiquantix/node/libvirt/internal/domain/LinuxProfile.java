package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;
import java.util.List;

/** Linux and other guests that keep UTC in the RTC and have virtio drivers built in. */
final class LinuxProfile implements GuestProfile {
    @Override
    public DomainModel.Features features(Accelerator accelerator, boolean smm) {
        return new DomainModel.Features(true, true, smm, null);
    }

    @Override
    public DomainModel.Clock clock() {
        // catchup lets a guest that was descheduled (common under TCG) catch its RTC up instead of drifting.
        return new DomainModel.Clock("utc", List.of(
            new DomainModel.Timer("rtc", "catchup", null),
            new DomainModel.Timer("pit", "delay", null),
            new DomainModel.Timer("hpet", null, false)));
    }

    @Override
    public String videoModel() {
        return "virtio";
    }

    @Override
    public boolean usbTablet() {
        return false;
    }

    @Override
    public boolean tpm() {
        return false;
    }
}
