package io.limiquantix.node.api.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Field checks shared by the value types. Every refusal names the field, so a caller can point at the
 * offending input. Strings that may end up in XML or on a command line are checked here, once, so that no
 * backend has to trust its input.
 */
public final class Checks {
    /** Names of VMs, snapshots, disks: ASCII letters, digits, '.', '_', '-', starting with a letter or digit. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    public static final int NAME_MAX = 64;
    /** Absolute paths: ASCII letters, digits and "/._-+,@:"; no empty, "." or ".." segments. */
    public static final Pattern PATH = Pattern.compile("/[A-Za-z0-9/._+,@:-]*");
    public static final int PATH_MAX = 1024;
    public static final int TEXT_MAX = 4096;

    private Checks() {}

    public static String name(String field, String value) {
        notNull(field, value);
        if (value.isEmpty()) throw new InvalidArgumentException(field, "must not be empty");
        if (value.length() > NAME_MAX) throw new InvalidArgumentException(field, "is longer than " + NAME_MAX + " characters");
        if (!NAME.matcher(value).matches())
            throw new InvalidArgumentException(field,
                "may only contain ASCII letters, digits, '.', '_' and '-', and must start with a letter or digit");
        return value;
    }

    public static String optionalName(String field, String value) {
        return value == null ? null : name(field, value);
    }

    public static String path(String field, String value) {
        notNull(field, value);
        if (value.length() > PATH_MAX) throw new InvalidArgumentException(field, "is longer than " + PATH_MAX + " characters");
        if (!PATH.matcher(value).matches())
            throw new InvalidArgumentException(field,
                "must be an absolute path of ASCII letters, digits and the characters / . _ - + , @ :");
        for (String segment : value.substring(1).split("/", -1)) {
            if (segment.equals("..") || segment.equals("."))
                throw new InvalidArgumentException(field, "must not contain '.' or '..' segments");
            if (segment.isEmpty() && value.length() > 1)
                throw new InvalidArgumentException(field, "must not contain empty segments or end with '/'");
        }
        return value;
    }

    public static String optionalPath(String field, String value) {
        return value == null ? null : path(field, value);
    }

    /**
     * Free text (a kernel command line, a description): printable characters only, no XML metacharacters,
     * bounded length. Refusing metacharacters outright, rather than escaping them, keeps the rule the
     * same for every backend and every output format.
     */
    public static String text(String field, String value, int max) {
        if (value == null) return null;
        if (value.length() > max) throw new InvalidArgumentException(field, "is longer than " + max + " characters");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '<' || c == '>' || c == '&' || c == '\'' || c == '"')
                throw new InvalidArgumentException(field, "must not contain the XML metacharacter '" + c + "'");
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
                throw new InvalidArgumentException(field, "must not contain control characters (found U+"
                    + String.format("%04X", (int) c) + ")");
            if (Character.isSurrogate(c) || Character.getType(c) == Character.FORMAT)
                throw new InvalidArgumentException(field, "must not contain invisible or surrogate characters");
        }
        return value;
    }

    /** Text restricted to printable ASCII without XML metacharacters. */
    public static String ascii(String field, String value, int max) {
        text(field, value, max);
        if (value != null) for (int i = 0; i < value.length(); i++)
            if (value.charAt(i) > 0x7e) throw new InvalidArgumentException(field, "must be printable ASCII");
        return value;
    }

    public static long range(String field, long value, long min, long max) {
        if (value < min || value > max)
            throw new InvalidArgumentException(field, "must be between " + min + " and " + max + " (was " + value + ")");
        return value;
    }

    public static <T> T notNull(String field, T value) {
        if (value == null) throw new InvalidArgumentException(field, "is required");
        return value;
    }

    /** Copies a list, refusing null elements; null becomes the empty list. */
    public static <T> List<T> list(String field, List<T> value, int max) {
        if (value == null) return List.of();
        if (value.size() > max) throw new InvalidArgumentException(field, "has more than " + max + " entries");
        for (int i = 0; i < value.size(); i++)
            if (value.get(i) == null) throw new InvalidArgumentException(field + "[" + i + "]", "is required");
        return List.copyOf(value);
    }

    public static Map<String, String> labels(String field, Map<String, String> value) {
        if (value == null) return Map.of();
        if (value.size() > 64) throw new InvalidArgumentException(field, "has more than 64 entries");
        for (Map.Entry<String, String> e : value.entrySet()) {
            name(field + " key", e.getKey());
            text(field + "[" + e.getKey() + "]", notNull(field + "[" + e.getKey() + "]", e.getValue()), 256);
        }
        return Map.copyOf(value);
    }
}
