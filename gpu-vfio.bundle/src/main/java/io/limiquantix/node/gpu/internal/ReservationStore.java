package io.limiquantix.node.gpu.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reservations on disk, {@code gpu-reservations.json}: which VM holds which devices, and what each PCI
 * function's driver was before this node moved it, so a release after a node restart still gives it back.
 *
 * <p>A write goes to a temporary file in the same directory, is forced to disk, renamed over the file
 * atomically, and the directory is forced so that the rename itself survives a power cut: whatever moment
 * the node dies at, the file is the old version or the new one, whole. A file that exists but cannot be read
 * is an error, never "no reservations": starting empty would let two VMs take the same GPU.
 */
final class ReservationStore {
    private static final System.Logger LOG = System.getLogger(ReservationStore.class.getName());
    static final String NAME = "gpu-reservations.json";
    static final int FORMAT = 1;

    record Document(int format, String writtenAt, List<VmReservation> reservations) {
    }

    record VmReservation(String vmId, List<ReservedDevice> devices) {
    }

    /** The file exists but cannot be used; the message says what to do. */
    static final class UnreadableException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        UnreadableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path dir;
    private final Path file;
    private final ObjectMapper json = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    ReservationStore(Path dataDir) {
        this.dir = dataDir.toAbsolutePath().normalize();
        this.file = dir.resolve(NAME);
    }

    Path path() {
        return file;
    }

    /** VM id to its devices, in the file's order; empty when there is no file yet. */
    Map<String, List<ReservedDevice>> load() {
        removeLeftovers();
        if (!Files.exists(file)) return new LinkedHashMap<>();
        try {
            Document doc = json.readValue(file.toFile(), Document.class);
            if (doc == null || doc.reservations() == null) throw new IOException("it holds no reservation document");
            if (doc.format() > FORMAT)
                throw new IOException("it has format " + doc.format() + "; this node understands up to " + FORMAT);
            Map<String, List<ReservedDevice>> out = new LinkedHashMap<>();
            for (VmReservation r : doc.reservations()) {
                if (r == null || r.vmId() == null || r.devices() == null || r.devices().contains(null))
                    throw new IOException("it has an incomplete reservation entry");
                out.put(r.vmId(), List.copyOf(r.devices()));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableException("the GPU reservation file " + file + " cannot be read (" + e.getMessage()
                + "). The device provider refuses to reserve anything until it is repaired or restored: starting"
                + " without it could give one GPU to two VMs. If no VM on this node holds a GPU, move it away.", e);
        }
    }

    /** Replaces the file with {@code reservations}, atomically and durably (see the class comment). */
    void save(Map<String, List<ReservedDevice>> reservations) throws IOException {
        List<VmReservation> rows = new ArrayList<>();
        reservations.forEach((vm, devices) -> rows.add(new VmReservation(vm, devices)));
        byte[] bytes = json.writeValueAsBytes(new Document(FORMAT, Instant.now().toString(), rows));
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, NAME + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory();
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void forceDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the rename is still atomic, only its durability
            // across a power cut is then the file system's business.
            LOG.log(Level.DEBUG, "cannot fsync directory " + dir + ": " + e);
        }
    }

    /** Temporary files of a write the node died during: never the reservation file, always safe to delete. */
    private void removeLeftovers() {
        if (!Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, NAME + ".*.tmp")) {
            for (Path p : s) Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove leftover temporary reservation files in " + dir + ": " + e);
        }
    }
}
