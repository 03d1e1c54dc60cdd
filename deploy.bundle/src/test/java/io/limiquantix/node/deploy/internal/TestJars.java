package io.limiquantix.node.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Real bundle jars for the tests: activators compiled with the JDK's compiler against the OSGi framework API, keys
 * made with the JDK's {@code keytool}, jars signed with its {@code jarsigner}. Nothing is mocked: the node's checks
 * see exactly what an operator's signed build would give them.
 */
final class TestJars {
    static final String STOREPASS = "changeit-signer";
    static final String TRUSTPASS = "changeit-trust";
    static final String SIGNER_DN = "CN=LimiQuantix Test Signer, O=LimiQuantix";
    static final String STRANGER_DN = "CN=Somebody Else, O=Elsewhere";

    final Path dir;
    final Path classes;
    final Path signerStore;
    final Path strangerStore;
    final Path trustStore;

    /** Keys (signer, stranger), a trust store holding only the signer's certificate, and compiled activators. */
    TestJars(Path dir) throws Exception {
        this.dir = dir;
        this.classes = dir.resolve("classes");
        signerStore = dir.resolve("signer.p12");
        strangerStore = dir.resolve("stranger.p12");
        trustStore = dir.resolve("trust.p12");
        Files.createDirectories(dir);
        keytool("-genkeypair", "-alias", "lq", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", SIGNER_DN, "-validity", "30",
            "-keystore", signerStore.toString(), "-storetype", "PKCS12", "-storepass", STOREPASS, "-keypass", STOREPASS);
        keytool("-genkeypair", "-alias", "lq", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", STRANGER_DN, "-validity", "30",
            "-keystore", strangerStore.toString(), "-storetype", "PKCS12", "-storepass", STOREPASS, "-keypass", STOREPASS);
        Path cer = dir.resolve("signer.cer");
        keytool("-exportcert", "-alias", "lq", "-keystore", signerStore.toString(), "-storepass", STOREPASS, "-file", cer.toString());
        keytool("-importcert", "-noprompt", "-alias", "lq-signer", "-file", cer.toString(), "-keystore", trustStore.toString(),
            "-storetype", "PKCS12", "-storepass", TRUSTPASS);
        compileActivators();
    }

    private void compileActivators() throws IOException {
        Path src = dir.resolve("src");
        write(src.resolve("lqtest/good/Activator.java"), """
            package lqtest.good;
            public class Activator implements org.osgi.framework.BundleActivator {
                public void start(org.osgi.framework.BundleContext c) {
                    c.registerService(Object.class, new Object(), new java.util.Hashtable<>(java.util.Map.of(
                        "lqtest.bundle", c.getBundle().getSymbolicName(), "lqtest.version", c.getBundle().getVersion().toString())));
                }
                public void stop(org.osgi.framework.BundleContext c) {}
            }
            """);
        write(src.resolve("lqtest/bad/Activator.java"), """
            package lqtest.bad;
            public class Activator implements org.osgi.framework.BundleActivator {
                public void start(org.osgi.framework.BundleContext c) {
                    throw new IllegalStateException("lqtest activator refuses to start");
                }
                public void stop(org.osgi.framework.BundleContext c) {}
            }
            """);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "a JDK (javac) is needed to build the test bundles");
        String osgi = Path.of(org.osgi.framework.BundleActivator.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
        Files.createDirectories(classes);
        int rc = javac.run(null, null, null, "--release", "17", "-cp", osgi, "-d", classes.toString(),
            src.resolve("lqtest/good/Activator.java").toString(), src.resolve("lqtest/bad/Activator.java").toString());
        assertEquals(0, rc, "javac failed on the test activators");
    }

    /** An unsigned bundle jar: {@code bsn} {@code version}, the good or the throwing activator, and a data file. */
    Path bundle(String name, String bsn, String version, boolean activatorThrows) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", version);
        String pkg = activatorThrows ? "lqtest.bad" : "lqtest.good";
        a.putValue("Bundle-Activator", pkg + ".Activator");
        a.putValue("Import-Package", "org.osgi.framework");
        Path jar = dir.resolve(name);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            String cls = pkg.replace('.', '/') + "/Activator.class";
            out.putNextEntry(new JarEntry(cls));
            out.write(Files.readAllBytes(classes.resolve(cls)));
            out.closeEntry();
            out.putNextEntry(new JarEntry("lqtest/data.txt"));
            out.write(("data of " + bsn + " " + version + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }

    /** The jar signed with {@code store}'s key (jarsigner), written next to it as {@code signed-<name>}. */
    Path sign(Path jar, Path store) throws Exception {
        Path signed = jar.resolveSibling("signed-" + store.getFileName().toString().replace(".p12", "") + "-" + jar.getFileName());
        run(List.of(jdkTool("jarsigner"), "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", STOREPASS,
            "-signedjar", signed.toString(), jar.toString(), "lq"));
        return signed;
    }

    Path signed(String name, String bsn, String version, boolean activatorThrows) throws Exception {
        return sign(bundle(name, bsn, version, activatorThrows), signerStore);
    }

    /** A copy of a signed jar with one entry's content changed after signing (its signature files kept). */
    Path tampered(Path signed, String entry) throws IOException {
        Path out = signed.resolveSibling("tampered-" + signed.getFileName());
        rewrite(signed, out, entry, "changed after signing\n".getBytes(StandardCharsets.UTF_8), null);
        return out;
    }

    /** A copy of a signed jar with an entry added after signing. */
    Path withExtraEntry(Path signed, String entry) throws IOException {
        Path out = signed.resolveSibling("extra-" + signed.getFileName());
        rewrite(signed, out, null, null, entry);
        return out;
    }

    /** The first half of a jar followed by garbage: not a readable zip. */
    Path corrupt(Path jar) throws IOException {
        byte[] bytes = Files.readAllBytes(jar);
        byte[] broken = new byte[bytes.length];
        System.arraycopy(bytes, 0, broken, 0, bytes.length / 2);
        for (int i = bytes.length / 2; i < broken.length; i++) broken[i] = (byte) (i * 31);
        Path out = jar.resolveSibling("corrupt-" + jar.getFileName());
        Files.write(out, broken);
        return out;
    }

    private static void rewrite(Path in, Path out, String replace, byte[] content, String add) throws IOException {
        try (ZipFile zip = new ZipFile(in.toFile()); ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(out))) {
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                zos.putNextEntry(new ZipEntry(e.getName()));
                if (e.getName().equals(replace)) zos.write(content);
                else try (InputStream is = zip.getInputStream(e)) {
                    is.transferTo(zos);
                }
                zos.closeEntry();
            }
            if (add != null) {
                zos.putNextEntry(new ZipEntry(add));
                zos.write("added after signing\n".getBytes(StandardCharsets.UTF_8));
                zos.closeEntry();
            }
        }
    }

    /** SHA-256 of a file, lower-case hex (the test's own, independent of the code under test). */
    static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(jdkTool("keytool"));
        cmd.addAll(List.of(args));
        run(cmd);
    }

    static String jdkTool(String name) {
        Path p = Path.of(System.getProperty("java.home"), "bin", name);
        return Files.isExecutable(p) ? p.toString() : name;
    }

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(buf);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), cmd.get(0) + " did not finish");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed: " + out);
        return out;
    }

    private static void write(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        try (OutputStream out = Files.newOutputStream(p)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
