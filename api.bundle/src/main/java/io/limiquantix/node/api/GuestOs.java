package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;

/**
 * The guest operating system: its family and, optionally, a variant in libosinfo's short-id style
 * ({@code win2k22}, {@code win11}, {@code debian12}). Backends pick device models and firmware profiles from it.
 */
public record GuestOs(OsFamily family, String variant) {
    public GuestOs {
        family = family == null ? OsFamily.LINUX : family;
        Checks.optionalName("variant", variant);
    }

    public static GuestOs linux() {
        return new GuestOs(OsFamily.LINUX, null);
    }

    public static GuestOs windows(String variant) {
        return new GuestOs(OsFamily.WINDOWS, variant);
    }
}
