package io.limiquantix.node.gpu.internal;

import java.util.regex.Pattern;

/**
 * Makes kernel-supplied strings acceptable to {@code HostDevice}, whose constructor refuses names outside a
 * safe alphabet and descriptions with XML metacharacters or control characters. sysfs text comes from
 * vendor drivers (an mdev type's {@code description} holds newlines and commas), so it is cleaned here
 * rather than letting one odd driver make discovery fail. The rules mirror api.bundle's (private) field
 * checks.
 */
final class HostDeviceText {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final int DESCRIPTION_MAX = 256;

    private HostDeviceText() {}

    static boolean isName(String value) {
        return value != null && NAME.matcher(value).matches();
    }

    /** The name, or null when HostDevice would refuse it. */
    static String nameOrNull(String value) {
        return isName(value) ? value : null;
    }

    /** Printable ASCII only, whitespace runs folded to one space, metacharacters dropped, bounded. */
    static String description(String value) {
        if (value == null) return null;
        StringBuilder out = new StringBuilder(Math.min(value.length(), DESCRIPTION_MAX));
        boolean space = false;
        for (int i = 0; i < value.length() && out.length() < DESCRIPTION_MAX; i++) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c) || c < 0x20) {
                space = out.length() > 0;
                continue;
            }
            if (c > 0x7e || c == '<' || c == '>' || c == '&' || c == '\'' || c == '"') continue;
            if (space && out.length() < DESCRIPTION_MAX - 1) out.append(' ');
            space = false;
            out.append(c);
        }
        return out.length() == 0 ? null : out.toString();
    }
}
