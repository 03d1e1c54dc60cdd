package io.limiquantix.node.deploy.internal.console;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.felix.webconsole.spi.SecurityProvider;

/**
 * The Web Console's authentication: HTTP Basic with the user {@code admin} (or configured) and the node's console
 * password ({@link ConsolePassword}). Registered with {@code webconsole.security.provider.id=limiquantix}; the
 * node names that id in {@code felix.webconsole.security.providers}, so the console serves nothing at all until
 * this provider is registered, and never falls back to its built-in admin/admin.
 */
public final class ConsoleSecurity implements SecurityProvider {
    public static final String ID = "limiquantix";
    private static final System.Logger LOG = System.getLogger(ConsoleSecurity.class.getName());
    static final String REALM = "LimiQuantix node";

    private final String user;
    private final ConsolePassword password;

    public ConsoleSecurity(String user, ConsolePassword password) {
        this.user = user;
        this.password = password;
    }

    @Override
    public Object authenticate(HttpServletRequest request, HttpServletResponse response) {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                if (colon > 0 && pair.substring(0, colon).equals(user) && password != null && password.matches(pair.substring(colon + 1)))
                    return user;
                LOG.log(Level.WARNING, "Web Console: refused a login as '" + pair.substring(0, Math.max(colon, 0)) + "' from "
                    + request.getRemoteAddr());
            } catch (IllegalArgumentException e) {
                // not base64: refused below
            }
        }
        challenge(response);
        return null;
    }

    static void challenge(HttpServletResponse response) {
        try {
            response.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
            response.sendError(HttpServletResponse.SC_UNAUTHORIZED);
        } catch (IOException | IllegalStateException e) {
            // the client went away
        }
    }

    @Override
    public boolean authorize(Object user, String role) {
        return this.user.equals(user);
    }

    @Override
    public void logout(HttpServletRequest request, HttpServletResponse response) {
        // HTTP Basic has no server-side session to end
    }
}
