package io.limiquantix.node.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * The deploy folder with the real FileInstall 3.7.4 watching it: a dropped signed jar is deployed through
 * DeployService (its location says so, the audit log names the file), an overwritten one updates the bundle in
 * place (same id), an unsigned one is never installed, a deleted one is undeployed.
 */
class DeployFolderIT {
    @TempDir Path dir;

    @Test
    void dropOverwriteRefuseDelete() throws Exception {
        TestJars jars = new TestJars(dir.resolve("jars"));
        Path deploy = Files.createDirectories(dir.resolve("deploy"));
        List<String> bundles = new ArrayList<>(Felix.BASE);
        bundles.add("org.apache.felix.fileinstall");
        Path audit = dir.resolve("data/deploy-audit.log");
        try (Felix felix = new Felix(dir, bundles, Map.of(
                "limiquantix.deploy.truststore", jars.trustStore.toString(),
                "limiquantix.deploy.truststore.password", TestJars.TRUSTPASS,
                "felix.fileinstall.dir", deploy.toString(),
                "felix.fileinstall.filter", ".*\\.jar",
                "felix.fileinstall.poll", "300",
                "felix.fileinstall.noInitialDelay", "true",
                "felix.fileinstall.log.level", "4"))) {
            felix.service("io.limiquantix.node.deploy.DeployService");
            Path v1 = jars.signed("f1.jar", "lqtest.folder", "1.0.0", false);
            Path v2 = jars.signed("f2.jar", "lqtest.folder", "1.1.0", false);
            Path unsigned = jars.bundle("f3.jar", "lqtest.folder.unsigned", "1.0.0", false);
            Path target = deploy.resolve("folder.jar");

            copy(v1, target);
            Felix.eventually(120, () -> active(felix, "lqtest.folder", "1.0.0"), "lqtest.folder 1.0.0 to be deployed from the folder");
            Bundle b = felix.bundle("lqtest.folder");
            long id = b.getBundleId();
            assertTrue(b.getLocation().startsWith("limiquantix-deploy:"), "installed by FileInstall itself, not DeployService: "
                + b.getLocation());
            awaitAudit(audit, "who=\"deploy-folder:" + target);

            copy(v2, target);
            Felix.eventually(120, () -> active(felix, "lqtest.folder", "1.1.0"), "lqtest.folder to be updated to 1.1.0");
            assertEquals(id, felix.bundle("lqtest.folder").getBundleId(), "an overwrite must update in place");

            Path refused = deploy.resolve("unsigned.jar");
            copy(unsigned, refused);
            awaitAudit(audit, "who=\"deploy-folder:" + refused);
            assertTrue(Files.readString(audit).contains("outcome=refused"));
            assertNull(felix.bundle("lqtest.folder.unsigned"), "an unsigned jar from the folder was installed");

            Files.delete(target);
            Felix.eventually(120, () -> felix.bundle("lqtest.folder") == null, "lqtest.folder to be undeployed after its file was deleted");
            awaitAudit(audit, "action=undeploy outcome=uninstalled bundle=\"lqtest.folder\"");
            assertNull(felix.bundle("lqtest.folder.unsigned"));
        }
    }

    /**
     * The audit line of a deployment follows its effect (the bundle active or gone, then the refresh of what was
     * pending): CI once read the log between the two.
     */
    private static void awaitAudit(Path audit, String line) throws InterruptedException {
        Felix.eventually(30, () -> {
            try {
                return Files.readString(audit).contains(line);
            } catch (java.io.IOException e) {
                return false;
            }
        }, "'" + line + "' in the audit log");
    }

    /** Written beside the folder and moved in, as an operator's copy should be (FileInstall never sees half a jar). */
    private static void copy(Path from, Path to) throws Exception {
        Path tmp = to.resolveSibling("." + to.getFileName() + ".part");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean active(Felix felix, String bsn, String version) {
        Bundle b = felix.bundle(bsn);
        return b != null && b.getState() == Bundle.ACTIVE && b.getVersion().toString().equals(version);
    }
}
