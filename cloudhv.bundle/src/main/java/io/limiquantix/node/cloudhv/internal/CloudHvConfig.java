package io.limiquantix.node.cloudhv.internal;

import java.nio.file.Path;
import java.util.Dictionary;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.osgi.service.cm.ConfigurationException;

/**
 * One Cloud Hypervisor backend's configuration, from a factory configuration of {@link #FACTORY_PID}:
 * {@code name}, {@code ranking}, {@code binary}, {@code stateDir}, {@code firmware}, and the test-only
 * {@code testOnly.skipKvmCheck}. A bad configuration is refused as a whole, naming the property.
 *
 * <p>{@code binaryExplicit} is false when the default path is used: only then is {@code cloud-hypervisor} on
 * PATH an acceptable substitute (an operator who names a binary means that one).
 */
public record CloudHvConfig(String name, int ranking, Path binary, boolean binaryExplicit, Path stateDir, Path firmware,
                            boolean skipKvmCheck) {
    public static final String FACTORY_PID = "io.limiquantix.node.cloudhv";
    public static final Path DEFAULT_BINARY = Path.of("/usr/bin/cloud-hypervisor");
    /** Where Debian's and upstream's packages put the UEFI firmware CH boots disks with. */
    public static final Path DEFAULT_FIRMWARE = Path.of("/usr/share/cloud-hypervisor/CLOUDHV.fd");
    /** TEST ONLY: lets a stand-in VMM make the backend capable on a host without KVM. Never set it in production. */
    public static final String SKIP_KVM_CHECK = "testOnly.skipKvmCheck";
    static final int DEFAULT_RANKING = 200;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** The embedded default: backend {@code cloudhv}, ranking 200, default paths. */
    static CloudHvConfig defaults(Function<String, String> frameworkProperty) {
        return new CloudHvConfig("cloudhv", DEFAULT_RANKING, DEFAULT_BINARY, false, defaultStateDir(frameworkProperty),
            DEFAULT_FIRMWARE, false);
    }

    static Path defaultStateDir(Function<String, String> frameworkProperty) {
        String data = frameworkProperty.apply("limiquantix.data");
        return (data == null || data.isBlank() ? Path.of("/var/lib/limiquantix") : Path.of(data)).resolve("cloudhv");
    }

    static CloudHvConfig parse(Dictionary<String, ?> props, Function<String, String> frameworkProperty) throws ConfigurationException {
        if (props == null) throw new ConfigurationException(null, "the configuration has no properties");
        String name = string(props, "name");
        if (name == null) throw new ConfigurationException("name", "is required");
        if (!NAME.matcher(name).matches())
            throw new ConfigurationException("name", "must be 1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit (was '" + name + "')");
        int ranking = ranking(props.get("ranking"));
        String binary = string(props, "binary");
        String stateDir = string(props, "stateDir");
        String firmware = string(props, "firmware");
        return new CloudHvConfig(name, ranking, binary == null ? DEFAULT_BINARY : absolute("binary", binary), binary != null,
            stateDir == null ? defaultStateDir(frameworkProperty) : absolute("stateDir", stateDir),
            firmware == null ? DEFAULT_FIRMWARE : absolute("firmware", firmware),
            bool(props.get(SKIP_KVM_CHECK)));
    }

    private static Path absolute(String key, String value) throws ConfigurationException {
        Path p = Path.of(value);
        if (!p.isAbsolute()) throw new ConfigurationException(key, "must be an absolute path (was '" + value + "')");
        return p.normalize();
    }

    private static String string(Dictionary<String, ?> props, String key) throws ConfigurationException {
        Object v = props.get(key);
        if (v == null) return null;
        if (!(v instanceof String s)) throw new ConfigurationException(key, "must be a string (was a " + v.getClass().getSimpleName() + ")");
        return s.isBlank() ? null : s.trim();
    }

    private static boolean bool(Object v) throws ConfigurationException {
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) return Boolean.parseBoolean(s);
        throw new ConfigurationException(SKIP_KVM_CHECK, "must be true or false (was '" + v + "')");
    }

    private static int ranking(Object v) throws ConfigurationException {
        if (v == null) return DEFAULT_RANKING;
        if (v instanceof Integer i) return i;
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) return l.intValue();
        if (v instanceof String s) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw new ConfigurationException("ranking", "must be an integer (was '" + s + "')");
            }
        }
        throw new ConfigurationException("ranking", "must be an integer (was '" + v + "')");
    }
}
