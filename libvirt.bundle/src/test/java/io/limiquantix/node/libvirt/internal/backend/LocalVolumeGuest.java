package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * For tests outside this package (RealLocalVolumesTest): a real TCG guest on qemu:///system booting the test
 * payload with the given disk, its serial log read for TICK lines; closing force-stops and deletes it.
 */
public final class LocalVolumeGuest implements AutoCloseable {
    private static final Path PAYLOAD = Path.of("/var/lib/limiquantix/test-guest");
    private final LibvirtHypervisor hv;
    private final String id;
    private final String name;
    private final Path log;

    private LocalVolumeGuest(LibvirtHypervisor hv, String id, String name, Path log) {
        this.hv = hv;
        this.id = id;
        this.name = name;
        this.log = log;
    }

    public static void requireLibvirtd() {
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);
    }

    public static void requirePayload() {
        LibvirtTestSupport.requireOrSkip(Files.isReadable(PAYLOAD.resolve("vmlinuz")) && Files.isReadable(PAYLOAD.resolve("initramfs.gz")),
            "guest payload missing at " + PAYLOAD + " (build it with run/lib/guest-payload.sh)");
    }

    public static LocalVolumeGuest start(DiskSpec disk) {
        LibvirtHypervisor hv = LibvirtTestSupport.connected("qemu-localvol", "qemu:///system", AccelDecision.Requested.AUTO);
        String id = UUID.randomUUID().toString();
        String name = "lq-localvol-" + id.substring(0, 8);
        try {
            hv.createVm(VmSpec.builder(name).id(id).vcpus(1).memoryMiB(128)
                .kernelBoot(PAYLOAD.resolve("vmlinuz").toString(), PAYLOAD.resolve("initramfs.gz").toString(), "console=ttyS0 panic=-1")
                .disk(disk).serialConsole(true).build());
            hv.startVm(id);
            return new LocalVolumeGuest(hv, id, name, Path.of(hv.consoleInfo(id).serialLog()));
        } catch (RuntimeException e) {
            new LocalVolumeGuest(hv, id, name, null).close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public VmState state() {
        return hv.status(id).state();
    }

    /** The first TICK line that passes {@code test}, waiting (bounded) for it. */
    public String waitForTick(Predicate<String> test) {
        AtomicReference<String> found = new AtomicReference<>();
        LibvirtTestSupport.waitFor(Duration.ofSeconds(120), () -> {
            try {
                String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
                text.lines().filter(l -> l.contains("TICK") && test.test(l)).findFirst().ifPresent(found::set);
            } catch (IOException | java.io.UncheckedIOException e) {
                // not written yet
            }
            return found.get() != null;
        }, () -> "no matching TICK line in " + log);
        return found.get();
    }

    @Override
    public void close() {
        LibvirtTestSupport.removeQuietly(hv, id);
        hv.close();
    }
}
