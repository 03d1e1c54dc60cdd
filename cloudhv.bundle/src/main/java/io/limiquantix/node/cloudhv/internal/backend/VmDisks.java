package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.cloudhv.internal.chapi.ChRequests;
import java.util.ArrayList;
import java.util.List;

/**
 * Disk hot-plug: the VM's stored spec always changes; a running VMM gets {@code vm.add-disk} /
 * {@code vm.remove-device} too. The CH device id of every disk is the disk's name, so removal needs no lookup.
 */
final class VmDisks {
    private VmDisks() {}

    static void attach(ManagedVm vm, DiskSpec disk) {
        synchronized (vm) {
            if (vm.spec().disks().stream().anyMatch(d -> d.name().equals(disk.name())))
                throw new ConflictException("VM " + vm.id() + " already has a disk named " + disk.name());
            var config = vm.ctx().mapper().disk(disk);
            if (vm.running()) vm.call("vm.add-disk", new ChRequests.VmAddDisk(config));
            List<DiskSpec> disks = new ArrayList<>(vm.spec().disks());
            disks.add(disk);
            vm.saveSpec(vm.spec().withDisks(disks));
            vm.ctx().events().publish(VmEvent.Type.DISK_ATTACHED, vm.id(), vm.spec().name(), disk.name());
        }
    }

    static void detach(ManagedVm vm, String diskName) {
        synchronized (vm) {
            if (vm.spec().disks().stream().noneMatch(d -> d.name().equals(diskName)))
                throw new NotFoundException("VM " + vm.id() + " has no disk named " + diskName);
            if (vm.running()) vm.call("vm.remove-device", new ChRequests.VmRemoveDevice(diskName));
            vm.saveSpec(vm.spec().withDisks(vm.spec().disks().stream().filter(d -> !d.name().equals(diskName)).toList()));
            vm.ctx().events().publish(VmEvent.Type.DISK_DETACHED, vm.id(), vm.spec().name(), diskName);
        }
    }
}
