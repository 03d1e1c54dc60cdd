package io.limiquantix.node.deploy.internal;

import static io.limiquantix.node.deploy.internal.Felix.call;
import static io.limiquantix.node.deploy.internal.Felix.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;

/**
 * DeployService in a real Felix with the node's bundles: signed jars are installed and updated in place; an
 * unsigned jar, one signed by an unknown key, a corrupt one, one changed after signing, and one whose activator
 * throws (new, and as an update, which rolls back) are refused with a message naming the field, and the running
 * set (every bundle's id, version and state) is exactly what it was. No unrelated bundle is stopped by an update.
 * Every call is in the audit log with who, the version and the digest. The Gogo commands run through the real
 * Gogo CommandProcessor.
 */
class DeployServiceIT {
    @TempDir static Path dir;
    static TestJars jars;
    static Felix felix;
    static Object deploy;

    @BeforeAll
    static void start() throws Exception {
        jars = new TestJars(dir.resolve("jars"));
        felix = new Felix(dir, Felix.BASE, Map.of(
            "limiquantix.deploy.truststore", jars.trustStore.toString(),
            "limiquantix.deploy.truststore.password", TestJars.TRUSTPASS));
        deploy = felix.service("io.limiquantix.node.deploy.DeployService");
    }

    @AfterAll
    static void stop() throws Exception {
        if (felix != null) felix.close();
    }

    private Path audit() {
        return dir.resolve("data/deploy-audit.log");
    }

    private Felix.Failure refused(Path jar, String who) {
        Map<String, String> before = felix.runningSet();
        Felix.Failure f = assertThrows(Felix.Failure.class, () -> call(deploy, "deploy", Felix.stream(jar), who));
        assertEquals(before, felix.runningSet(), "the running set changed after a refused jar: " + f.getMessage());
        return f;
    }

    @Test
    void aSignedJarIsInstalledStartedListedAndAudited() throws Exception {
        Path jar = jars.signed("a.jar", "lqtest.a", "1.0.0", false);
        Object d = call(deploy, "deploy", Felix.stream(jar), "tester-a");
        assertEquals("installed", get(d, "outcome"));
        assertEquals("ACTIVE", get(d, "state"));
        assertEquals("1.0.0", get(d, "version"));
        assertEquals(TestJars.sha256(jar), get(d, "sha256"));
        assertTrue(((String) get(d, "signer")).contains("LimiQuantix Test Signer"));
        Bundle b = felix.bundle("lqtest.a");
        assertEquals(Bundle.ACTIVE, b.getState());
        @SuppressWarnings("unchecked")
        List<Object> listed = (List<Object>) call(deploy, "list");
        Object mine = listed.stream().filter(x -> "lqtest.a".equals(get(x, "symbolicName"))).findFirst().orElseThrow();
        assertEquals(TestJars.sha256(jar), get(mine, "sha256"));
        assertEquals(listed.size(), felix.context().getBundles().length);
        // a bundle the node started with: digest and (no) signer read from the framework's cache
        Object core = listed.stream().filter(x -> "io.limiquantix.node.core".equals(get(x, "symbolicName"))).findFirst().orElseThrow();
        assertEquals(64, ((String) get(core, "sha256")).length());
        assertNull(get(core, "signer"));

        String log = Files.readString(audit());
        assertTrue(log.contains("who=\"tester-a\"") && log.contains("outcome=installed") && log.contains("bundle=\"lqtest.a\"")
            && log.contains("version=\"1.0.0\"") && log.contains("sha256=" + TestJars.sha256(jar)), log);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(audit())));

        // the same jar again changes nothing
        Object again = call(deploy, "deploy", Felix.stream(jar), "tester-a");
        assertEquals("unchanged", get(again, "outcome"));
        assertEquals(b.getBundleId(), get(again, "id"));
    }

    @Test
    void anUnsignedJarIsRefusedAndNothingChanges() throws Exception {
        Felix.Failure f = refused(jars.bundle("u.jar", "lqtest.u", "1.0.0", false), "tester-u");
        assertEquals("InvalidArgumentException", f.type);
        assertTrue(f.getMessage().contains("jar: is not signed"), f.getMessage());
        assertNull(felix.bundle("lqtest.u"));
        assertTrue(Files.readString(audit()).contains("who=\"tester-u\" action=deploy outcome=refused"));
    }

    @Test
    void aJarSignedByAnUnknownKeyIsRefused() throws Exception {
        Felix.Failure f = refused(jars.sign(jars.bundle("s.jar", "lqtest.s", "1.0.0", false), jars.strangerStore), "tester-s");
        assertTrue(f.getMessage().contains("Somebody Else") && f.getMessage().contains("does not vouch for"), f.getMessage());
        assertNull(felix.bundle("lqtest.s"));
    }

    @Test
    void aCorruptJarIsRefused() throws Exception {
        Felix.Failure f = refused(jars.corrupt(jars.signed("c.jar", "lqtest.c", "1.0.0", false)), "tester-c");
        assertTrue(f.getMessage().contains("jar: "), f.getMessage());
        assertNull(felix.bundle("lqtest.c"));
    }

    @Test
    void aJarChangedAfterSigningIsRefused() throws Exception {
        Felix.Failure f = refused(jars.tampered(jars.signed("t.jar", "lqtest.t", "1.0.0", false), "lqtest/data.txt"), "tester-t");
        assertTrue(f.getMessage().contains("does not verify"), f.getMessage());
        assertNull(felix.bundle("lqtest.t"));
    }

    @Test
    void aNewBundleWhoseActivatorThrowsIsTakenBack() throws Exception {
        Felix.Failure f = refused(jars.signed("bad.jar", "lqtest.bad", "1.0.0", true), "tester-bad");
        assertTrue(f.getMessage().contains("did not start") && f.getMessage().contains("lqtest activator refuses to start")
            && f.getMessage().contains("uninstalled again"), f.getMessage());
        assertNull(felix.bundle("lqtest.bad"));
        assertTrue(Files.readString(audit()).contains("who=\"tester-bad\" action=deploy outcome=rolled-back"));
    }

    @Test
    void anUpdateReplacesInPlaceAndAFailingOneRollsBack() throws Exception {
        Object first = call(deploy, "deploy", Felix.stream(jars.signed("up1.jar", "lqtest.up", "1.0.0", false)), "tester-up");
        long id = (Long) get(first, "id");
        List<String> stopped = Collections.synchronizedList(new ArrayList<>());
        SynchronousBundleListener listener = e -> {
            if (e.getType() == BundleEvent.STOPPED) stopped.add(e.getBundle().getSymbolicName());
        };
        felix.context().addBundleListener(listener);
        try {
            Path v11 = jars.signed("up11.jar", "lqtest.up", "1.1.0", false);
            Object updated = call(deploy, "swap", "lqtest.up", Felix.stream(v11), "tester-up");
            assertEquals("updated", get(updated, "outcome"));
            assertEquals(id, get(updated, "id"));
            assertEquals("1.1.0", get(updated, "version"));
            assertEquals("ACTIVE", get(updated, "state"));
            assertEquals(List.of("lqtest.up"), stopped, "an update stopped other bundles");

            stopped.clear();
            Map<String, String> before = felix.runningSet();
            Felix.Failure f = assertThrows(Felix.Failure.class,
                () -> call(deploy, "deploy", Felix.stream(jars.signed("up2.jar", "lqtest.up", "2.0.0", true)), "tester-up"));
            assertTrue(f.getMessage().contains("did not start") && f.getMessage().contains("rolled back to 1.1.0"), f.getMessage());
            assertEquals(before, felix.runningSet());
            Bundle b = felix.bundle("lqtest.up");
            assertEquals("1.1.0", b.getVersion().toString());
            assertEquals(Bundle.ACTIVE, b.getState());
            assertTrue(stopped.stream().allMatch("lqtest.up"::equals), "a rollback stopped other bundles: " + stopped);
            // the rolled-back bundle runs the 1.1.0 jar's bytes again
            @SuppressWarnings("unchecked")
            List<Object> listed = (List<Object>) call(deploy, "list");
            Object up = listed.stream().filter(x -> "lqtest.up".equals(get(x, "symbolicName"))).findFirst().orElseThrow();
            assertEquals(TestJars.sha256(v11), get(up, "sha256"));
        } finally {
            felix.context().removeBundleListener(listener);
        }
        assertTrue(Files.readString(audit()).contains("action=deploy outcome=rolled-back bundle=\"lqtest.up\" version=\"2.0.0\""));

        // a swap must carry the same symbolic name
        Felix.Failure wrong = assertThrows(Felix.Failure.class,
            () -> call(deploy, "swap", "lqtest.up", Felix.stream(jars.signed("other.jar", "lqtest.other", "1.0.0", false)), "tester-up"));
        assertTrue(wrong.getMessage().contains("not 'lqtest.up'"), wrong.getMessage());
        assertNull(felix.bundle("lqtest.other"));

        Object gone = call(deploy, "undeploy", "lqtest.up", "tester-up");
        assertEquals("uninstalled", get(gone, "outcome"));
        assertNull(felix.bundle("lqtest.up"));
        assertTrue(Files.readString(audit()).contains("action=undeploy outcome=uninstalled bundle=\"lqtest.up\""));
        Felix.Failure missing = assertThrows(Felix.Failure.class, () -> call(deploy, "undeploy", "lqtest.up", "tester-up"));
        assertEquals("NotFoundException", missing.type);
    }

    @Test
    void theFrameworkAndTheDeployBundleCannotBeUndeployed() {
        Felix.Failure f = assertThrows(Felix.Failure.class, () -> call(deploy, "undeploy", "io.limiquantix.node.deploy", "tester"));
        assertEquals("ConflictException", f.type);
        assertNotNull(felix.bundle("io.limiquantix.node.deploy"));
    }

    @Test
    void gogoCommandsListDeployAndSwap() throws Exception {
        Object processor = felix.service("org.apache.felix.service.command.CommandProcessor");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Object session = call(processor, "createSession", System.in, ps, ps);
        Path v1 = jars.signed("g1.jar", "lqtest.gogo", "1.0.0", false);
        Path v2 = jars.signed("g2.jar", "lqtest.gogo", "1.0.1", false);
        String deployed = String.valueOf(call(session, "execute", "lq:deploy " + v1));
        assertTrue(deployed.contains("lqtest.gogo 1.0.0 installed"), deployed);
        String swapped = String.valueOf(call(session, "execute", "lq:swap lqtest.gogo " + v2));
        assertTrue(swapped.contains("lqtest.gogo 1.0.1 updated"), swapped);
        String refused = String.valueOf(call(session, "execute", "lq:deploy " + jars.bundle("g3.jar", "lqtest.gogo3", "1.0.0", false)));
        assertTrue(refused.startsWith("error: jar: is not signed"), refused);
        String list = String.valueOf(call(session, "execute", "lq:bundles"));
        assertTrue(list.contains("lqtest.gogo") && list.contains("1.0.1") && list.contains("LimiQuantix Test Signer")
            && list.contains(TestJars.sha256(v2).substring(0, 12)), list);
        assertTrue(Files.readString(audit()).contains("who=\"shell:"));
        call(session, "close");
    }
}
