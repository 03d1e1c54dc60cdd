package io.limiquantix.node.rpc.internal;

import java.util.Map;

/**
 * Turns the API's field paths ({@code disks[0].source.secretUuid}, {@code memory.sizeMiB}) into the proto's
 * ({@code disks[0].source.secret_uuid}, {@code memory.size_mib}), so an error names the field the caller
 * actually sent. Fields whose proto counterpart carries a unit are listed explicitly.
 */
final class FieldPaths {
    private static final Map<String, String> RENAMED = Map.of(
        "sizeMiB", "size_mib",
        "maxMemoryMiB", "max_memory_mib",
        "bandwidthMiBps", "bandwidth_mibps",
        "maxDowntime", "max_downtime_ms",
        "completionTimeout", "completion_timeout_seconds");

    private FieldPaths() {}

    static String toProto(String apiPath) {
        if (apiPath == null) return "";
        StringBuilder out = new StringBuilder(apiPath.length() + 8);
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < apiPath.length(); i++) {
            char c = apiPath.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                word.append(c);
            } else {
                out.append(snake(word.toString())).append(c);
                word.setLength(0);
            }
        }
        return out.append(snake(word.toString())).toString();
    }

    private static String snake(String word) {
        String renamed = RENAMED.get(word);
        if (renamed != null) return renamed;
        StringBuilder b = new StringBuilder(word.length() + 4);
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0) b.append('_');
                b.append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
