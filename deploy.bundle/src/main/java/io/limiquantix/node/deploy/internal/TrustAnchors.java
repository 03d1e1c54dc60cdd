package io.limiquantix.node.deploy.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The certificates of the node's trust store. A signer is vouched for when its certificate chain is intact (each
 * certificate signed by the next) and reaches one of them: a certificate of the chain is in the store, or the
 * chain's last certificate was issued (and signed) by one in the store. Validity dates are checked for the chain
 * as far as it goes.
 */
final class TrustAnchors {
    private final List<X509Certificate> anchors;
    private final String source;

    private TrustAnchors(List<X509Certificate> anchors, String source) {
        this.anchors = anchors;
        this.source = source;
    }

    static TrustAnchors none() {
        return new TrustAnchors(List.of(), "the node's trust store (none is configured: trustStore in " + DeployConfig.PID
            + " or the framework property " + DeployConfig.FW_TRUSTSTORE + ")");
    }

    static TrustAnchors load(Path file, char[] password, String type) {
        if (!Files.isRegularFile(file))
            throw new InvalidArgumentException("trustStore", "the trust store " + file + " does not exist or is not a file");
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance(type == null ? "PKCS12" : type);
            ks.load(in, password);
            List<X509Certificate> certs = new ArrayList<>();
            for (String alias : Collections.list(ks.aliases())) {
                Certificate c = ks.getCertificate(alias);
                if (c instanceof X509Certificate x) certs.add(x);
            }
            if (certs.isEmpty())
                throw new InvalidArgumentException("trustStore", "the trust store " + file + " holds no certificate");
            return new TrustAnchors(List.copyOf(certs), "the trust store " + file);
        } catch (IOException | GeneralSecurityException e) {
            throw new InvalidArgumentException("trustStore", "the trust store " + file + " cannot be read ("
                + (type == null ? "PKCS12 or JKS" : type) + "; wrong password or type?): " + e.getMessage());
        }
    }

    String source() {
        return source;
    }

    /** Null when the chain is vouched for, otherwise why not. */
    String refusal(List<X509Certificate> chain) {
        if (chain.isEmpty()) return "the signature carries no certificate";
        for (int i = 0; i + 1 < chain.size(); i++) {
            try {
                chain.get(i).verify(chain.get(i + 1).getPublicKey());
            } catch (GeneralSecurityException e) {
                return "its certificate chain is broken at '" + chain.get(i).getSubjectX500Principal().getName() + "'";
            }
        }
        for (X509Certificate c : chain) {
            try {
                c.checkValidity();
            } catch (GeneralSecurityException e) {
                return "the certificate '" + c.getSubjectX500Principal().getName() + "' is not valid now (" + e.getMessage() + ")";
            }
        }
        for (X509Certificate c : chain) if (anchors.contains(c)) return null;
        X509Certificate last = chain.get(chain.size() - 1);
        for (X509Certificate anchor : anchors) {
            if (!anchor.getSubjectX500Principal().equals(last.getIssuerX500Principal())) continue;
            try {
                last.verify(anchor.getPublicKey());
                anchor.checkValidity();
                return null;
            } catch (GeneralSecurityException e) {
                // not this one
            }
        }
        return "it is signed by '" + chain.get(0).getSubjectX500Principal().getName() + "', which " + source
            + " does not vouch for";
    }
}
