package io.limiquantix.node.itest;

import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real parts the integration tests use: a libvirtd answering on qemu:///system and the test guest
 * (Debian cloud kernel + busybox initramfs). Without them a test FAILS with a loud reason saying what is
 * missing and that ./run/test installs and starts it: Pax Exam reports an assumption inside the framework as
 * a pass, so skipping would be a skipped test called passing. {@code virsh} is used as an oracle independent
 * of the node's own libvirt bindings.
 */
final class RealHost {
    static final String GUEST_DIR = envOr("LQ_GUEST_DIR", "/var/lib/limiquantix/test-guest");
    static final String KERNEL = GUEST_DIR + "/vmlinuz";
    static final String INITRD = GUEST_DIR + "/initramfs.gz";

    private RealHost() {}

    private static String envOr(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }

    static void require(boolean present, String what) {
        if (present) return;
        String msg = "REAL PART MISSING: " + what + " — run ./run/test, which installs and starts it";
        System.err.println("*** " + msg);
        fail(msg);
    }

    static void requireLibvirtd() {
        require(virsh("-c", "qemu:///system", "version").exit == 0, "a libvirtd answering on qemu:///system");
    }

    static void requireGuest() {
        require(new File(KERNEL).isFile() && new File(INITRD).isFile(),
            "the test guest in " + GUEST_DIR + " (run/lib/guest-payload.sh builds it)");
    }

    record Result(int exit, String out) {}

    static Result virsh(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("virsh");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "virsh timed out");
            }
            return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, "virsh not runnable: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
