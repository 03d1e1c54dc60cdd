package io.limiquantix.node.deploy.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Checks a jar before it may become a bundle: a readable jar with an OSGi manifest, every entry (apart from the
 * manifest and the signature files themselves) signed by one and the same signer (JarFile verifies each entry's
 * digest as it is read to the end; a changed entry throws), and that signer vouched for by the trust store.
 * In development mode an unsigned jar passes; a jar whose signature does not verify never does.
 */
final class JarVerifier {
    private JarVerifier() {
    }

    /** Verification without judging the signer: for listing installed bundles. */
    record Signature(String signer, List<X509Certificate> chain, String unsignedEntry) {
    }

    static VerifiedJar verify(Path file, TrustAnchors trust, boolean development) {
        String sha256 = sha256(file);
        try (JarFile jar = new JarFile(file.toFile(), true)) {
            Manifest manifest = jar.getManifest();
            if (manifest == null) throw refused("has no META-INF/MANIFEST.MF: it is not an OSGi bundle");
            Attributes main = manifest.getMainAttributes();
            String bsn = main.getValue("Bundle-SymbolicName");
            if (bsn == null || bsn.isBlank()) throw refused("has no Bundle-SymbolicName header: it is not an OSGi bundle");
            bsn = bsn.split(";", 2)[0].strip();
            String version = main.getValue("Bundle-Version");
            version = version == null || version.isBlank() ? "0.0.0" : version.strip();
            boolean fragment = main.getValue("Fragment-Host") != null;
            Signature sig = signature(jar);
            if (sig.signer() == null) {
                if (!development)
                    throw refused("is not signed" + (sig.unsignedEntry() == null ? "" : " (entry '" + sig.unsignedEntry()
                        + "' carries no signature of the jar's signer)") + "; sign it with jarsigner using a key that "
                        + trust.source() + " vouches for");
                return new VerifiedJar(file, bsn, version, null, false, sha256, fragment);
            }
            String why = trust.refusal(sig.chain());
            if (why != null && !development) throw refused("is refused: " + why);
            return new VerifiedJar(file, bsn, version, sig.signer(), why == null, sha256, fragment);
        } catch (SecurityException e) {
            throw refused("has a signature that does not verify (changed after signing?): " + e.getMessage());
        } catch (IOException e) {
            throw refused("is not a readable jar (zip) file: " + e.getMessage());
        }
    }

    /** Reads every entry of an open, verifying JarFile and returns the signer common to all of them, if any. */
    static Signature signature(JarFile jar) throws IOException {
        Set<CodeSigner> common = null;
        String unsigned = null;
        byte[] buf = new byte[16384];
        for (Enumeration<JarEntry> en = jar.entries(); en.hasMoreElements(); ) {
            JarEntry e = en.nextElement();
            try (InputStream in = jar.getInputStream(e)) {
                while (in.read(buf) >= 0) {
                    // read to the end: only then has JarFile checked the entry's digest
                }
            }
            if (e.isDirectory() || signatureFile(e.getName())) continue;
            CodeSigner[] signers = e.getCodeSigners();
            if (signers == null || signers.length == 0) {
                if (unsigned == null) unsigned = e.getName();
                common = new LinkedHashSet<>();
                continue;
            }
            Set<CodeSigner> these = new LinkedHashSet<>(List.of(signers));
            if (common == null) common = these;
            else common.retainAll(these);
            if (common.isEmpty() && unsigned == null) unsigned = e.getName();
        }
        if (common == null || common.isEmpty()) return new Signature(null, List.of(), unsigned);
        CodeSigner signer = common.iterator().next();
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : signer.getSignerCertPath().getCertificates())
            if (c instanceof X509Certificate x) chain.add(x);
        String subject = chain.isEmpty() ? null : chain.get(0).getSubjectX500Principal().getName();
        return new Signature(subject, chain, null);
    }

    /** The manifest and signature block files directly in META-INF, which jarsigner does not sign. */
    static boolean signatureFile(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("META-INF/") || upper.indexOf('/', 9) >= 0) return false;
        String file = upper.substring(9);
        return file.equals("MANIFEST.MF") || file.endsWith(".SF") || file.endsWith(".RSA") || file.endsWith(".DSA")
            || file.endsWith(".EC") || file.startsWith("SIG-");
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw refused("cannot be read: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    static InvalidArgumentException refused(String why) {
        return new InvalidArgumentException("jar", why);
    }
}
