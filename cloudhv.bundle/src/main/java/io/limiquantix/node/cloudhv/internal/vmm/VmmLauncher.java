package io.limiquantix.node.cloudhv.internal.vmm;

import io.limiquantix.node.cloudhv.internal.chapi.ChApiClient;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Starts {@code cloud-hypervisor --api-socket path=<socket>} and waits until it answers a ping. The VMM's
 * output goes to a file, never to a pipe of this JVM: a pipe would die with the JVM and take the VMM down
 * with it (SIGPIPE) on the node's next write-heavy restart, and VMs must outlive the node.
 */
public final class VmmLauncher {
    private final Path binary;
    private final ChApiClient api;
    private final Duration startWait;

    public VmmLauncher(Path binary, ChApiClient api, Duration startWait) {
        this.binary = binary;
        this.api = api;
        this.startWait = startWait;
    }

    public Path binary() {
        return binary;
    }

    /**
     * Starts a VMM whose API listens on {@code socket}, logging to {@code log}; returns once it answers.
     * A VMM that exits or stays silent for the start wait is killed and reported with its log's tail.
     */
    public VmmProcess launch(Path socket, Path log) throws IOException {
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        ProcessBuilder pb = new ProcessBuilder(List.of(binary.toString(), "--api-socket", "path=" + socket))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectErrorStream(true);
        VmmProcess vmm = VmmProcess.started(pb.start());
        long deadline = System.nanoTime() + startWait.toNanos();
        while (System.nanoTime() < deadline) {
            if (!vmm.alive()) {
                throw new IOException(binary + " exited at start" + exitNote(vmm) + "; its log says: " + tail(log));
            }
            if (Files.exists(socket) && api.answers(socket, Duration.ofMillis(500))) return vmm;
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                vmm.kill(Duration.ofSeconds(1));
                throw new IOException("interrupted while waiting for " + binary + " to answer", e);
            }
        }
        vmm.kill(Duration.ofSeconds(1));
        throw new IOException(binary + " did not answer on " + socket + " within " + startWait.toMillis() + " ms; its log says: " + tail(log));
    }

    private static String exitNote(VmmProcess vmm) {
        try {
            return " (" + vmm.exited().get(1, java.util.concurrent.TimeUnit.SECONDS).describe() + ")";
        } catch (Exception e) {
            return "";
        }
    }

    /** The last lines of a VMM log, for error messages. */
    public static String tail(Path log) {
        try {
            if (!Files.isRegularFile(log)) return "(no log)";
            List<String> lines = Files.readAllLines(log);
            String t = String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())).strip();
            return t.isEmpty() ? "(empty log)" : t;
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** The binary to use: the configured path when executable, else {@code cloud-hypervisor} on PATH. */
    public static Optional<Path> locate(Path configured, String pathVariable) {
        if (configured != null && Files.isExecutable(configured)) return Optional.of(configured);
        if (pathVariable == null) return Optional.empty();
        for (String d : pathVariable.split(File.pathSeparator)) {
            if (d.isBlank()) continue;
            Path p = Path.of(d, "cloud-hypervisor");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }
}
