package io.limiquantix.node.libvirt.internal;

import io.limiquantix.node.libvirt.internal.backend.AccelDecision;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Dictionary;
import java.util.regex.Pattern;
import org.osgi.service.cm.ConfigurationException;

/**
 * One backend's configuration, from a factory configuration of {@link #FACTORY_PID}. Parsing refuses a bad
 * configuration as a whole, naming the property, so that no half-configured backend is ever registered.
 */
public record BackendConfig(String name, String uri, int ranking, AccelDecision.Requested accel) {
    public static final String FACTORY_PID = "io.limiquantix.node.libvirt";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern URI_CHARS = Pattern.compile("[A-Za-z0-9+.-]+:[\\x21-\\x7e]*");

    public static BackendConfig parse(Dictionary<String, ?> props) throws ConfigurationException {
        if (props == null) throw new ConfigurationException(null, "the configuration has no properties");
        String name = string(props, "name", true);
        if (!NAME.matcher(name).matches())
            throw new ConfigurationException("name", "must be 1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit (was '"
                + name + "')");
        String uri = string(props, "uri", true);
        checkUri(uri);
        int ranking = ranking(props.get("ranking"));
        String accelValue = string(props, "accel", false);
        AccelDecision.Requested accel = AccelDecision.Requested.parse(accelValue);
        if (accel == null) throw new ConfigurationException("accel", "must be auto, kvm or tcg (was '" + accelValue + "')");
        return new BackendConfig(name, uri, ranking, accel);
    }

    private static String string(Dictionary<String, ?> props, String key, boolean required) throws ConfigurationException {
        Object v = props.get(key);
        if (v == null) {
            if (required) throw new ConfigurationException(key, "is required");
            return null;
        }
        if (!(v instanceof String s)) throw new ConfigurationException(key, "must be a string (was a " + v.getClass().getSimpleName() + ")");
        if (required && s.isBlank()) throw new ConfigurationException(key, "must not be empty");
        return s.trim();
    }

    private static void checkUri(String uri) throws ConfigurationException {
        if (!URI_CHARS.matcher(uri).matches())
            throw new ConfigurationException("uri", "must be a libvirt URI such as qemu:///system, without spaces (was '" + uri + "')");
        try {
            URI u = new URI(uri);
            if (u.getScheme() == null) throw new ConfigurationException("uri", "has no scheme (was '" + uri + "')");
        } catch (URISyntaxException e) {
            throw new ConfigurationException("uri", "is not a URI: " + e.getReason());
        }
    }

    private static int ranking(Object v) throws ConfigurationException {
        if (v == null) return 0;
        if (v instanceof Integer i) return i;
        if (v instanceof Long || v instanceof Short || v instanceof Byte) {
            long l = ((Number) v).longValue();
            if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) throw new ConfigurationException("ranking", "is out of the int range (was " + l + ")");
            return (int) l;
        }
        if (v instanceof String s) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw new ConfigurationException("ranking", "must be an integer (was '" + s + "')");
            }
        }
        throw new ConfigurationException("ranking", "must be an integer (was a " + v.getClass().getSimpleName() + ")");
    }
}
