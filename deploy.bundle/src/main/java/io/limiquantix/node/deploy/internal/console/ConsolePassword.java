package io.limiquantix.node.deploy.internal.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * The Web Console's password: read from a file only its owner may read ({@code <data>/webconsole-password} by
 * default), generated there at first start (144 random bits, base64url) when the file does not exist. The file
 * is written under a temporary name created 0600 and renamed into place. A file that group or others can read
 * is refused (the console then lets nobody in). Only the password's SHA-256 is kept in memory after loading.
 */
public final class ConsolePassword {
    static final int MIN_LENGTH = 12;
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private final byte[] sha256;

    private ConsolePassword(byte[] sha256) {
        this.sha256 = sha256;
    }

    public static ConsolePassword loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            try {
                create(file);
            } catch (FileAlreadyExistsException raced) {
                // created meanwhile: use that one
            }
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        Set<PosixFilePermission> extra = EnumSet.copyOf(perms);
        extra.removeAll(OWNER_ONLY);
        if (!extra.isEmpty())
            throw new IOException("the Web Console password file " + file + " has mode " + PosixFilePermissions.toString(perms)
                + "; it must be readable by its owner only (chmod 600; and choose a new password, others could read it)");
        String password = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (password.length() < MIN_LENGTH)
            throw new IOException("the Web Console password in " + file + " is shorter than " + MIN_LENGTH + " characters");
        return new ConsolePassword(sha256(password));
    }

    private static void create(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path tmp = Files.createTempFile(dir, ".webconsole-password-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            Files.writeString(tmp, password + "\n", StandardCharsets.US_ASCII);
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) throw new FileAlreadyExistsException(file.toString());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Constant-time comparison of the SHA-256 of both. */
    public boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(sha256, sha256(candidate));
    }

    /** The form Web Console's own configuration takes: {@code {sha-256}<base64>}. */
    public String consoleHash() {
        return "{sha-256}" + Base64.getEncoder().encodeToString(sha256);
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
