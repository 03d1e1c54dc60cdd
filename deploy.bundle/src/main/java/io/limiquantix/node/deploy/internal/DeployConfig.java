package io.limiquantix.node.deploy.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The deployment settings: ConfigAdmin {@value #PID} first, then framework properties.
 *
 * @param dataDir the node's data directory ({@code limiquantix.data}): audit log, console password
 * @param trustStore the PKCS12 or JKS file whose certificates may sign bundles; null when none is configured
 * @param trustStorePassword its password (may be null: a store of certificates alone needs none to be read
 *                           when it was written without integrity protection)
 * @param trustStoreType PKCS12 or JKS; null to tell by the file's content
 * @param development accept unsigned jars (never a tampered signed one); off unless set to {@code true}
 * @param maxJarBytes the largest jar accepted
 */
record DeployConfig(Path dataDir, Path trustStore, char[] trustStorePassword, String trustStoreType, boolean development,
                    long maxJarBytes) {
    static final String PID = "io.limiquantix.node.deploy";
    static final String FW_TRUSTSTORE = "limiquantix.deploy.truststore";
    static final String FW_PASSWORD = "limiquantix.deploy.truststore.password";
    static final String FW_TYPE = "limiquantix.deploy.truststore.type";
    static final String FW_DEVELOPMENT = "limiquantix.deploy.development";
    static final long DEFAULT_MAX = 256L << 20;

    /**
     * @param config the ConfigAdmin values (keys {@code trustStore}, {@code trustStorePassword},
     *               {@code trustStoreType}, {@code development}, {@code maxJarBytes}); null values are not set
     * @param framework framework properties
     */
    static DeployConfig from(Function<String, Object> config, Function<String, String> framework) {
        String data = framework.apply("limiquantix.data");
        Path dataDir = Path.of(data == null || data.isBlank() ? "data" : data);
        String store = text(config.apply("trustStore"), framework.apply(FW_TRUSTSTORE));
        String password = text(config.apply("trustStorePassword"), framework.apply(FW_PASSWORD));
        String type = text(config.apply("trustStoreType"), framework.apply(FW_TYPE));
        if (type != null && !type.equalsIgnoreCase("PKCS12") && !type.equalsIgnoreCase("JKS"))
            throw new InvalidArgumentException("trustStoreType", "must be PKCS12 or JKS (was '" + type + "')");
        String dev = text(config.apply("development"), framework.apply(FW_DEVELOPMENT));
        if (dev != null && !dev.equalsIgnoreCase("true") && !dev.equalsIgnoreCase("false"))
            throw new InvalidArgumentException("development", "must be true or false (was '" + dev + "')");
        String max = text(config.apply("maxJarBytes"), null);
        long maxBytes = DEFAULT_MAX;
        if (max != null) {
            try {
                maxBytes = Long.parseLong(max);
            } catch (NumberFormatException e) {
                maxBytes = -1;
            }
            if (maxBytes < 1024) throw new InvalidArgumentException("maxJarBytes", "must be a whole number of at least 1024 (was '" + max + "')");
        }
        return new DeployConfig(dataDir, store == null ? null : Path.of(store), password == null ? null : password.toCharArray(),
            type == null ? null : type.toUpperCase(java.util.Locale.ROOT), "true".equalsIgnoreCase(dev), maxBytes);
    }

    private static String text(Object configured, String fallback) {
        String s = configured == null ? fallback : configured.toString();
        return s == null || s.isBlank() ? null : s.strip();
    }

    Path auditLog() {
        return dataDir.resolve("deploy-audit.log");
    }

    String trustDescription() {
        return trustStore == null ? "no trust store configured (set trustStore in " + PID + " or " + FW_TRUSTSTORE + ")"
            : "the trust store " + trustStore;
    }
}
