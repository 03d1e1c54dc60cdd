package io.limiquantix.node.cloudhv.internal.backend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Whether KVM is usable for this backend, and by which check that was decided. With QEMU installed a test
 * guest must run under KVM ({@link KvmGuestRun}); without it only {@code /dev/kvm} can be checked here, and the
 * VMM's build features later. The decision is separate from the measuring so it can be tested without KVM.
 */
final class KvmCheck {
    /** {@code usable}: not refused by this check; {@code how}: the check that was made; {@code reason}: why not, or what was found. */
    record Verdict(boolean usable, String how, String reason) {
    }

    static final String GUEST_RUN = "a test guest run under qemu-system-x86_64 -accel kvm";

    /** The weaker check: what it covers, and why the stronger one was not made. */
    static String deviceOnly(String whyNoGuestRun) {
        return "/dev/kvm accessible and the VMM built with kvm; no test guest was run (" + whyNoGuestRun
            + "), so a KVM that starts guests but stalls them would not be noticed";
    }

    private KvmCheck() {}

    static final Path SYS_MODULE = Path.of("/sys/module");

    /**
     * {@code sysModule} is {@code /sys/module} in production; {@code qemu} is null when not installed;
     * {@code guestRun} measures (cached in production).
     */
    static Verdict decide(Path devKvm, Path sysModule, Path qemu, Function<Path, KvmGuestRun.Outcome> guestRun) {
        if (!Files.exists(devKvm)) return new Verdict(false, "/dev/kvm", devKvm + " does not exist: KVM is not available on this host");
        if (!Files.isReadable(devKvm) || !Files.isWritable(devKvm))
            return new Verdict(false, "/dev/kvm", devKvm + " is not readable and writable by the node");
        String software = withoutVirtualizationExtensions(sysModule);
        if (software != null) return new Verdict(false, "the modules in " + sysModule, software);
        if (qemu == null) return new Verdict(true, deviceOnly("qemu-system-x86_64 is not installed"), "");
        return judge(guestRun.apply(qemu));
    }

    /**
     * Null when {@code kvm_intel} or {@code kvm_amd} is loaded (or nothing can be told); otherwise why this KVM
     * cannot run ordinary guests: it is provided by a module that does not use VT-x/AMD-V (measured: {@code
     * kvm_pvm}, on which a short test guest ran but a Linux kernel died with a KVM emulation failure).
     */
    static String withoutVirtualizationExtensions(Path sysModule) {
        java.util.List<String> kvm;
        try (var s = Files.list(sysModule)) {
            kvm = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("kvm_")).sorted().toList();
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
        if (kvm.isEmpty() || kvm.contains("kvm_intel") || kvm.contains("kvm_amd")) return null;
        return "/dev/kvm is provided by " + String.join(", ", kvm) + ", not by kvm_intel or kvm_amd: this KVM does not use"
            + " the CPU's virtualization extensions and cannot run ordinary guests";
    }

    static Verdict judge(KvmGuestRun.Outcome run) {
        String took = String.format("%.1f s", run.took().toMillis() / 1000.0);
        String said = run.output().isBlank() ? "" : "; QEMU said: " + run.output();
        return switch (run.ending()) {
            case EXITED -> run.exitStatus() == KvmGuestRun.EXIT_PASSED
                ? new Verdict(true, GUEST_RUN, "the test guest took " + KvmGuestRun.TICKS + " timer interrupts in " + took)
                : new Verdict(false, GUEST_RUN, "the KVM test guest ended with status " + run.exitStatus() + " instead of "
                    + KvmGuestRun.EXIT_PASSED + " after " + took + said);
            case TIMED_OUT -> new Verdict(false, GUEST_RUN, "a KVM test guest did not take " + KvmGuestRun.TICKS
                + " timer interrupts (about 3 s of guest time) within " + KvmGuestRun.BOUND.toSeconds()
                + " s: KVM starts guests here but does not run them at a usable speed (typical of broken nested virtualization)");
            // QEMU that cannot be run says nothing about KVM: the weaker check has to do.
            case NOT_STARTED -> new Verdict(true, deviceOnly("qemu-system-x86_64 could not be run: " + run.output()), "");
        };
    }
}
