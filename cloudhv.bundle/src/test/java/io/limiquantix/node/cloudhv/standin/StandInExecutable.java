package io.limiquantix.node.cloudhv.standin;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;

/**
 * The stand-in {@code cloud-hypervisor} executable this module's build writes to
 * {@code target/stand-in/cloud-hypervisor} (a script running {@link StandInVmmMain}). Maven passes its path
 * as {@code lq.cloudhv.standin}; a run without it (an IDE) skips loudly, or fails under LQ_REQUIRE_REAL=1.
 */
public final class StandInExecutable {
    private StandInExecutable() {}

    public static Path path() {
        String p = System.getProperty("lq.cloudhv.standin");
        Path script = p == null ? null : Path.of(p);
        if (script == null || !Files.isRegularFile(script)) {
            String msg = "STAND-IN VMM MISSING: lq.cloudhv.standin does not name the stand-in script (" + p
                + "); run the tests through Maven (mvn -f cloudhv.bundle/pom.xml verify)";
            System.err.println("*** " + msg);
            if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(msg);
            Assumptions.assumeTrue(false, msg);
        }
        try {
            // Maven's resource filtering does not keep the executable bit.
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot make " + script + " executable", e);
        }
        return script;
    }
}
