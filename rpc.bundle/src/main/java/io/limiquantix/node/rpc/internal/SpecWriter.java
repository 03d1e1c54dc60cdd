package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.rpc.v1.BootSource;
import io.limiquantix.node.rpc.v1.DiskFormat;
import io.limiquantix.node.rpc.v1.Firmware;
import io.limiquantix.node.rpc.v1.GpuRequest;
import io.limiquantix.node.rpc.v1.GuestOs;
import io.limiquantix.node.rpc.v1.MemorySpec;
import io.limiquantix.node.rpc.v1.OsFamily;
import io.limiquantix.node.rpc.v1.PlacementHints;
import io.limiquantix.node.rpc.v1.UsbRequest;

/** API records out, messages in the other direction: a VM's spec as the node keeps it. Null becomes "". */
final class SpecWriter {
    private SpecWriter() {}

    static io.limiquantix.node.rpc.v1.VmSpec vmSpec(VmSpec s) {
        io.limiquantix.node.rpc.v1.VmSpec.Builder b = io.limiquantix.node.rpc.v1.VmSpec.newBuilder()
            .setId(str(s.id()))
            .setName(s.name())
            .setCpu(cpu(s.cpu()))
            .setMemory(MemorySpec.newBuilder().setSizeMib(s.memory().sizeMiB()).setHugePages(s.memory().hugePages()))
            .setOs(GuestOs.newBuilder().setFamily(ProtoEnums.toProto(s.os().family(), "OS_FAMILY_", OsFamily.class))
                .setVariant(str(s.os().variant())))
            .setFirmware(ProtoEnums.toProto(s.firmware(), "FIRMWARE_", Firmware.class))
            .setBoot(BootSource.newBuilder()
                .setKind(ProtoEnums.toProto(s.boot().kind(), "KIND_", BootSource.Kind.class))
                .setKernel(str(s.boot().kernel())).setInitrd(str(s.boot().initrd())).setCmdline(str(s.boot().cmdline())))
            .setGraphics(graphics(s.graphics()))
            .setSerialConsole(com.google.protobuf.BoolValue.of(s.serialConsole()))
            .setNestedVirtualization(s.nestedVirtualization())
            .setPlacement(PlacementHints.newBuilder().setBackend(str(s.placement().backend()))
                .setPerformance(s.placement().performance()).setLiveMigratable(s.placement().liveMigratable()))
            .putAllLabels(s.labels());
        s.disks().forEach(d -> b.addDisks(disk(d)));
        s.nics().forEach(n -> b.addNics(nic(n)));
        s.gpus().forEach(g -> b.addGpus(GpuRequest.newBuilder().setPciAddress(str(g.pciAddress()))
            .setVendorDevice(str(g.vendorDevice())).setMdevType(str(g.mdevType())).setCount(g.count())));
        s.usb().forEach(u -> b.addUsb(UsbRequest.newBuilder().setVendorProduct(str(u.vendorProduct()))
            .setBus(u.bus()).setDevice(u.device())));
        s.hostDevices().forEach(h -> b.addHostDevices(hostDevice(h)));
        return b.build();
    }

    private static io.limiquantix.node.rpc.v1.CpuSpec cpu(CpuSpec c) {
        return io.limiquantix.node.rpc.v1.CpuSpec.newBuilder().setVcpus(c.vcpus()).setSockets(c.sockets())
            .setCores(c.cores()).setThreads(c.threads())
            .setMode(ProtoEnums.toProto(c.mode(), "MODE_", io.limiquantix.node.rpc.v1.CpuSpec.Mode.class))
            .setModel(str(c.model())).build();
    }

    static io.limiquantix.node.rpc.v1.GraphicsSpec graphics(GraphicsSpec g) {
        return io.limiquantix.node.rpc.v1.GraphicsSpec.newBuilder()
            .setType(ProtoEnums.toProto(g.type(), "TYPE_", io.limiquantix.node.rpc.v1.GraphicsSpec.Type.class))
            .setListen(str(g.listen())).build();
    }

    static io.limiquantix.node.rpc.v1.DiskSpec disk(DiskSpec d) {
        DiskSource s = d.source();
        return io.limiquantix.node.rpc.v1.DiskSpec.newBuilder()
            .setName(d.name())
            .setSource(io.limiquantix.node.rpc.v1.DiskSource.newBuilder()
                .setKind(ProtoEnums.toProto(s.kind(), "KIND_", io.limiquantix.node.rpc.v1.DiskSource.Kind.class))
                .setPath(str(s.path()))
                .setFormat(ProtoEnums.toProto(s.format(), "DISK_FORMAT_", DiskFormat.class))
                .setProvider(str(s.provider())).setVolume(str(s.volume())).setProtocol(str(s.protocol()))
                .addAllHosts(s.hosts()).setAuthUser(str(s.authUser())).setSecretUuid(str(s.secretUuid())))
            .setBus(ProtoEnums.toProto(d.bus(), "BUS_", io.limiquantix.node.rpc.v1.DiskSpec.Bus.class))
            .setDevice(ProtoEnums.toProto(d.device(), "DEVICE_", io.limiquantix.node.rpc.v1.DiskSpec.Device.class))
            .setReadOnly(d.readOnly()).setBootOrder(d.bootOrder()).build();
    }

    private static io.limiquantix.node.rpc.v1.NicSpec nic(NicSpec n) {
        return io.limiquantix.node.rpc.v1.NicSpec.newBuilder().setNetwork(str(n.network())).setBridge(str(n.bridge()))
            .setModel(ProtoEnums.toProto(n.model(), "MODEL_", io.limiquantix.node.rpc.v1.NicSpec.Model.class))
            .setMac(str(n.mac())).build();
    }

    private static io.limiquantix.node.rpc.v1.HostDevice hostDevice(HostDevice h) {
        return io.limiquantix.node.rpc.v1.HostDevice.newBuilder()
            .setKind(ProtoEnums.toProto(h.kind(), "KIND_", io.limiquantix.node.rpc.v1.HostDevice.Kind.class))
            .setAddress(str(h.address())).setVendorId(str(h.vendorId())).setDeviceId(str(h.deviceId()))
            .setClassCode(str(h.classCode())).setDriver(str(h.driver())).setIommuGroup(h.iommuGroup())
            .setNumaNode(h.numaNode()).setMdevType(str(h.mdevType())).setMdevUuid(str(h.mdevUuid()))
            .setDescription(str(h.description())).build();
    }

    static String str(String s) {
        return s == null ? "" : s;
    }
}
