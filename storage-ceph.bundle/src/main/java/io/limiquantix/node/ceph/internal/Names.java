package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import java.util.regex.Pattern;

/**
 * The name rule of the node's API (ASCII letters, digits, '.', '_', '-', starting with a letter or digit,
 * at most 64 characters), checked here because api.bundle keeps its own checks in a package it does not
 * export. Image and snapshot names that pass it are also valid RBD names and need no quoting anywhere.
 */
final class Names {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Names() {}

    static String check(String field, String value) {
        if (value == null) throw new InvalidArgumentException(field, "is required");
        if (!NAME.matcher(value).matches())
            throw new InvalidArgumentException(field, "must be 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit");
        return value;
    }

    static long range(String field, long value, long min, long max) {
        if (value < min || value > max)
            throw new InvalidArgumentException(field, "must be between " + min + " and " + max + " (was " + value + ")");
        return value;
    }
}
