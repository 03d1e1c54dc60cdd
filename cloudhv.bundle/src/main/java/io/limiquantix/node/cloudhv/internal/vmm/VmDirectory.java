package io.limiquantix.node.cloudhv.internal.vmm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.limiquantix.node.api.VmSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.OptionalLong;

/**
 * One VM's state directory, {@code <stateDir>/<vmId>/}: everything needed to find the VM again after the
 * node restarts without it. {@code spec.json} (the VmSpec, which is the VM's definition: CH keeps none on
 * disk), {@code vmm.pid} (present while a VMM runs for it), {@code runtime.json} (whether it should be
 * running and why it last stopped), the API socket, {@code serial.log}, {@code vmm.log} and
 * {@code snapshots/}. Files are replaced atomically, so a crash mid-write leaves the old content.
 */
public final class VmDirectory {
    /** Unix socket paths are limited to 108 bytes; longer ones move to a short directory under /tmp. */
    static final int MAX_SOCKET_PATH = 100;
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Whether the node wants the VM running, and why it is not when it is not. */
    public record Runtime(boolean wantRunning, String lastStopReason, boolean crashed) {
        public static final Runtime STOPPED = new Runtime(false, "", false);
    }

    private final String vmId;
    private final Path dir;

    public VmDirectory(Path stateDir, String vmId) {
        this.vmId = vmId;
        this.dir = stateDir.resolve(vmId);
    }

    public String vmId() {
        return vmId;
    }

    public Path dir() {
        return dir;
    }

    public boolean exists() {
        return Files.isRegularFile(dir.resolve("spec.json"));
    }

    public Path socket() {
        Path inDir = dir.resolve("api.sock");
        if (inDir.toAbsolutePath().toString().length() <= MAX_SOCKET_PATH) return inDir;
        return Path.of("/tmp", "lq-cloudhv-" + shortHash(dir.toAbsolutePath().toString()), "api.sock");
    }

    public Path serialLog() {
        return dir.resolve("serial.log");
    }

    public Path vmmLog() {
        return dir.resolve("vmm.log");
    }

    public Path snapshots() {
        return dir.resolve("snapshots");
    }

    public void create(VmSpec spec) throws IOException {
        Files.createDirectories(dir);
        writeSpec(spec);
        writeRuntime(Runtime.STOPPED);
    }

    public VmSpec readSpec() throws IOException {
        return JSON.readValue(dir.resolve("spec.json").toFile(), VmSpec.class);
    }

    public void writeSpec(VmSpec spec) throws IOException {
        replace(dir.resolve("spec.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec));
    }

    public Runtime readRuntime() {
        try {
            Path f = dir.resolve("runtime.json");
            return Files.isRegularFile(f) ? JSON.readValue(f.toFile(), Runtime.class) : Runtime.STOPPED;
        } catch (IOException e) {
            return Runtime.STOPPED;
        }
    }

    public void writeRuntime(Runtime runtime) throws IOException {
        replace(dir.resolve("runtime.json"), JSON.writeValueAsBytes(runtime));
    }

    public OptionalLong readPid() {
        try {
            Path f = dir.resolve("vmm.pid");
            if (!Files.isRegularFile(f)) return OptionalLong.empty();
            return OptionalLong.of(Long.parseLong(Files.readString(f, StandardCharsets.US_ASCII).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    public void writePid(long pid) throws IOException {
        replace(dir.resolve("vmm.pid"), (pid + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    public void clearPid() throws IOException {
        Files.deleteIfExists(dir.resolve("vmm.pid"));
    }

    /** Removes the directory and everything in it (the VM's disks live elsewhere and are not touched). */
    public void delete() throws IOException {
        Files.deleteIfExists(socket());
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static void replace(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, content);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
