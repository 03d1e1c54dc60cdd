package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Maps a {@link VmSpec} to a {@link DomainModel} for one host; host devices and USB passthrough come from
 * {@link PassthroughMapper}, the nested-virtualization CPU from {@link NestedCpu}. Anything in the spec this
 * backend does not emit yet is refused with {@link UnsupportedFeatureException} rather than silently dropped: a VM that
 * boots without the GPU it asked for is worse than one that is not created.
 */
public final class DomainMapper {
    /** Spare PCIe root ports beyond the ones the initial devices take: room for hot-plugged disks and NICs. */
    static final int SPARE_ROOT_PORTS = 4;
    /** Disk aliases are {@code ua-<disk name>}; libvirt requires user aliases to start with {@code ua-}. */
    public static final String DISK_ALIAS_PREFIX = "ua-";

    private static final char[] PASSWORD_ALPHABET =
        "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HostTarget host;

    public DomainMapper(HostTarget host) {
        this.host = host;
    }

    public DomainModel map(VmSpec spec) {
        if (spec.id() == null) throw new InvalidArgumentException("id", "is required: the node assigns it before defining the VM");
        refuseUnemitted(spec);
        GuestProfile profile = GuestProfile.of(spec.os());
        boolean efi = spec.firmware() != Firmware.BIOS;
        boolean secureBoot = spec.firmware() == Firmware.UEFI_SECURE_BOOT;
        List<DomainModel.Disk> disks = disks(spec.disks());
        boolean deviceBootOrder = spec.disks().stream().anyMatch(d -> d.bootOrder() > 0);
        DomainModel.Os os = new DomainModel.Os("x86_64", "q35", efi ? "efi" : null, secureBoot,
            spec.boot().kernel(), spec.boot().initrd(), spec.boot().cmdline(), bootDevices(spec, deviceBootOrder));
        List<DomainModel.Nic> nics = nics(spec.nics());
        PassthroughMapper.Result passthrough = PassthroughMapper.map(spec);
        boolean graphical = spec.graphics().type() != GraphicsSpec.Type.NONE;
        boolean virtioScsi = spec.disks().stream().anyMatch(d -> d.bus() == DiskSpec.Bus.SCSI);
        boolean tablet = graphical && profile.usbTablet();
        boolean usb = tablet || passthrough.needsUsbController();
        String video = graphical ? profile.videoModel(efi) : null;
        int pcieDevices = (int) disks.stream().filter(d -> d.bus().equals("virtio")).count() + nics.size()
            + (virtioScsi ? 1 : 0) + (usb ? 1 : 0) + ("virtio".equals(video) ? 1 : 0) + passthrough.pciSlots();
        DomainModel.Devices devices = new DomainModel.Devices(pcieDevices + SPARE_ROOT_PORTS, virtioScsi, usb, tablet, profile.tpm());
        return new DomainModel(host.domainType(), spec.name(), spec.id(),
            new DomainModel.Metadata(spec.os().family().name(), spec.os().variant(), spec.labels(), profile.libosinfoId()),
            spec.memory().sizeMiB() * 1024, cpu(spec.cpu(), spec.nestedVirtualization()), os,
            profile.features(host, secureBoot), profile.clock(host), disks, nics, graphics(spec.graphics()), video,
            spec.serialConsole() ? new DomainModel.Serial(host.serialLogFor(spec.name())) : null, devices,
            passthrough.hostdevs());
    }

    private static void refuseUnemitted(VmSpec spec) {
        if (spec.memory().hugePages())
            throw new UnsupportedFeatureException(Feature.HUGE_PAGES, "memory.hugePages: not offered by this libvirt backend");
    }

    /**
     * The CPU model. DEFAULT must be safe for the accelerator: under KVM {@code host-model} (the host's
     * CPU as a named model plus features: fast, and libvirt can check a migration target against it);
     * under TCG {@code maximum} (QEMU's {@code -cpu max}, every feature TCG emulates). The older default,
     * qemu64, was measured here corrupting busy guests across live migration (3 of 10) while {@code -cpu max}
     * did not; the price is that a TCG guest may only migrate to a host with the same QEMU version.
     */
    private DomainModel.Cpu cpu(CpuSpec cpu, boolean nested) {
        boolean kvm = host.accelerator() == Accelerator.KVM;
        String mode = switch (cpu.mode()) {
            case DEFAULT -> kvm ? "host-model" : "maximum";
            case MAXIMUM -> "maximum";
            case HOST_MODEL -> "host-model";
            case HOST_PASSTHROUGH -> {
                if (host.accelerator() == Accelerator.TCG)
                    throw new InvalidArgumentException("cpu.mode", "HOST_PASSTHROUGH needs KVM; this backend runs guests under TCG");
                yield "host-passthrough";
            }
            case CUSTOM -> "custom";
        };
        List<String> required = List.of();
        if (nested) {
            NestedCpu n = NestedCpu.decide(host, cpu.mode(), mode);
            mode = n.mode();
            required = n.requiredFeatures();
        }
        int sockets = cpu.sockets();
        int cores = cpu.cores();
        int threads = cpu.threads();
        if (sockets == 0) {
            // One socket with n cores: client editions of Windows use at most two sockets, so n sockets
            // would leave CPUs idle; Linux does not care.
            sockets = 1;
            cores = cpu.vcpus();
            threads = 1;
        }
        return new DomainModel.Cpu(cpu.vcpus(), sockets, cores, threads, mode, cpu.model(), required);
    }

    private static List<String> bootDevices(VmSpec spec, boolean deviceBootOrder) {
        BootSource.Kind kind = spec.boot().kind();
        if (kind == BootSource.Kind.NETWORK && spec.nics().isEmpty())
            throw new InvalidArgumentException("boot.kind", "NETWORK boot needs at least one NIC");
        // libvirt refuses <os><boot dev> together with per-device boot order; per-device order wins.
        if (deviceBootOrder || kind == BootSource.Kind.KERNEL) return List.of();
        return switch (kind) {
            case DISK -> List.of("hd");
            case CDROM -> List.of("cdrom", "hd");
            case NETWORK -> List.of("network");
            case KERNEL -> List.of();
        };
    }

    private static List<DomainModel.Disk> disks(List<DiskSpec> specs) {
        List<DomainModel.Disk> out = new ArrayList<>();
        Set<String> taken = new HashSet<>();
        for (int i = 0; i < specs.size(); i++) {
            try {
                DomainModel.Disk d = disk(specs.get(i), taken);
                taken.add(d.target());
                out.add(d);
            } catch (InvalidArgumentException e) {
                throw e.under("disks[" + i + "]");
            }
        }
        return out;
    }

    /** One disk, with the first target name not in {@code taken}; used for hot-plug as well. */
    public static DomainModel.Disk disk(DiskSpec d, Set<String> taken) {
        DiskSpec.Bus bus = effectiveBus(d);
        String target = TargetNames.firstFree(TargetNames.prefix(bus), taken);
        DiskSource s = d.source();
        String format = s.format().name().toLowerCase(Locale.ROOT);
        String device = d.device() == DiskSpec.Device.CDROM ? "cdrom" : "disk";
        String busName = bus.name().toLowerCase(Locale.ROOT);
        String alias = DISK_ALIAS_PREFIX + d.name();
        return switch (s.kind()) {
            case FILE -> new DomainModel.Disk("file", device, format, s.path(), null, List.of(), null, null, target,
                busName, d.readOnly(), alias, d.bootOrder());
            case BLOCK -> new DomainModel.Disk("block", device, format, s.path(), null, List.of(), null, null, target,
                busName, d.readOnly(), alias, d.bootOrder());
            case NETWORK -> {
                if (!"rbd".equals(s.protocol()))
                    throw new UnsupportedFeatureException(null, "source.protocol: only rbd network disks are supported, not " + s.protocol());
                if ((s.authUser() == null) != (s.secretUuid() == null))
                    throw new InvalidArgumentException("source.secretUuid", "authUser and secretUuid go together");
                yield new DomainModel.Disk("network", device, format, s.volume(), "rbd", hosts(s.hosts()), s.authUser(),
                    s.secretUuid(), target, busName, d.readOnly(), alias, d.bootOrder());
            }
            case VOLUME -> throw new InvalidArgumentException("source.kind",
                "VOLUME sources must be resolved by the node before they reach a backend");
        };
    }

    /** A CD-ROM cannot sit on virtio (there is no virtio CD-ROM); the API's default bus then means "backend's choice". */
    private static DiskSpec.Bus effectiveBus(DiskSpec d) {
        return d.device() == DiskSpec.Device.CDROM && d.bus() == DiskSpec.Bus.VIRTIO ? DiskSpec.Bus.SATA : d.bus();
    }

    private static List<DomainModel.Host> hosts(List<String> hosts) {
        List<DomainModel.Host> out = new ArrayList<>();
        for (String h : hosts) {
            int colon = h.lastIndexOf(':');
            String name = h.substring(0, colon);
            if (name.startsWith("[")) name = name.substring(1, name.length() - 1);
            out.add(new DomainModel.Host(name, Integer.parseInt(h.substring(colon + 1))));
        }
        return out;
    }

    private static List<DomainModel.Nic> nics(List<NicSpec> specs) {
        List<DomainModel.Nic> out = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            NicSpec n = specs.get(i);
            String model = switch (n.model()) {
                case VIRTIO -> "virtio";
                case E1000E -> "e1000e";
                case RTL8139 -> "rtl8139";
            };
            boolean network = n.network() != null;
            out.add(new DomainModel.Nic(network ? "network" : "bridge", network ? n.network() : n.bridge(), model, n.mac(),
                "ua-nic" + i));
        }
        return out;
    }

    private static DomainModel.Graphics graphics(GraphicsSpec g) {
        return switch (g.type()) {
            case NONE -> null;
            // VNC's authentication only uses the first 8 characters of a password.
            case VNC -> new DomainModel.Graphics("vnc", g.listen(), password(8));
            case SPICE -> new DomainModel.Graphics("spice", g.listen(), password(20));
        };
    }

    static String password(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) out[i] = PASSWORD_ALPHABET[RANDOM.nextInt(PASSWORD_ALPHABET.length)];
        return new String(out);
    }
}
