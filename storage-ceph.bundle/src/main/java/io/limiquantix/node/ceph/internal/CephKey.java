package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

/**
 * A cephx secret, read from the configured keyring or key file when it is needed (so a rotated key is
 * picked up at the next connection) and never kept in a configuration object. {@link #toString()} is
 * redacted; the key is only handed to librados and, decoded, to whoever asks by secret UUID.
 */
final class CephKey {
    private final String entity;
    private final String base64;

    private CephKey(String entity, String base64) {
        this.entity = entity;
        this.base64 = base64;
    }

    /** Reads the key of {@code config.entity()} from the keyring or the key file. */
    static CephKey read(CephConfig config) {
        if (config.keyFile() != null) {
            String text = readText(CephConfig.KEY_FILE, config.keyFile()).trim();
            // a bare key, as `ceph auth print-key` writes it, or a keyring-style "key = ..." line
            String value = text.contains("=") && text.contains("key") ? keyLine(text.lines().toList()) : text;
            return valid(CephConfig.KEY_FILE, config.entity(), value, config.keyFile());
        }
        List<String> lines = readText(CephConfig.KEYRING, config.keyring()).lines().toList();
        String section = "[" + config.entity() + "]";
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).trim().equals(section)) continue;
            int end = i + 1;
            while (end < lines.size() && !lines.get(end).trim().startsWith("[")) end++;
            return valid(CephConfig.KEYRING, config.entity(), keyLine(lines.subList(i + 1, end)), config.keyring());
        }
        throw new InvalidArgumentException(CephConfig.KEYRING, config.keyring() + " has no section " + section);
    }

    private static String keyLine(List<String> lines) {
        for (String line : lines) {
            String t = line.trim();
            int eq = t.indexOf('=');
            if (eq > 0 && t.substring(0, eq).trim().equals("key")) return t.substring(eq + 1).trim();
        }
        return "";
    }

    private static CephKey valid(String property, String entity, String value, Path from) {
        try {
            if (!value.isEmpty() && Base64.getDecoder().decode(value).length >= 16) return new CephKey(entity, value);
        } catch (IllegalArgumentException e) {
            // fall through: the message must not quote the value, which may be a mangled key
        }
        throw new InvalidArgumentException(property, from + " holds no valid cephx key for " + entity);
    }

    private static String readText(String property, Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new InvalidArgumentException(property, "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The key as librados' {@code key} option and ceph keyrings write it. */
    String base64() {
        return base64;
    }

    /** The decoded key: what a libvirt secret of usage type ceph holds as its value. */
    byte[] raw() {
        return Base64.getDecoder().decode(base64);
    }

    @Override
    public String toString() {
        return "CephKey[" + entity + ", redacted]";
    }
}
