package io.limiquantix.node.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.InvalidArgumentException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signature checks on real jars signed with the JDK's jarsigner (keys from keytool), outside OSGi. */
class JarVerifierTest {
    @TempDir static Path dir;
    static TestJars jars;
    static TrustAnchors trust;

    @BeforeAll
    static void keysAndJars() throws Exception {
        jars = new TestJars(dir);
        trust = TrustAnchors.load(jars.trustStore, TestJars.TRUSTPASS.toCharArray(), null);
    }

    @Test
    void aJarSignedByTheTrustedKeyPasses() throws Exception {
        Path jar = jars.signed("ok.jar", "lqtest.ok", "1.2.3", false);
        VerifiedJar v = JarVerifier.verify(jar, trust, false);
        assertEquals("lqtest.ok", v.symbolicName());
        assertEquals("1.2.3", v.version());
        assertTrue(v.signer().contains("CN=LimiQuantix Test Signer"), v.signer());
        assertTrue(v.trusted());
        assertEquals(TestJars.sha256(jar), v.sha256());
        assertEquals(64, v.sha256().length());
    }

    @Test
    void anUnsignedJarIsRefusedNamingTheField() throws Exception {
        Path jar = jars.bundle("unsigned.jar", "lqtest.unsigned", "1.0.0", false);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> JarVerifier.verify(jar, trust, false));
        assertEquals("jar", e.field());
        assertTrue(e.getMessage().contains("is not signed"), e.getMessage());
    }

    @Test
    void aJarSignedByAnUnknownKeyIsRefused() throws Exception {
        Path jar = jars.sign(jars.bundle("stranger.jar", "lqtest.stranger", "1.0.0", false), jars.strangerStore);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> JarVerifier.verify(jar, trust, false));
        assertTrue(e.getMessage().contains("Somebody Else") && e.getMessage().contains("does not vouch for"), e.getMessage());
    }

    @Test
    void aJarChangedAfterSigningIsRefusedEvenInDevelopmentMode() throws Exception {
        Path jar = jars.tampered(jars.signed("t.jar", "lqtest.tampered", "1.0.0", false), "lqtest/data.txt");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> JarVerifier.verify(jar, trust, false));
        assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> JarVerifier.verify(jar, trust, true));
    }

    @Test
    void anEntryAddedAfterSigningIsRefused() throws Exception {
        Path jar = jars.withExtraEntry(jars.signed("x.jar", "lqtest.extra", "1.0.0", false), "lqtest/extra.txt");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> JarVerifier.verify(jar, trust, false));
        assertTrue(e.getMessage().contains("lqtest/extra.txt"), e.getMessage());
    }

    @Test
    void aCorruptJarIsRefused() throws Exception {
        Path jar = jars.corrupt(jars.signed("c.jar", "lqtest.corrupt", "1.0.0", false));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> JarVerifier.verify(jar, trust, false));
        assertEquals("jar", e.field());
        assertTrue(e.getMessage().contains("not a readable jar") || e.getMessage().contains("does not verify"), e.getMessage());
    }

    @Test
    void withoutATrustStoreNothingSignedPasses() throws Exception {
        Path jar = jars.signed("n.jar", "lqtest.notrust", "1.0.0", false);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
            () -> JarVerifier.verify(jar, TrustAnchors.none(), false));
        assertTrue(e.getMessage().contains("does not vouch for"), e.getMessage());
    }

    @Test
    void developmentModeAcceptsAnUnsignedJar() throws Exception {
        Path jar = jars.bundle("dev.jar", "lqtest.dev", "1.0.0", false);
        VerifiedJar v = JarVerifier.verify(jar, trust, true);
        assertNull(v.signer());
        assertFalse(v.trusted());
    }

    @Test
    void aWrongTrustStorePasswordIsAClearError() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
            () -> TrustAnchors.load(jars.trustStore, "wrong".toCharArray(), null));
        assertEquals("trustStore", e.field());
    }

    @Test
    void signatureFilesAreTheOnlyUnsignedEntriesAllowed() {
        assertTrue(JarVerifier.signatureFile("META-INF/MANIFEST.MF"));
        assertTrue(JarVerifier.signatureFile("META-INF/LQ.SF"));
        assertTrue(JarVerifier.signatureFile("META-INF/LQ.EC"));
        assertFalse(JarVerifier.signatureFile("META-INF/services/x.SF"));
        assertFalse(JarVerifier.signatureFile("META-INF/maven/pom.xml"));
        assertFalse(JarVerifier.signatureFile("lqtest/A.class"));
    }
}
