package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.Hostdev;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.MdevHostdev;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.PciAddress;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.PciHostdev;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.UsbHostdev;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a spec's host devices (filled by the node from {@code gpus}) and {@code usb} requests into hostdev
 * entries. PCI functions are already on vfio-pci (the device provider binds them, see gpu-vfio's README),
 * so they are {@code managed='no'}; libvirt must not unbind or rebind anything.
 *
 * <p>Functions of one host slot (a GPU and its HDMI audio) stay together in one guest slot with their
 * function numbers, function 0 marked multifunction: GPU drivers look for the audio function beside the
 * GPU, and a guest only enumerates the other functions of a slot when function 0 says it has them. Such
 * slots get fixed guest addresses on the first root ports ({@code bus} 1, 2, …); libvirt reserves fixed
 * addresses before it places the other devices, so nothing else lands there. Lone functions and mediated
 * devices are left for libvirt to place; each still takes a root port of its own.
 */
final class PassthroughMapper {
    /** What the rest of the domain must provide for these hostdevs. */
    record Result(List<Hostdev> hostdevs, int pciSlots, boolean needsUsbController) {
    }

    private PassthroughMapper() {}

    static Result map(VmSpec spec) {
        if (!spec.gpus().isEmpty() && spec.hostDevices().isEmpty()) {
            // Only the node's device provider turns requests into devices; reaching a backend unresolved means
            // there was none, and defining the VM without its GPU would hide that.
            boolean mediatedOnly = spec.gpus().stream().allMatch(g -> g.mdevType() != null);
            throw new UnsupportedFeatureException(mediatedOnly ? Feature.MEDIATED_DEVICE : Feature.GPU_PASSTHROUGH,
                "gpus: the request reached the libvirt backend unresolved (no host devices); a device provider must"
                    + " reserve them first, and none did");
        }
        List<Hostdev> out = new ArrayList<>();
        int slots = pci(spec.hostDevices(), out);
        slots += mediated(spec.hostDevices(), out);
        usb(spec.usb(), out);
        return new Result(out, slots, !spec.usb().isEmpty());
    }

    /** PCI functions grouped by host slot, in the order their slots first appear; returns the guest slots used. */
    private static int pci(List<HostDevice> devices, List<Hostdev> out) {
        Map<PciAddress, List<PciAddress>> slots = new LinkedHashMap<>();
        Set<PciAddress> seen = new HashSet<>();
        for (int i = 0; i < devices.size(); i++) {
            HostDevice d = devices.get(i);
            if (d.kind() != HostDevice.Kind.PCI) continue;
            PciAddress a = PciAddress.parse(d.address());
            if (!seen.add(a)) throw new InvalidArgumentException("hostDevices[" + i + "].address", d.address() + " is listed twice");
            slots.computeIfAbsent(new PciAddress(a.domain(), a.bus(), a.slot(), 0), k -> new ArrayList<>()).add(a);
        }
        int nextPort = 1;
        for (Map.Entry<PciAddress, List<PciAddress>> slot : slots.entrySet()) {
            List<PciAddress> functions = slot.getValue();
            functions.sort(Comparator.comparingInt(PciAddress::function));
            if (functions.size() == 1) {
                out.add(new PciHostdev(functions.get(0), null, null, false));
                continue;
            }
            if (functions.get(0).function() != 0)
                throw new InvalidArgumentException("hostDevices", "functions " + names(functions) + " of one slot come"
                    + " without function 0; a guest does not look for further functions in a slot without it");
            int bus = nextPort++;
            for (PciAddress f : functions)
                out.add(new PciHostdev(f, null, new PciAddress(0, bus, 0, f.function()), f.function() == 0));
        }
        return slots.size();
    }

    private static int mediated(List<HostDevice> devices, List<Hostdev> out) {
        Set<String> seen = new HashSet<>();
        int count = 0;
        for (int i = 0; i < devices.size(); i++) {
            HostDevice d = devices.get(i);
            if (d.kind() != HostDevice.Kind.MDEV) continue;
            if (!seen.add(d.mdevUuid()))
                throw new InvalidArgumentException("hostDevices[" + i + "].mdevUuid", d.mdevUuid() + " is listed twice");
            // No display: a vGPU console needs ramfb and a display-capable type, which HostDevice cannot say yet.
            out.add(new MdevHostdev(d.mdevUuid(), false));
            count++;
        }
        return count;
    }

    private static void usb(List<UsbRequest> requests, List<Hostdev> out) {
        Set<UsbRequest> seen = new HashSet<>();
        for (int i = 0; i < requests.size(); i++) {
            UsbRequest u = requests.get(i);
            if (!seen.add(u)) throw new InvalidArgumentException("usb[" + i + "]", "the same USB device is listed twice");
            if (u.vendorProduct() != null) {
                // GpuRequest.VENDOR_DEVICE has already checked the form: four hex digits, a colon, four more.
                String[] ids = u.vendorProduct().split(":");
                out.add(new UsbHostdev("0x" + ids[0], "0x" + ids[1], 0, 0));
            } else {
                out.add(new UsbHostdev(null, null, u.bus(), u.device()));
            }
        }
    }

    private static String names(List<PciAddress> functions) {
        List<String> out = new ArrayList<>();
        for (PciAddress a : functions)
            out.add(String.format("%04x:%02x:%02x.%x", a.domain(), a.bus(), a.slot(), a.function()));
        return String.join(", ", out);
    }
}
