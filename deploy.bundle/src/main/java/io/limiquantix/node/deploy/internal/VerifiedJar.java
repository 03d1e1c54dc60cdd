package io.limiquantix.node.deploy.internal;

import java.nio.file.Path;

/** A jar that passed the checks: its bundle's identity, who signed it (null: unsigned, development mode) and its digest. */
record VerifiedJar(Path file, String symbolicName, String version, String signer, boolean trusted, String sha256,
                   boolean fragment) {
}
