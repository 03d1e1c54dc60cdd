package io.limiquantix.node.core.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.NullNode;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger on disk: {@code ledger.json}, its previous good version {@code ledger.json.prev}, and the rules
 * that keep one of them whole whatever moment the node dies at.
 *
 * <p>A write goes to a temporary file in the same directory, is forced to disk, the current file is copied
 * to {@code .prev} (itself through a forced temporary file), then the new file is renamed over
 * {@code ledger.json} atomically and the directory is forced so the rename itself survives a power cut.
 * Reading prefers {@code ledger.json}, falls back loudly to {@code .prev}, and refuses to start empty when a
 * file existed but neither could be read: an empty ledger would make the node forget every VM it owns.
 */
final class LedgerFile {
    private static final System.Logger LOG = System.getLogger(LedgerFile.class.getName());
    static final int FORMAT = 1;
    static final String NAME = "ledger.json";

    /** The file as written; dates as ISO-8601 strings so no extra Jackson module is needed at runtime. */
    record Document(int format, String writtenAt, List<Row> vms) {
    }

    record Row(String id, String name, String backend, JsonNode spec, String createdAt, boolean adopted,
               String lastKnownState, String stateReason, String pendingOperation, String pendingSince,
               String deviceProvider) {
    }

    /** The ledger cannot be read; the message says what was tried and what to do. */
    static final class UnreadableException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        UnreadableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path dir;
    private final Path current;
    private final Path previous;
    private final ObjectMapper json = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    /** False after a load had to fall back: then the corrupt current file must not become {@code .prev}. */
    private boolean currentIsGood = true;

    LedgerFile(Path dir) {
        this.dir = dir;
        this.current = dir.resolve(NAME);
        this.previous = dir.resolve(NAME + ".prev");
    }

    Path path() {
        return current;
    }

    /** Reads the ledger; an absent ledger (first start) is empty, an unreadable one is an error. */
    List<VmEntry> load() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UnreadableException("cannot create the ledger directory " + dir + ": " + e, e);
        }
        removeLeftovers();
        boolean hasCurrent = Files.exists(current);
        boolean hasPrevious = Files.exists(previous);
        if (!hasCurrent && !hasPrevious) {
            LOG.log(Level.INFO, "no VM ledger at " + current + " yet: starting with an empty one");
            return List.of();
        }
        Exception currentError;
        try {
            if (!hasCurrent) throw new NoSuchFileException(current.toString());
            return read(current);
        } catch (IOException | RuntimeException e) {
            currentError = e;
        }
        currentIsGood = false;
        if (!hasPrevious)
            throw new UnreadableException("the VM ledger " + current + " cannot be read (" + currentError
                + ") and there is no " + previous.getFileName() + " to fall back to. The node refuses to start with an"
                + " empty ledger, which would forget every VM it owns. Repair or restore the file, or move it away"
                + " if this node really has no VMs.", currentError);
        try {
            List<VmEntry> entries = read(previous);
            LOG.log(Level.ERROR, "THE VM LEDGER " + current + " IS UNREADABLE (" + currentError + "); RECOVERED "
                + entries.size() + " VMs FROM " + previous + ". Changes since that file was written are lost and will"
                + " be re-learnt from the backends. The unreadable file is kept aside at the next write.");
            return entries;
        } catch (IOException | RuntimeException e) {
            UnreadableException u = new UnreadableException("neither the VM ledger " + current + " (" + currentError
                + ") nor " + previous + " (" + e + ") can be read. The node refuses to start with an empty ledger,"
                + " which would forget every VM it owns. Repair or restore one of the files.", e);
            u.addSuppressed(currentError);
            throw u;
        }
    }

    private List<VmEntry> read(Path file) throws IOException {
        Document doc = json.readValue(file.toFile(), Document.class);
        if (doc == null || doc.vms() == null) throw new IOException(file + " holds no ledger document");
        if (doc.format() > FORMAT)
            throw new IOException(file + " has format " + doc.format() + "; this node understands up to " + FORMAT);
        List<VmEntry> entries = new ArrayList<>();
        for (Row r : doc.vms()) entries.add(toEntry(file, r));
        return entries;
    }

    private VmEntry toEntry(Path file, Row r) {
        VmSpec spec = null;
        JsonNode unreadable = null;
        if (r.spec() != null && !r.spec().isNull()) {
            try {
                spec = json.treeToValue(r.spec(), VmSpec.class);
            } catch (IOException | RuntimeException e) {
                unreadable = r.spec();
                LOG.log(Level.ERROR, "the stored spec of VM " + r.id() + " in " + file + " no longer validates (" + e
                    + "); the VM stays in the ledger and its spec is kept verbatim");
            }
        }
        if (r.id() == null || r.name() == null || r.backend() == null)
            throw new IllegalArgumentException("an entry of " + file + " lacks its id, name or backend");
        return new VmEntry(r.id(), r.name(), r.backend(), spec, unreadable, instant(r.createdAt()), r.adopted(),
            state(r.lastKnownState()), r.stateReason(), r.pendingOperation(), instant(r.pendingSince()), r.deviceProvider());
    }

    /** Advisory fields are read leniently: a value this node does not understand must not cost the whole ledger. */
    private static Instant instant(String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static VmState state(String s) {
        try {
            return s == null ? null : VmState.valueOf(s);
        } catch (IllegalArgumentException e) {
            return VmState.UNKNOWN;
        }
    }

    /** Replaces the ledger with {@code entries}, atomically and durably (see the class comment). */
    void write(List<VmEntry> entries) throws IOException {
        List<Row> rows = new ArrayList<>(entries.size());
        for (VmEntry e : entries) {
            JsonNode spec = e.spec() != null ? json.valueToTree(e.spec())
                : e.unreadableSpec() != null ? e.unreadableSpec() : NullNode.getInstance();
            rows.add(new Row(e.id(), e.name(), e.backend(), spec, e.createdAt().toString(), e.adopted(),
                e.lastKnownState().name(), e.stateReason(), e.pendingOperation(),
                e.pendingSince() == null ? null : e.pendingSince().toString(), e.deviceProvider()));
        }
        byte[] bytes = json.writeValueAsBytes(new Document(FORMAT, Instant.now().toString(), rows));
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, NAME + ".", ".tmp");
        try {
            writeForced(tmp, bytes);
            keepPrevious();
            Files.move(tmp, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory();
            currentIsGood = true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void keepPrevious() throws IOException {
        if (!Files.exists(current)) return;
        if (!currentIsGood) {
            Path aside = dir.resolve(NAME + ".corrupt-" + System.currentTimeMillis());
            Files.move(current, aside, StandardCopyOption.ATOMIC_MOVE);
            LOG.log(Level.ERROR, "the unreadable VM ledger was moved aside to " + aside + "; " + previous
                + " is kept as the previous good version");
            return;
        }
        Path tmp = Files.createTempFile(dir, NAME + ".prev.", ".tmp");
        try {
            writeForced(tmp, Files.readAllBytes(current));
            Files.move(tmp, previous, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeForced(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        }
    }

    private void forceDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot open or sync a directory; the rename is still atomic, only its
            // durability across a power cut is then up to the file system.
            LOG.log(Level.DEBUG, "cannot fsync directory " + dir + ": " + e);
        }
    }

    /** Temporary files of a write the node died in the middle of: never a ledger, always safe to remove. */
    private void removeLeftovers() {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, NAME + ".*.tmp")) {
            for (Path p : s) Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove leftover temporary ledger files in " + dir + ": " + e);
        }
    }
}
