package io.limiquantix.node.deploy.internal.console;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Makes the console's own configuration agree with the node's password: Web Console's built-in provider (used only
 * if ours were missing and {@code felix.webconsole.security.providers} were not set) gets {@code password={sha-256}...}
 * instead of its default admin/admin. A password an operator configured there already is left alone.
 */
public final class ConsoleAccess {
    public static final String OSGI_MANAGER_PID = "org.apache.felix.webconsole.internal.servlet.OsgiManager";
    /** SHA-256 of "admin", the console's built-in default. */
    static final String DEFAULT_HASH = "{sha-256}jGl25bVBBBW96Qi9Te4V37Fnqchz/Eu4qB9vKrRIqRg=";
    private static final System.Logger LOG = System.getLogger(ConsoleAccess.class.getName());

    private final String user;
    private final ConsolePassword password;

    public ConsoleAccess(String user, ConsolePassword password) {
        this.user = user;
        this.password = password;
    }

    /** The default console user and password file: {@code admin}, {@code <data>/webconsole-password}. */
    public static Path passwordFile(String configured, String dataDir) {
        if (configured != null && !configured.isBlank()) return Path.of(configured.strip());
        return Path.of(dataDir == null || dataDir.isBlank() ? "data" : dataDir).resolve("webconsole-password");
    }

    // Dependency Manager callback: ConfigurationAdmin appeared
    public void configurationAdmin(ConfigurationAdmin ca) {
        if (password == null) return;
        try {
            Configuration c = ca.getConfiguration(OSGI_MANAGER_PID, null);
            Dictionary<String, Object> props = c.getProperties();
            Object current = props == null ? null : props.get("password");
            if (current != null && !DEFAULT_HASH.equals(current.toString()) && !current.toString().equals("admin")) return;
            Dictionary<String, Object> next = new Hashtable<>();
            if (props != null) for (String k : java.util.Collections.list(props.keys())) next.put(k, props.get(k));
            next.put("username", user);
            next.put("password", password.consoleHash());
            c.update(next);
            LOG.log(Level.INFO, "Web Console: its built-in login now uses the node's password too (" + OSGI_MANAGER_PID + ")");
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "Web Console: could not set its built-in password: " + e.getMessage());
        }
    }
}
