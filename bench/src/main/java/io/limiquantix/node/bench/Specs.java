package io.limiquantix.node.bench;

import com.google.protobuf.BoolValue;
import io.limiquantix.node.rpc.v1.BootSource;
import io.limiquantix.node.rpc.v1.CpuSpec;
import io.limiquantix.node.rpc.v1.MemorySpec;
import io.limiquantix.node.rpc.v1.PlacementHints;
import io.limiquantix.node.rpc.v1.VmSpec;

/** The VM every benchmark uses: the test guest (direct kernel boot), 1 vCPU, 128 MiB, serial console. */
final class Specs {
    static final String GUEST_DIR = System.getenv().getOrDefault("LQ_GUEST_DIR", "/var/lib/limiquantix/test-guest");
    static final String KERNEL = GUEST_DIR + "/vmlinuz";
    static final String INITRD = GUEST_DIR + "/initramfs.gz";
    static final String CMDLINE = "console=ttyS0 panic=-1";
    static final int MEMORY_MIB = 128;

    private Specs() {}

    static VmSpec guest(String name, String backend) {
        return VmSpec.newBuilder().setName(name)
            .setCpu(CpuSpec.newBuilder().setVcpus(1))
            .setMemory(MemorySpec.newBuilder().setSizeMib(MEMORY_MIB))
            .setBoot(BootSource.newBuilder().setKind(BootSource.Kind.KIND_KERNEL).setKernel(KERNEL).setInitrd(INITRD)
                .setCmdline(CMDLINE))
            .setSerialConsole(BoolValue.of(true))
            .setPlacement(PlacementHints.newBuilder().setBackend(backend))
            .build();
    }

    /** The same VM as plain libvirt XML for the test driver's baseline (the node's own XML is used for QEMU). */
    static String testDriverXml(String name) {
        return "<domain type='test'><name>" + name + "</name><memory unit='MiB'>" + MEMORY_MIB + "</memory>"
            + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type><kernel>" + KERNEL + "</kernel><initrd>" + INITRD
            + "</initrd><cmdline>" + CMDLINE + "</cmdline></os><devices><serial type='pty'><target port='0'/></serial>"
            + "<console type='pty'><target type='serial' port='0'/></console></devices></domain>";
    }
}
