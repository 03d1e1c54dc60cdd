package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MemorySpec;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.OsFamily;
import io.limiquantix.node.api.PlacementHints;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.rpc.v1.CreateSnapshotRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Messages in, API records out. It holds no rules of its own: the records validate themselves, and this class
 * only converts representations (empty string → absent, UNSPECIFIED → default, unsigned → checked) and
 * prefixes each part's errors with the part's path, so an error names the field the caller sent.
 */
final class SpecMapper {
    private SpecMapper() {}

    static VmSpec vmSpec(io.limiquantix.node.rpc.v1.VmSpec m) {
        if (m.getHostDevicesCount() > 0)
            throw new InvalidArgumentException("hostDevices", "is filled by the node from gpus; leave it empty");
        return new VmSpec(opt(m.getId()), m.getName(),
            m.hasCpu() ? part("cpu", () -> cpu(m.getCpu())) : null,
            m.hasMemory() ? part("memory", () -> new MemorySpec(u64("sizeMiB", m.getMemory().getSizeMib()),
                m.getMemory().getHugePages())) : null,
            m.hasOs() ? part("os", () -> new GuestOs(
                ProtoEnums.toApi(m.getOs().getFamily(), "OS_FAMILY_", OsFamily.class, "family"), opt(m.getOs().getVariant()))) : null,
            ProtoEnums.toApi(m.getFirmware(), "FIRMWARE_", Firmware.class, "firmware"),
            m.hasBoot() ? part("boot", () -> boot(m.getBoot())) : null,
            list("disks", m.getDisksList(), SpecMapper::disk),
            list("nics", m.getNicsList(), SpecMapper::nic),
            m.hasGraphics() ? part("graphics", () -> new GraphicsSpec(
                ProtoEnums.toApi(m.getGraphics().getType(), "TYPE_", GraphicsSpec.Type.class, "type"),
                opt(m.getGraphics().getListen()))) : null,
            !m.hasSerialConsole() || m.getSerialConsole().getValue(),
            list("gpus", m.getGpusList(), g -> new GpuRequest(opt(g.getPciAddress()), opt(g.getVendorDevice()),
                opt(g.getMdevType()), u32("count", g.getCount()))),
            list("usb", m.getUsbList(), u -> new UsbRequest(opt(u.getVendorProduct()), u32("bus", u.getBus()),
                u32("device", u.getDevice()))),
            m.getNestedVirtualization(),
            m.hasPlacement() ? part("placement", () -> new PlacementHints(opt(m.getPlacement().getBackend()),
                m.getPlacement().getPerformance(), m.getPlacement().getLiveMigratable())) : null,
            m.getLabelsMap(),
            List.of());
    }

    private static CpuSpec cpu(io.limiquantix.node.rpc.v1.CpuSpec c) {
        return new CpuSpec(u32("vcpus", c.getVcpus()), u32("sockets", c.getSockets()), u32("cores", c.getCores()),
            u32("threads", c.getThreads()), ProtoEnums.toApi(c.getMode(), "MODE_", CpuSpec.Mode.class, "mode"),
            opt(c.getModel()));
    }

    private static BootSource boot(io.limiquantix.node.rpc.v1.BootSource b) {
        return new BootSource(ProtoEnums.toApi(b.getKind(), "KIND_", BootSource.Kind.class, "kind"),
            opt(b.getKernel()), opt(b.getInitrd()), opt(b.getCmdline()));
    }

    static DiskSpec disk(io.limiquantix.node.rpc.v1.DiskSpec d) {
        DiskSource source = d.hasSource() ? part("source", () -> source(d.getSource())) : null;
        return new DiskSpec(d.getName(), source,
            ProtoEnums.toApi(d.getBus(), "BUS_", DiskSpec.Bus.class, "bus"),
            ProtoEnums.toApi(d.getDevice(), "DEVICE_", DiskSpec.Device.class, "device"),
            d.getReadOnly(), u32("bootOrder", d.getBootOrder()));
    }

    private static DiskSource source(io.limiquantix.node.rpc.v1.DiskSource s) {
        DiskSource.Kind kind = ProtoEnums.toApi(s.getKind(), "KIND_", DiskSource.Kind.class, "kind");
        if (kind == null) throw new InvalidArgumentException("kind", "is required (KIND_FILE, KIND_BLOCK, KIND_VOLUME or KIND_NETWORK)");
        return new DiskSource(kind, opt(s.getPath()),
            ProtoEnums.toApi(s.getFormat(), "DISK_FORMAT_", DiskSource.Format.class, "format"),
            opt(s.getProvider()), opt(s.getVolume()), opt(s.getProtocol()), s.getHostsList(), opt(s.getAuthUser()),
            opt(s.getSecretUuid()));
    }

    private static NicSpec nic(io.limiquantix.node.rpc.v1.NicSpec n) {
        return new NicSpec(opt(n.getNetwork()), opt(n.getBridge()),
            ProtoEnums.toApi(n.getModel(), "MODEL_", NicSpec.Model.class, "model"), opt(n.getMac()));
    }

    static SnapshotSpec snapshot(CreateSnapshotRequest r) {
        return new SnapshotSpec(r.getName(), opt(r.getDescription()), r.getIncludeMemory(), r.getExternal());
    }

    static MigrationOptions migration(io.limiquantix.node.rpc.v1.MigrationOptions o) {
        long downtime = u32("maxDowntime", o.getMaxDowntimeMs());
        long completion = u32("completionTimeout", o.getCompletionTimeoutSeconds());
        return new MigrationOptions(o.getLive(), o.getPeerToPeer(),
            downtime == 0 ? null : Duration.ofMillis(downtime), u64("bandwidthMiBps", o.getBandwidthMibps()),
            o.getAutoConverge(), o.getPostCopy(), o.getTls(), o.getCopyStorage(),
            completion == 0 ? null : Duration.ofSeconds(completion),
            ProtoEnums.toApi(o.getOnTimeout(), "TIMEOUT_POLICY_", MigrationOptions.TimeoutPolicy.class, "onTimeout"));
    }

    /** Proto3 has no null string: the empty string is "not given". */
    static String opt(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** A uint32 arrives as a Java int; one above 2^31 would look negative and produce a puzzling message. */
    static int u32(String field, int value) {
        if (value < 0) throw new InvalidArgumentException(field, "is too large (" + Integer.toUnsignedString(value) + ")");
        return value;
    }

    static long u64(String field, long value) {
        if (value < 0) throw new InvalidArgumentException(field, "is too large (" + Long.toUnsignedString(value) + ")");
        return value;
    }

    static <T> T part(String path, Supplier<T> make) {
        try {
            return make.get();
        } catch (InvalidArgumentException e) {
            throw e.under(path);
        }
    }

    private static <M, T> List<T> list(String field, List<M> messages, Function<M, T> map) {
        List<T> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            M m = messages.get(i);
            out.add(part(field + "[" + i + "]", () -> map.apply(m)));
        }
        return out;
    }
}
