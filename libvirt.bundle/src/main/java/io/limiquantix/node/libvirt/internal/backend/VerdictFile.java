package io.limiquantix.node.libvirt.internal.backend;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A properties file in the node's data directory holding a probe's verdict: read whole, written whole to a
 * temporary file (mode 0600) that then replaces it atomically, so a reader never sees half a verdict. A
 * failure to write only costs a probe next time.
 */
final class VerdictFile {
    private static final Logger LOG = Logger.getLogger(VerdictFile.class.getName());

    private final Path file;

    VerdictFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /** The stored properties; null when there is no file or it cannot be read (then the probe runs again). */
    Properties read() {
        if (!Files.isRegularFile(file)) return null;
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
            return p;
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(Level.WARNING, "cannot read the stored probe verdict " + file + "; probing again", e);
            return null;
        }
    }

    /** Replaces the file's content atomically; true when stored. */
    boolean write(Properties p, String comment) {
        Path tmp = null;
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its defaults apply
            }
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, comment);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot store the probe verdict in " + file + " (the probe runs again at the next start)", e);
            return false;
        } finally {
            if (tmp != null) try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }
}
