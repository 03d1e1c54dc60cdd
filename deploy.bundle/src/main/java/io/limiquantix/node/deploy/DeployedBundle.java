package io.limiquantix.node.deploy;

/**
 * An installed bundle as the deployment service sees it.
 *
 * @param id the bundle id
 * @param symbolicName its {@code Bundle-SymbolicName}
 * @param version its {@code Bundle-Version}
 * @param state INSTALLED, RESOLVED, STARTING, STOPPING, ACTIVE or UNINSTALLED
 * @param signer the subject of the certificate that signed every entry of its jar, or null when the jar is not
 *               signed (or not signed consistently)
 * @param trusted whether that signer is vouched for by the node's trust store
 * @param sha256 the SHA-256 digest of the jar the bundle runs from (lower-case hex), or null if it cannot be read
 * @param location the bundle's location
 * @param outcome what the call that returned this did ({@code installed}, {@code updated}, {@code unchanged},
 *                {@code uninstalled}); empty in {@link DeployService#list()}
 */
public record DeployedBundle(long id, String symbolicName, String version, String state, String signer, boolean trusted,
                             String sha256, String location, String outcome) {
    public DeployedBundle withOutcome(String outcome) {
        return new DeployedBundle(id, symbolicName, version, state, signer, trusted, sha256, location, outcome);
    }
}
