package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.cloudhv.internal.chapi.ChApiClient;
import io.limiquantix.node.cloudhv.internal.chapi.ChApiException;
import io.limiquantix.node.cloudhv.internal.chapi.ChRequests;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.PingResponse;
import io.limiquantix.node.cloudhv.internal.net.IpTapDevices;
import io.limiquantix.node.cloudhv.internal.net.TapDevices;
import io.limiquantix.node.cloudhv.internal.vmm.VmmLauncher;
import io.limiquantix.node.cloudhv.internal.vmm.VmmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What this host's Cloud Hypervisor can do: not capable without the binary or without a usable KVM;
 * otherwise what a short-lived VMM says about itself ({@code vmm.ping}: version and build features).
 *
 * <p>The KVM check: {@code /dev/kvm} must exist and be readable and writable by this process, and the binary
 * must have been built with KVM (CH also builds for MSHV). What it does not check is whether KVM runs guests
 * at a usable speed (broken nested virtualization starts guests and then stalls them): that needs a guest
 * image, which CH cannot boot from a few bytes the way QEMU boots a floppy sector. See the README.
 */
public final class CapabilityProbe {
    public static final String TYPE = "cloudhv";
    /** CH's limit on x86_64 (the KVM vCPU id space it uses). */
    static final int MAX_VCPUS = 254;

    /** Always offered when capable. */
    static final Set<Feature> FEATURES = EnumSet.of(Feature.LINUX_GUEST, Feature.BIOS_FIRMWARE, Feature.DIRECT_KERNEL_BOOT,
        Feature.FILE_DISK, Feature.VIRTIO_DISK, Feature.DISK_HOTPLUG, Feature.SERIAL_CONSOLE, Feature.PAUSE, Feature.REBOOT,
        Feature.SNAPSHOT_MEMORY, Feature.PERFORMANCE_PROFILE);

    /** Where QEMU, used only to test KVM with a guest, is looked for. */
    static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");

    /**
     * What the host offers the probe; tests give their own. {@code sysModule} lists the loaded kernel modules
     * (which module provides KVM); {@code qemu} is null when not installed;
     * {@code taps} manages the NICs' taps (BRIDGE_NETWORK is offered only when it is usable).
     */
    public record Host(Path devKvm, Path sysModule, Path firmware, Path meminfo, String path, Path qemu, TapDevices taps) {
        public static Host real(Path firmware) {
            return new Host(Path.of("/dev/kvm"), KvmCheck.SYS_MODULE, firmware, Path.of("/proc/meminfo"), System.getenv("PATH"),
                Files.isExecutable(QEMU) ? QEMU : null, IpTapDevices.onHost());
        }
    }

    private CapabilityProbe() {}

    /**
     * Probes. {@code binary} is the configured path; {@code onPathToo} lets a default path fall back to
     * {@code cloud-hypervisor} on PATH. {@code skipKvmCheck} exists for tests with a stand-in VMM only.
     */
    public static Result probe(Path binary, boolean onPathToo, boolean skipKvmCheck, Host host, ChApiClient api,
                               Path scratch, Duration wait) {
        return probe(binary, onPathToo, skipKvmCheck, host, api, scratch, wait, KvmGuestRun::underKvm);
    }

    /** As above, with the guest run given: tests decide what KVM "measured". */
    static Result probe(Path binary, boolean onPathToo, boolean skipKvmCheck, Host host, ChApiClient api, Path scratch,
                        Duration wait, Function<Path, KvmGuestRun.Outcome> guestRun) {
        Optional<Path> found = VmmLauncher.locate(binary, onPathToo ? host.path() : null);
        if (found.isEmpty())
            return Result.not("the cloud-hypervisor binary is not installed (" + binary + (onPathToo ? " and not on PATH)" : ")"), null);
        Path bin = found.get();
        KvmCheck.Verdict kvm = skipKvmCheck ? new KvmCheck.Verdict(true, "TEST ONLY: skipped", "")
            : KvmCheck.decide(host.devKvm(), host.sysModule(), host.qemu(), guestRun);
        if (!kvm.usable()) return Result.not(kvm.reason() + " (KVM check: " + kvm.how() + ")", bin);
        PingResponse ping;
        try {
            ping = pingShortLivedVmm(bin, api, scratch, wait);
        } catch (IOException | ChApiException e) {
            return Result.not("a short-lived " + bin + " did not answer vmm.ping: " + e.getMessage(), bin);
        }
        if (!skipKvmCheck && !ping.features().isEmpty() && !ping.features().contains("kvm"))
            return Result.not(bin + " " + ping.version() + " was built without KVM support (features " + ping.features() + ")", bin);
        EnumSet<Feature> features = EnumSet.copyOf(FEATURES);
        if (host.taps() != null && host.taps().usable()) features.add(Feature.BRIDGE_NETWORK);
        if (host.firmware() != null && Files.isRegularFile(host.firmware())) {
            features.add(Feature.UEFI_FIRMWARE);
            features.add(Feature.DISK_BOOT);
        }
        if (hugePagesReserved(host.meminfo())) features.add(Feature.HUGE_PAGES);
        HypervisorCapabilities caps = new HypervisorCapabilities(TYPE, ping.version(), Accelerator.KVM, features, MAX_VCPUS,
            memTotalMiB(host.meminfo()), true, null);
        String kvmCheck = kvm.how() + (kvm.reason().isEmpty() ? "" : ": " + kvm.reason());
        return new Result(caps, bin, ping, kvmCheck);
    }

    /**
     * The probe's outcome; {@code binary} is the binary found (null when none), {@code ping} null unless
     * capable, {@code kvmCheck} what the KVM check did when capable (a not-capable reason says it itself).
     */
    public record Result(HypervisorCapabilities capabilities, Path binary, PingResponse ping, String kvmCheck) {
        static Result not(String reason, Path binary) {
            return new Result(HypervisorCapabilities.notCapable(TYPE, reason), binary, null, "");
        }
    }

    private static PingResponse pingShortLivedVmm(Path bin, ChApiClient api, Path scratch, Duration wait) throws IOException, ChApiException {
        Files.createDirectories(scratch);
        Path socket = scratch.resolve("probe.sock");
        Path log = scratch.resolve("probe.log");
        VmmProcess vmm = new VmmLauncher(bin, api, wait).launch(socket, log);
        try {
            return api.send(socket, new ChRequests.VmmPing());
        } finally {
            vmm.expectExit();
            try {
                api.send(socket, new ChRequests.VmmShutdown(), Duration.ofSeconds(2));
            } catch (ChApiException e) {
                // killed below
            }
            vmm.kill(Duration.ofSeconds(2));
            Files.deleteIfExists(socket);
        }
    }

    static boolean hugePagesReserved(Path meminfo) {
        return meminfoValue(meminfo, "HugePages_Total:") > 0;
    }

    static long memTotalMiB(Path meminfo) {
        long kib = meminfoValue(meminfo, "MemTotal:");
        return kib <= 0 ? 0 : kib / 1024;
    }

    private static long meminfoValue(Path meminfo, String key) {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            // unknown: treated as absent
        }
        return 0;
    }
}
