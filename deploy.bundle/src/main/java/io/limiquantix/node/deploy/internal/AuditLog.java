package io.limiquantix.node.deploy.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Every deployment, accepted or refused, as one line in {@code <data>/deploy-audit.log} (mode 0600, appended,
 * never rewritten) and in the System.Logger: when, who, what was done, the bundle, its version, the jar's
 * SHA-256 digest, the signer and, for a refusal, why.
 */
final class AuditLog {
    private static final System.Logger LOG = System.getLogger("io.limiquantix.node.deploy.audit");
    private final Path file;

    AuditLog(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    record Entry(String who, String action, String outcome, String bundle, String version, String sha256, String signer,
                 String detail) {
    }

    synchronized void write(Entry e) {
        String line = Instant.now().truncatedTo(ChronoUnit.MILLIS) + " who=" + q(e.who()) + " action=" + e.action()
            + " outcome=" + e.outcome() + " bundle=" + q(e.bundle()) + " version=" + q(e.version()) + " sha256="
            + (e.sha256() == null ? "-" : e.sha256()) + " signer=" + q(e.signer()) + (e.detail() == null ? "" : " detail=" + q(e.detail()));
        boolean refused = e.outcome().equals("refused") || e.outcome().equals("rolled-back") || e.outcome().equals("failed");
        LOG.log(refused ? Level.WARNING : Level.INFO, "deployment: " + line);
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another writer created it
                }
            }
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException | UnsupportedOperationException ex) {
            LOG.log(Level.ERROR, "the deployment audit log " + file + " cannot be written: " + ex.getMessage());
        }
    }

    /** A value in double quotes; quotes, backslashes and line breaks escaped, so that one entry stays one line. */
    static String q(String s) {
        if (s == null) return "-";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> b.append(c < 0x20 ? '?' : c);
            }
        }
        return b.append('"').toString();
    }
}
