package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The test guest's serial side (see run/lib/guest-init.sh): its log, commands written into its pty, and
 * what its disk holds, read with qemu-io from the host.
 */
final class GuestConsole {
    static final Path PAYLOAD = Path.of("/var/lib/limiquantix/test-guest");
    static final Path KERNEL = PAYLOAD.resolve("vmlinuz");
    static final Path INITRD = PAYLOAD.resolve("initramfs.gz");
    static final Duration BOOT_LIMIT = Duration.ofSeconds(120);

    private GuestConsole() {}

    static boolean payloadPresent() {
        return Files.isReadable(KERNEL) && Files.isReadable(INITRD);
    }

    /** Waits (bounded) until a line after byte {@code from} of the log contains {@code needle} and passes {@code also}. */
    static void waitForLog(Path log, long from, String needle, Predicate<String> also) {
        LibvirtTestSupport.waitFor(BOOT_LIMIT, () -> tail(log, from).lines().anyMatch(l -> l.contains(needle) && also.test(l)),
            () -> "no '" + needle + "' line in " + log + " within " + BOOT_LIMIT.toSeconds() + " s; the log ends with:\n"
                + last(tail(log, from), 1500));
    }

    static void waitForLog(Path log, long from, String needle) {
        waitForLog(log, from, needle, l -> true);
    }

    static long size(Path log) {
        try {
            return Files.size(log);
        } catch (IOException e) {
            return 0;
        }
    }

    static String tail(Path log, long from) {
        try {
            byte[] all = Files.readAllBytes(log);
            int start = (int) Math.min(from, all.length);
            return new String(all, start, all.length - start, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String last(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }

    /**
     * Writes one command line into the guest's serial console through the pty QEMU created, then waits for
     * {@code answer} in the log. QEMU only reads a pty while its other side is open, and notices that on a
     * one-second timer, so the pty is held open before writing and until the answer is there.
     */
    static void command(String liveXml, Path log, String line, String answer) throws IOException, InterruptedException {
        String pty = XmlDoc.parse(liveXml).string("/domain/devices/serial[1]/source/@path");
        assertTrue(pty.startsWith("/dev/pts/"), "the serial console is a pty: " + pty);
        long mark = size(log);
        try (FileOutputStream out = new FileOutputStream(pty)) {
            Thread.sleep(1500);
            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            waitForLog(log, mark, answer);
        }
    }

    /** The first bytes of a disk image as the guest would read them (following backing files). */
    static String diskStart(Path image, String format) throws IOException, InterruptedException {
        // -U: QEMU may still hold the image (read-only access needs no lock).
        Process p = new ProcessBuilder("qemu-io", "-U", "-r", "-f", format, "-c", "read -v 0 16", image.toString())
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "qemu-io did not finish");
        assertEquals(0, p.exitValue(), "qemu-io failed on " + image + ": " + out);
        // "00000000:  4c 51 4d ...  LQMARK.A........": the ASCII column, with '.' for the colon and zeros
        String first = out.lines().filter(l -> l.startsWith("00000000:")).findFirst().orElse("");
        String ascii = first.isEmpty() ? "" : first.substring(first.lastIndexOf("  ") + 2).trim();
        return ascii.replaceFirst("\\.+$", "");
    }

    static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), command + " did not finish");
        assertEquals(0, p.exitValue(), command + " failed: " + out);
    }
}
