package io.limiquantix.node.rpc.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Prometheus text exposition format 0.0.4: metric families, each written once with its {@code # HELP} and
 * {@code # TYPE} lines followed by all its samples (the format requires a family's samples to be together, so
 * samples are collected per family first and written at the end). Label values and help texts are escaped
 * as the format says (backslash, double quote and line feed in label values; backslash and line feed in help),
 * so no VM name can end a line, close a label or forge a sample.
 */
final class PrometheusText {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Pattern METRIC = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    enum Type { COUNTER, GAUGE }

    /** One metric family; {@link #add} takes label name/value pairs. */
    static final class Family {
        private final String name;
        private final Type type;
        private final String help;
        private final List<String> samples = new ArrayList<>();

        private Family(String name, Type type, String help) {
            this.name = name;
            this.type = type;
            this.help = help;
        }

        /** Adds a sample; {@code labels} alternate name, value. A null value leaves the label out. */
        Family add(double value, String... labels) {
            if (labels.length % 2 != 0) throw new IllegalArgumentException("labels come in name/value pairs");
            StringBuilder b = new StringBuilder(name);
            boolean any = false;
            for (int i = 0; i < labels.length; i += 2) {
                if (labels[i + 1] == null) continue;
                if (!LABEL.matcher(labels[i]).matches() || labels[i].startsWith("__"))
                    throw new IllegalArgumentException("not a label name: " + labels[i]);
                b.append(any ? ',' : '{').append(labels[i]).append("=\"");
                escapeLabel(labels[i + 1], b);
                b.append('"');
                any = true;
            }
            if (any) b.append('}');
            b.append(' ').append(number(value));
            samples.add(b.toString());
            return this;
        }
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** The family of that name, created on first use (name, type and help must then stay the same). */
    Family family(String name, Type type, String help) {
        if (!METRIC.matcher(name).matches()) throw new IllegalArgumentException("not a metric name: " + name);
        Family f = families.computeIfAbsent(name, n -> new Family(n, type, help));
        if (f.type != type) throw new IllegalArgumentException(name + " is already a " + f.type);
        return f;
    }

    /** The whole exposition, ending with a line feed. Families without samples are left out. */
    String write() {
        StringBuilder b = new StringBuilder(4096);
        for (Family f : families.values()) {
            if (f.samples.isEmpty()) continue;
            b.append("# HELP ").append(f.name).append(' ');
            escapeHelp(f.help, b);
            b.append('\n');
            b.append("# TYPE ").append(f.name).append(' ').append(f.type == Type.COUNTER ? "counter" : "gauge").append('\n');
            for (String s : f.samples) b.append(s).append('\n');
        }
        return b.toString();
    }

    static void escapeLabel(String v, StringBuilder b) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
    }

    static void escapeHelp(String v, StringBuilder b) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
    }

    /** Integers without a fraction or exponent; NaN and infinities as the format spells them. */
    static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Double.POSITIVE_INFINITY) return "+Inf";
        if (v == Double.NEGATIVE_INFINITY) return "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }
}
