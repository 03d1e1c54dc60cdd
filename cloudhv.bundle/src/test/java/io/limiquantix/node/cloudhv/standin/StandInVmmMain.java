package io.limiquantix.node.cloudhv.standin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The stand-in VMM as an executable (see {@code src/test/stand-in/cloud-hypervisor}): takes CH's
 * {@code --api-socket path=<socket>} (and ignores the other options CH would take), serves the API until
 * {@code vmm.shutdown} or until its "guest" powers off after the power button, then exits 0, as CH does.
 * Spec violations are appended to {@code stand-in-violations.log} beside the socket, for tests to read.
 * It is NOT Cloud Hypervisor and runs no guest.
 */
public final class StandInVmmMain {
    public static final String VIOLATIONS = "stand-in-violations.log";

    private StandInVmmMain() {}

    public static void main(String[] args) throws Exception {
        Path socket = null;
        Path spec = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--api-socket") && i + 1 < args.length) {
                String v = args[++i];
                socket = Path.of(v.startsWith("path=") ? v.substring(5).split(",")[0] : v);
            } else if (args[i].equals("--stand-in-spec") && i + 1 < args.length) {
                spec = Path.of(args[++i]);
            }
        }
        if (socket == null) {
            System.err.println("stand-in VMM: --api-socket path=<socket> is required");
            System.exit(2);
        }
        Path violations = socket.resolveSibling(VIOLATIONS);
        SpecValidator validator = spec != null ? SpecValidator.fromFile(spec) : SpecValidator.fromClasspath();
        StandInVmmServer.Hooks exit = new StandInVmmServer.Hooks() {
            @Override
            public void vmmShutdown() {
                exitSoon(0);
            }

            @Override
            public void guestPoweredOff() {
                exitSoon(0);
            }
        };
        new StandInVmmServer(socket, validator, exit, v -> append(violations, v)).start();
        System.out.println("stand-in VMM " + StandInVmmServer.VERSION + " (pid " + ProcessHandle.current().pid() + ") on " + socket);
    }

    private static void exitSoon(int status) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(100); // let the answer leave first
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
            Runtime.getRuntime().halt(status);
        }, "stand-in-exit");
        t.start();
    }

    private static void append(Path file, String line) {
        try {
            Files.writeString(file, line + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("stand-in VMM: cannot record violation " + line + ": " + e);
        }
    }
}
