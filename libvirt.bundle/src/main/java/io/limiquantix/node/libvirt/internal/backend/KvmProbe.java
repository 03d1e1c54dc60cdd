package io.limiquantix.node.libvirt.internal.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds out whether KVM can actually run guests here, by running one: a 512-byte boot sector under
 * {@code qemu-system-x86_64 -accel kvm}. {@code /dev/kvm} opening is not enough: nested KVM on some
 * clouds accepts guests and then runs them at a crawl or not at all.
 *
 * <p>The boot sector installs its own handler for the timer interrupt (IRQ0 of the PIT the BIOS has
 * programmed at 18.2 Hz), enables interrupts and halts; after {@link #TICKS} interrupts (about 3 s of guest
 * time) the handler writes 0x31 to the isa-debug-exit port and QEMU exits with (0x31 << 1) | 1 = 99. A
 * healthy KVM finishes in a little over 3 s; the wall-clock limit of {@link #TIMEOUT_SECONDS} s fails a KVM
 * whose guests get less than ~40% of real time. Measured on this project's CI host (nested KVM on an AMD
 * EPYC cloud VM, where a Linux guest under KVM prints nothing in 30 s): a straight-line boot sector
 * ({@code out} then {@code hlt}) exits 99 under KVM every time, one timer interrupt usually arrives, a
 * long-mode switch hangs one run in three, and 36 interrupts took 8.4 s once and hung five times out of
 * six; under TCG the same 54 ticks take 3.0 s. Waiting for many interrupts is what separates "KVM starts a
 * guest" from "KVM runs a guest". The result is cached for the life of the bundle and, when
 * {@link #storeVerdictsIn} named the node's data directory, on disk ({@link KvmVerdictStore}).
 */
public final class KvmProbe {
    public record Result(boolean runsGuests, String detail) {
    }

    static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    static final Path DEV_KVM = Path.of("/dev/kvm");
    static final Path SYS_MODULE = Path.of("/sys/module");
    /** The modules through which KVM uses the CPU's virtualization extensions (VT-x, AMD-V). */
    static final List<String> HARDWARE_MODULES = List.of("kvm_intel", "kvm_amd");
    static final long TIMEOUT_SECONDS = 8;
    static final int TICKS = 54;
    static final int EXIT_OK = (0x31 << 1) | 1;

    /** 16-bit real-mode code loaded at 0x7c00; see the class comment. */
    static final byte[] CODE = {
        (byte) 0xfa,                                            // 7c00 cli
        0x31, (byte) 0xc0,                                      // 7c01 xor ax,ax
        (byte) 0x8e, (byte) 0xd8,                               // 7c03 mov ds,ax
        (byte) 0x8e, (byte) 0xd0,                               // 7c05 mov ss,ax
        (byte) 0xbc, 0x00, 0x7c,                                // 7c07 mov sp,0x7c00
        (byte) 0xc7, 0x06, 0x20, 0x00, 0x1a, 0x7c,              // 7c0a mov word [0x20],0x7c1a  (IVT[8] = handler)
        (byte) 0xc7, 0x06, 0x22, 0x00, 0x00, 0x00,              // 7c10 mov word [0x22],0
        (byte) 0xfb,                                            // 7c16 sti
        (byte) 0xf4,                                            // 7c17 wait: hlt
        (byte) 0xeb, (byte) 0xfd,                               // 7c18 jmp wait
        0x50,                                                   // 7c1a handler: push ax
        (byte) 0xff, 0x06, 0x31, 0x7c,                          // 7c1b inc word [count]
        (byte) 0x83, 0x3e, 0x31, 0x7c, TICKS,                   // 7c1f cmp word [count],TICKS
        0x73, 0x06,                                             // 7c24 jae done
        (byte) 0xb0, 0x20,                                      // 7c26 mov al,0x20
        (byte) 0xe6, 0x20,                                      // 7c28 out 0x20,al  (EOI to the PIC)
        0x58,                                                   // 7c2a pop ax
        (byte) 0xcf,                                            // 7c2b iret
        (byte) 0xb0, 0x31,                                      // 7c2c done: mov al,0x31
        (byte) 0xe6, (byte) 0xf4,                               // 7c2e out 0xf4,al  -> QEMU exits with 99
        (byte) 0xf4,                                            // 7c30 hlt
        0x00, 0x00,                                             // 7c31 count: dw 0
    };

    private static volatile Result cached;
    /** Where the verdict outlives this class (a node restart, a swap of the bundle); null: nowhere. */
    private static volatile KvmVerdictStore store;

    private KvmProbe() {}

    /**
     * Keeps verdicts in {@code dataDir} (the node's {@code limiquantix.data}); see {@link KvmVerdictStore}.
     * The Hyper-V probe's verdicts go there too ({@link HyperVVerdictStore}). Null turns that off.
     */
    public static void storeVerdictsIn(java.nio.file.Path dataDir) {
        store = dataDir == null ? null : KvmVerdictStore.in(dataDir);
        cached = null;
        HyperVProbe.storeVerdictsIn(dataDir);
    }

    public static Result result() {
        Result r = cached;
        if (r == null) {
            synchronized (KvmProbe.class) {
                r = cached;
                if (r == null) {
                    KvmVerdictStore s = store;
                    r = s == null ? null : s.load();
                    if (r == null) {
                        r = run();
                        // An interrupted probe (the backend closing) says nothing about KVM: ask again next time.
                        if (!Thread.currentThread().isInterrupted() && s != null) s.save(r);
                    }
                    if (!Thread.currentThread().isInterrupted()) cached = r;
                }
            }
        }
        return r;
    }

    static byte[] bootSector() {
        byte[] sector = new byte[512];
        System.arraycopy(CODE, 0, sector, 0, CODE.length);
        sector[510] = 0x55;
        sector[511] = (byte) 0xaa;
        return sector;
    }

    static Result run() {
        if (!Files.exists(DEV_KVM)) return new Result(false, "/dev/kvm does not exist");
        if (!Files.isReadable(DEV_KVM) || !Files.isWritable(DEV_KVM)) return new Result(false, "/dev/kvm is not accessible to this process");
        if (!Files.isExecutable(QEMU)) return new Result(false, QEMU + " is not installed");
        String software = withoutHardwareSupport(SYS_MODULE);
        if (software != null) return new Result(false, software);
        Path image = null;
        Path log = null;
        Process p = null;
        try {
            image = Files.createTempFile("lq-kvm-probe", ".img");
            Files.write(image, bootSector());
            log = Files.createTempFile("lq-kvm-probe", ".log");
            // "-cpu host": a KVM domain gets the host's CPU model (host-model), so the probe must too. On a
            // broken nested KVM the default model may run while the host's one aborts at vCPU setup
            // ("failed to set MSR 0x10a"), which is what real guests would then hit.
            p = new ProcessBuilder(List.of(QEMU.toString(), "-accel", "kvm", "-cpu", "host", "-nodefaults", "-display", "none",
                "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-drive", "format=raw,file=" + image + ",if=floppy", "-boot", "a"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                return new Result(false, "a KVM test guest did not take " + TICKS + " timer interrupts (3 s of guest time) within "
                    + TIMEOUT_SECONDS + " s: KVM starts guests here but does not run them at a usable speed"
                    + " (typical of broken nested virtualization)");
            int code = p.exitValue();
            return code == EXIT_OK ? new Result(true, "a KVM test guest took " + TICKS + " timer interrupts in real time")
                : new Result(false, "the KVM test guest exited with status " + code + " instead of " + EXIT_OK + firstLine(log));
        } catch (IOException e) {
            return new Result(false, "could not run the KVM test guest: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted while probing KVM");
        } finally {
            // Whatever happened, no probe guest outlives the probe.
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                try {
                    p.waitFor(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (Path temp : new Path[] {image, log}) {
                if (temp != null) try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // a small temp file is not worth failing for
                }
            }
        }
    }

    /**
     * The KVM modules loaded besides {@code kvm} itself, sorted: {@code kvm_intel} or {@code kvm_amd} on a
     * hypervisor host, something else where KVM is provided without the CPU's virtualization extensions. Empty
     * when {@code sysModule} cannot be read (then nothing is concluded from it).
     */
    static List<String> kvmModules(Path sysModule) {
        try (var s = Files.list(sysModule)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("kvm_")).sorted().toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /**
     * Null when a KVM module backed by VT-x or AMD-V is loaded (or nothing can be told); otherwise why this KVM
     * does not run ordinary guests. Measured on a CI host whose {@code /dev/kvm} comes from {@code kvm_pvm} (a
     * KVM without VT-x, for guest kernels built for it): the boot-sector probe, even a version switched to long
     * mode, ran at usable speed, yet Debian's cloud kernel stopped with "KVM internal error ... emulation failure"
     * on a {@code lock cmpxchg16b} before its first line, or hung. So the loaded module decides first.
     */
    static String withoutHardwareSupport(Path sysModule) {
        List<String> modules = kvmModules(sysModule);
        if (modules.isEmpty() || modules.stream().anyMatch(HARDWARE_MODULES::contains)) return null;
        return "/dev/kvm is provided by " + String.join(", ", modules) + ", not by kvm_intel or kvm_amd: this KVM does not use"
            + " the CPU's virtualization extensions and cannot run ordinary guests (a Linux guest stopped with a KVM"
            + " emulation failure on such a host)";
    }

    /** QEMU's first error line, so the reason says what KVM refused (e.g. an MSR the nested KVM rejects). */
    private static String firstLine(Path log) {
        try {
            return Files.readAllLines(log).stream().filter(l -> l.contains("error") || l.contains("Assertion"))
                .findFirst().map(l -> ": " + (l.length() > 200 ? l.substring(0, 200) : l)).orElse("");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
