package io.limiquantix.node.api;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generators of hostile input for the property tests: XML metacharacters and entities, markup meant to close
 * an element and open another, path traversal, NUL and other control characters, bidi controls and invisible
 * characters, confusable look-alikes, lone surrogates, shell and template syntax, over-long values, and
 * numbers at and beyond every bound. Mixed with valid values so that part of each run is accepted and the
 * accepted specs can be checked too.
 */
public final class HostileInput {
    private HostileInput() {}

    /** Fragments an attacker would try in any string field. */
    public static final List<String> FRAGMENTS = List.of(
        "<", ">", "&", "'", "\"", "&amp;", "&lt;x&gt;", "&#60;", "&#x3C;", "&e;", "<!--", "-->", "<![CDATA[x]]>", "]]>",
        "<?xml version='1.0'?>", "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/shadow'>]>",
        "</name><devices><disk type='block'><source dev='/dev/sda'/></disk></devices><name>",
        "'/><qemu:commandline><qemu:arg value='-monitor'/></qemu:commandline><x a='", "\" onload=\"",
        "..", "../", "/..", "/.", "./", "//", "/../../etc/shadow", "/var/lib/limiquantix/images/../../../etc/shadow",
        "%2e%2e%2f", "..%2f", "\\..\\", "..\u2215", "\uff0e\uff0e\uff0f",
        "\u0000", "x\u0000y", "\n", "\r\n", "\t", "\u001b[31m", "\u007f", "\u0085", "\u00a0",
        "\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff", "\u00ad",
        "\u0430dmin", "\u0131", "\u212a", "\uff21", "\u0391", "\ud800", "\udc00", "\ud83d\ude00", "\u00e9",
        "$(reboot)", "`id`", "${jndi:ldap://x/a}", ";rm -rf /", "|", " ", "",
        "a".repeat(65), "/" + "a".repeat(1100));

    public static Arbitrary<String> plain() {
        return Arbitraries.strings().withCharRange('a', 'z').withChars('0', '9', '-', '_', '.').ofMinLength(1).ofMaxLength(12)
            .filter(s -> Character.isLetterOrDigit(s.charAt(0)));
    }

    public static Arbitrary<String> path() {
        return plain().list().ofMinSize(1).ofMaxSize(4).map(l -> "/var/lib/limiquantix/images/" + String.join("/", l));
    }

    /** Valid, hostile, mixed, random (any code unit, surrogates included), huge, or null. */
    public static Arbitrary<String> strings() {
        Arbitrary<String> fragments = Arbitraries.of(FRAGMENTS);
        Arbitrary<String> mixed = Combinators.combine(Arbitraries.oneOf(plain(), path()), fragments,
            Arbitraries.oneOf(plain(), Arbitraries.just(""))).as((a, b, c) -> a + b + c);
        Arbitrary<String> random = Arbitraries.strings().all().ofMaxLength(24);
        Arbitrary<String> huge = Arbitraries.integers().between(65, 20_000).map(n -> "a".repeat(n));
        Arbitrary<String> uuid = Arbitraries.create(() -> java.util.UUID.randomUUID().toString());
        Arbitrary<String> macLike = Arbitraries.of("52:54:00:12:34:56", "53:54:00:12:34:56", "52:54:00:12:34", "52-54-00-12-34-56");
        Arbitrary<String> hexIds = Arbitraries.of("0000:01:00.0", "10de:1db6", "046d:c52b", "127.0.0.1", "::1", "ceph-mon:6789",
            "pool/image", "pool/image@snap", "rbd");
        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, plain()), net.jqwik.api.Tuple.of(2, path()), net.jqwik.api.Tuple.of(6, mixed),
            net.jqwik.api.Tuple.of(4, fragments), net.jqwik.api.Tuple.of(2, random), net.jqwik.api.Tuple.of(1, huge),
            net.jqwik.api.Tuple.of(1, uuid), net.jqwik.api.Tuple.of(1, macLike), net.jqwik.api.Tuple.of(2, hexIds))
            .injectNull(0.08);
    }

    public static Arbitrary<Integer> ints() {
        return Arbitraries.oneOf(
            Arbitraries.of(Integer.MIN_VALUE, -1, 0, 1, 2, 3, 4, 8, 16, 17, 64, 65, 255, 256, 512, 513, 65535, Integer.MAX_VALUE),
            Arbitraries.integers().between(0, 16), Arbitraries.integers());
    }

    public static Arbitrary<Long> longs() {
        return Arbitraries.oneOf(
            Arbitraries.of(Long.MIN_VALUE, -1L, 0L, 1L, 31L, 32L, 96L, 512L, 16L * 1024 * 1024, 16L * 1024 * 1024 + 1, Long.MAX_VALUE),
            Arbitraries.longs().between(32, 4096), Arbitraries.longs());
    }

    /** True when the string holds something no accepted value may hold: markup, controls, invisibles, surrogates. */
    public static boolean unsafe(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '<' || c == '>' || c == '&' || c == '\'' || c == '"') return true;
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) return true;
            if (Character.isSurrogate(c) || Character.getType(c) == Character.FORMAT) return true;
        }
        return false;
    }

    /** Every string reachable from an accepted value is free of markup and invisible characters; paths have no dot segments. */
    public static void assertSafe(String where, Object value) {
        if (value == null) return;
        if (value instanceof String s) {
            assertFalse(unsafe(s), () -> where + " was accepted with an unsafe value: " + escape(s));
            return;
        }
        if (value instanceof Collection<?> col) {
            int i = 0;
            for (Object o : col) assertSafe(where + "[" + i++ + "]", o);
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                assertSafe(where + " key", e.getKey());
                assertSafe(where + "[" + e.getKey() + "]", e.getValue());
            }
            return;
        }
        if (value.getClass().isRecord()) {
            for (RecordComponent c : value.getClass().getRecordComponents()) {
                Object v;
                try {
                    v = c.getAccessor().invoke(value);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
                String path = where + "." + c.getName();
                assertSafe(path, v);
                if (v instanceof String s && (c.getName().equals("path") || c.getName().equals("kernel") || c.getName().equals("initrd")))
                    for (String seg : s.split("/"))
                        assertFalse(seg.equals("..") || seg.equals("."), () -> path + " was accepted with a dot segment: " + s);
            }
        }
    }

    public static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.substring(0, Math.min(s.length(), 200)).toCharArray())
            b.append(ch >= 0x20 && ch < 0x7f ? String.valueOf(ch) : String.format("\\u%04x", (int) ch));
        return b.toString();
    }

}
