package io.limiquantix.node.deploy;

import java.io.InputStream;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Deploys bundles onto the running node. A jar is accepted only when every entry of it is signed (jarsigner) by
 * one certificate chain that the node's trust store vouches for, unless the node is configured for development.
 * A jar whose bundle is already installed (same {@code Bundle-SymbolicName}) updates it in place; a jar whose
 * bundle does not start is taken back (a new bundle uninstalled, an updated one returned to the bytes it had),
 * so that a refused or failing jar leaves the bundles exactly as they were. Only the bundles that depend on an
 * updated or removed bundle's old classes are refreshed, never unrelated ones.
 *
 * <p>Errors are the API's typed exceptions: {@code InvalidArgumentException} (field {@code jar} or
 * {@code symbolicName}) for a jar that is refused or fails to start, {@code NotFoundException} for an unknown
 * bundle, {@code ConflictException} for a bundle that must not be touched (the framework, this bundle).
 * Every call, accepted or not, is written to the audit log with {@code who}, what, its version and digest.
 */
@ProviderType
public interface DeployService {
    /**
     * Installs the jar, or updates the installed bundle of the same symbolic name, and starts it.
     *
     * @param jar the jar's bytes (read to the end; not closed)
     * @param who who asks: the authenticated principal, for the audit log
     * @return the bundle as it now runs; {@link DeployedBundle#outcome()} says what was done
     */
    DeployedBundle deploy(InputStream jar, String who);

    /**
     * Like {@link #deploy}, but only as an update of the installed bundle {@code symbolicName}: the jar must
     * carry that symbolic name, and the bundle must be installed (the "swap" of a backend by a newer build).
     */
    DeployedBundle swap(String symbolicName, InputStream jar, String who);

    /** Stops and uninstalls the bundle with this symbolic name; refreshes only the bundles that used it. */
    DeployedBundle undeploy(String symbolicName, String who);

    /** Every installed bundle, by bundle id. */
    List<DeployedBundle> list();
}
