package io.limiquantix.node.libvirt.internal.domain;

import java.util.List;
import java.util.Map;

/**
 * A libvirt domain as this backend emits it: only the parts the node uses, each as a typed value. The
 * {@link DomainXmlWriter} turns it into XML; {@link DomainMapper} builds it from a {@code VmSpec}. Keeping
 * the model free of strings-with-markup is what makes XML injection impossible by construction.
 */
public record DomainModel(String type, String name, String uuid, Metadata metadata, long memoryKiB, Cpu cpu, Os os,
                          Features features, Clock clock, List<Disk> disks, List<Nic> nics, Graphics graphics,
                          String videoModel, Serial serial, Devices devices, List<Hostdev> hostdevs) {
    public DomainModel {
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
        hostdevs = List.copyOf(hostdevs);
    }

    /**
     * What the node records inside the domain, in its own XML namespace; {@code libosinfoId} (may be null) is
     * the OS's libosinfo id, written in libosinfo's namespace the way virt-install does, for tools like
     * virt-manager.
     */
    public record Metadata(String osFamily, String osVariant, Map<String, String> labels, String libosinfoId) {
        public Metadata {
            labels = Map.copyOf(labels);
        }

        public Metadata(String osFamily, String osVariant, Map<String, String> labels) {
            this(osFamily, osVariant, labels, null);
        }
    }

    /**
     * {@code mode} is a libvirt CPU mode (maximum, host-model, host-passthrough, custom); model only for custom.
     * {@code requiredFeatures} are CPU flags the guest must get ({@code policy='require'}), e.g. vmx for nesting.
     */
    public record Cpu(int vcpus, int sockets, int cores, int threads, String mode, String model,
                      List<String> requiredFeatures) {
        public Cpu {
            requiredFeatures = List.copyOf(requiredFeatures);
        }

        public boolean hasTopology() {
            return sockets > 0;
        }
    }

    /**
     * Firmware and boot. {@code firmware} is null (BIOS) or {@code efi}; {@code bootDevices} is the
     * {@code <os><boot dev>} list, empty when devices carry their own boot order or a kernel boots.
     */
    public record Os(String arch, String machine, String firmware, boolean secureBoot, String kernel, String initrd,
                     String cmdline, List<String> bootDevices) {
        public Os {
            bootDevices = List.copyOf(bootDevices);
        }
    }

    /**
     * {@code hyperv} is null for guests that get no Hyper-V enlightenments. {@code noGuestSuspend} writes
     * {@code <pm>} with suspend-to-mem and suspend-to-disk disabled (S3/S4 inside the guest: a guest that
     * suspends itself looks hung to the node, and resuming it needs an agent this node does not run).
     */
    public record Features(boolean acpi, boolean apic, boolean smm, HyperV hyperv, boolean noGuestSuspend) {
        public Features(boolean acpi, boolean apic, boolean smm, HyperV hyperv) {
            this(acpi, apic, smm, hyperv, false);
        }
    }

    /**
     * Hyper-V enlightenments: relaxed, vapic and spinlocks, plus {@code more}: further ones turned on, by
     * libvirt's element name ({@link HyperVFeatures#ORDER}), each written as {@code <name state='on'/>}.
     */
    public record HyperV(boolean relaxed, boolean vapic, int spinlockRetries, List<String> more) {
        public HyperV {
            more = List.copyOf(more);
        }

        public HyperV(boolean relaxed, boolean vapic, int spinlockRetries) {
            this(relaxed, vapic, spinlockRetries, List.of());
        }
    }

    public record Clock(String offset, List<Timer> timers) {
        public Clock {
            timers = List.copyOf(timers);
        }
    }

    /** A clock timer; {@code tickPolicy} and {@code present} may be null (libvirt default). */
    public record Timer(String name, String tickPolicy, Boolean present) {
    }

    /**
     * A disk. {@code type} is file, block or network; for network disks {@code source} is the
     * protocol's volume name ({@code pool/image}), else a path. {@code alias} is libvirt's user alias.
     */
    public record Disk(String type, String device, String format, String source, String protocol, List<Host> hosts,
                       String authUser, String secretUuid, String target, String bus, boolean readOnly, String alias,
                       int bootOrder) {
        public Disk {
            hosts = List.copyOf(hosts);
        }
    }

    public record Host(String name, int port) {
    }

    /** A NIC: {@code type} network or bridge, {@code source} the network or bridge name; mac may be null. */
    public record Nic(String type, String source, String model, String mac, String alias) {
    }

    /** A graphical console; type vnc or spice. */
    public record Graphics(String type, String listen, String password) {
    }

    /** A serial console on a pty whose output is also written to {@code logFile}. */
    public record Serial(String logFile) {
    }

    /**
     * Controllers and small devices. {@code pcieRootPorts} ports (numbered 1…n after the root complex) take
     * the PCIe devices, plus spares that make hot-plug possible on q35; {@code virtioScsi} adds the
     * controller SCSI disks need; {@code usbController} a qemu-xhci controller (for the tablet and USB
     * passthrough); {@code usbTablet} an absolute pointer for graphical guests; {@code tpm} a TPM 2.0
     * emulated by swtpm.
     */
    public record Devices(int pcieRootPorts, boolean virtioScsi, boolean usbController, boolean usbTablet, boolean tpm) {
        public Devices {
            if (usbTablet && !usbController) throw new IllegalArgumentException("a USB tablet needs the USB controller");
        }
    }

    /** A host device given to the guest ({@code <hostdev mode='subsystem'>}). */
    public sealed interface Hostdev permits PciHostdev, MdevHostdev, UsbHostdev {
    }

    /** A PCI address, host or guest side; written as libvirt's hex attributes. */
    public record PciAddress(int domain, int bus, int slot, int function) {
        public PciAddress {
            if (domain < 0 || domain > 0xffff || bus < 0 || bus > 0xff || slot < 0 || slot > 0x1f || function < 0 || function > 7)
                throw new IllegalArgumentException("not a PCI address: " + domain + ":" + bus + ":" + slot + "." + function);
        }

        /** Parses {@code DDDD:BB:SS.F} (the form {@code HostDevice.address()} has). */
        public static PciAddress parse(String address) {
            return new PciAddress(Integer.parseInt(address.substring(0, 4), 16), Integer.parseInt(address.substring(5, 7), 16),
                Integer.parseInt(address.substring(8, 10), 16), Integer.parseInt(address.substring(11), 16));
        }

        /** Same domain, bus and slot: functions of one physical device. */
        public boolean sameSlot(PciAddress other) {
            return domain == other.domain && bus == other.bus && slot == other.slot;
        }
    }

    /**
     * A PCI function already bound to vfio-pci by the device provider, hence {@code managed='no'}.
     * {@code romBar} is null to leave QEMU's default (the device's own ROM exposed), else on/off.
     * {@code guestAddress} is null to let libvirt place it; {@code multifunction} marks function 0 of a
     * guest slot that carries several functions.
     */
    public record PciHostdev(PciAddress source, Boolean romBar, PciAddress guestAddress, boolean multifunction)
        implements Hostdev {
        public PciHostdev {
            if (multifunction && (guestAddress == null || guestAddress.function() != 0))
                throw new IllegalArgumentException("multifunction belongs on function 0 of a fixed guest slot");
        }
    }

    /** A mediated device (vGPU) the provider created; libvirt only opens it by UUID. */
    public record MdevHostdev(String uuid, boolean display) implements Hostdev {
    }

    /**
     * A host USB device, either by ids ({@code vendorId}/{@code productId} as {@code 0x…}, bus and device 0)
     * or by position (bus and device number, ids null).
     */
    public record UsbHostdev(String vendorId, String productId, int bus, int device) implements Hostdev {
        public UsbHostdev {
            boolean byIds = vendorId != null && productId != null && bus == 0 && device == 0;
            boolean byPosition = vendorId == null && productId == null && bus > 0 && device > 0;
            if (!byIds && !byPosition)
                throw new IllegalArgumentException("a USB hostdev is either vendor/product or bus/device");
        }
    }
}
