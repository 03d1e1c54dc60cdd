package io.limiquantix.node.cloudhv.internal.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs guest code under KVM, because opening {@code /dev/kvm} proves little: broken nested virtualization
 * accepts guests and then barely runs them. Cloud Hypervisor cannot boot a few bytes (it wants a kernel or
 * its firmware), QEMU can: {@code qemu-system-x86_64 -accel kvm} boots {@link #bootSector()} from a floppy.
 *
 * <p>The guest leaves SeaBIOS's timer running (PIT channel 0, 18.2 Hz; the BIOS's IRQ0 handler counts ticks
 * in the BIOS data area at 0x46c), halts until an interrupt, and counts each change of that counter. After
 * {@link #TICKS} ticks, about 3 s of guest time, it writes {@link #PASS_CODE} to QEMU's isa-debug-exit port
 * and QEMU exits with {@link #EXIT_PASSED}. A guest that cannot take that many interrupts within
 * {@link #BOUND} of real time is not usable. Counting changes rather than comparing with the first value
 * keeps the BIOS's midnight reset of the counter from ending the test early.
 *
 * <p>The libvirt bundle probes the same way (its own boot sector, the same ~3 s of guest time, the same 8 s
 * bound); the two must keep agreeing, or one backend would call a host usable that the other refuses.
 * Measured on this project's CI host (nested KVM): under TCG this guest exits 85 in about 3.2 s; under KVM
 * it is still running when the bound ends.
 */
final class KvmGuestRun {
    /** How a run ended: the guest's exit status, a guest still running at the bound, or QEMU that could not run. */
    enum Ending { EXITED, TIMED_OUT, NOT_STARTED }

    /** {@code output}: QEMU's last words (stderr/stdout), for the reason shown to the operator. */
    record Outcome(Ending ending, int exitStatus, Duration took, String output) {
    }

    static final int TICKS = 55;
    static final Duration BOUND = Duration.ofSeconds(8);
    static final int PASS_CODE = 0x2a;
    /** isa-debug-exit makes QEMU exit with (value << 1) | 1. */
    static final int EXIT_PASSED = (PASS_CODE << 1) | 1;

    /** 16-bit real-mode code the BIOS loads at 0x7c00; offsets in the comments. */
    static final byte[] CODE = {
        (byte) 0xfa,                                   // 00 cli
        0x31, (byte) 0xc0,                             // 01 xor ax,ax
        (byte) 0x8e, (byte) 0xd8,                      // 03 mov ds,ax
        (byte) 0x8e, (byte) 0xd0,                      // 05 mov ss,ax
        (byte) 0xbc, 0x00, 0x7c,                       // 07 mov sp,0x7c00
        (byte) 0xb9, TICKS, 0x00,                      // 0a mov cx,TICKS
        (byte) 0x8b, 0x1e, 0x6c, 0x04,                 // 0d mov bx,[0x46c]   BIOS tick counter, low word
        (byte) 0xfb,                                   // 11 sti
        (byte) 0xf4,                                   // 12 wait: hlt        until the next interrupt
        (byte) 0xa1, 0x6c, 0x04,                       // 13 mov ax,[0x46c]
        0x39, (byte) 0xd8,                             // 16 cmp ax,bx
        0x74, (byte) 0xf8,                             // 18 je wait          woken by something else
        (byte) 0x89, (byte) 0xc3,                      // 1a mov bx,ax
        0x49,                                          // 1c dec cx
        0x75, (byte) 0xf3,                             // 1d jnz wait
        (byte) 0xb0, PASS_CODE,                        // 1f mov al,PASS_CODE
        (byte) 0xe6, (byte) 0xf4,                      // 21 out 0xf4,al      QEMU exits
        (byte) 0xfa,                                   // 23 cli
        (byte) 0xf4,                                   // 24 hlt
    };

    /** One run per QEMU and process: a healthy answer takes 3 s and a broken one 8, too long to repeat each minute. */
    private static final Map<Path, Outcome> CACHE = new HashMap<>();

    private KvmGuestRun() {}

    static byte[] bootSector() {
        byte[] sector = new byte[512];
        System.arraycopy(CODE, 0, sector, 0, CODE.length);
        sector[510] = 0x55;
        sector[511] = (byte) 0xaa;
        return sector;
    }

    /** The KVM run for {@code qemu}, measured once per process. An interrupted run is not kept: it measured nothing. */
    static Outcome underKvm(Path qemu) {
        synchronized (CACHE) {
            Outcome cached = CACHE.get(qemu);
            if (cached != null) return cached;
            Outcome o = run(qemu, "kvm", BOUND);
            if (!Thread.currentThread().isInterrupted()) CACHE.put(qemu, o);
            return o;
        }
    }

    /** Boots the test guest under {@code accel} ({@code kvm}, or {@code tcg} for testing the guest itself). */
    static Outcome run(Path qemu, String accel, Duration bound) {
        Path dir = null;
        Process p = null;
        long start = System.nanoTime();
        try {
            dir = Files.createTempDirectory("lq-cloudhv-kvm");
            Path image = dir.resolve("guest.img");
            Path log = dir.resolve("qemu.log");
            Files.write(image, bootSector());
            List<String> command = new java.util.ArrayList<>(List.of(qemu.toString(), "-machine", "pc", "-accel", accel));
            // Cloud Hypervisor gives guests the host's CPUID, so under KVM the probe uses the host's CPU too:
            // a broken nested KVM can run the default model yet abort on the host's ("failed to set MSR").
            if ("kvm".equals(accel)) command.addAll(List.of("-cpu", "host"));
            command.addAll(List.of("-m", "16", "-nodefaults",
                "-display", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-drive", "file=" + image + ",format=raw,if=floppy", "-boot", "a"));
            p = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            boolean ended = p.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (!ended) {
                stop(p);
                return new Outcome(Ending.TIMED_OUT, -1, took, lastLine(log));
            }
            return new Outcome(Ending.EXITED, p.exitValue(), took, lastLine(log));
        } catch (IOException e) {
            return new Outcome(Ending.NOT_STARTED, -1, Duration.ofNanos(System.nanoTime() - start), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(Ending.NOT_STARTED, -1, Duration.ofNanos(System.nanoTime() - start), "interrupted");
        } finally {
            // No test guest outlives the test, whatever ended it.
            if (p != null && p.isAlive()) stop(p);
            deleteQuietly(dir);
        }
    }

    private static void stop(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) return;
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a few hundred bytes in the temp directory are not worth failing the probe for
        }
    }
}
