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
                          String videoModel, Serial serial, Devices devices) {
    public DomainModel {
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
    }

    /** What the node records inside the domain, in its own XML namespace. */
    public record Metadata(String osFamily, String osVariant, Map<String, String> labels) {
        public Metadata {
            labels = Map.copyOf(labels);
        }
    }

    /** {@code mode} is a libvirt CPU mode (maximum, host-model, host-passthrough, custom); model only for custom. */
    public record Cpu(int vcpus, int sockets, int cores, int threads, String mode, String model) {
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

    /** {@code hyperv} is null for guests that get no Hyper-V enlightenments. */
    public record Features(boolean acpi, boolean apic, boolean smm, HyperV hyperv) {
    }

    public record HyperV(boolean relaxed, boolean vapic, int spinlockRetries) {
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
     * Controllers and small devices. {@code pcieRootPorts} spare ports make hot-plug possible on q35;
     * {@code virtioScsi} adds the controller SCSI disks need; {@code usbTablet} a qemu-xhci controller with
     * a tablet (absolute pointer for graphical guests); {@code tpm} a TPM 2.0 emulated by swtpm.
     */
    public record Devices(int pcieRootPorts, boolean virtioScsi, boolean usbTablet, boolean tpm) {
    }
}
