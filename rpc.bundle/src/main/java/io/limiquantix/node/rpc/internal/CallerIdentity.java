package io.limiquantix.node.rpc.internal;

import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.ServerCall;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who made an authenticated call, for audit logs (bundle deployment): the subject of the client certificate when
 * the call came over mutual TLS, otherwise {@code token} (the bearer token is the node's one shared secret, so it
 * names no person). Set in the call's gRPC Context by {@link BearerTokenInterceptor} once the token is accepted.
 */
final class CallerIdentity {
    static final Context.Key<String> KEY = Context.key("lq-caller");

    private CallerIdentity() {
    }

    static String of(ServerCall<?, ?> call) {
        SSLSession tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (tls != null) {
            try {
                Certificate[] peer = tls.getPeerCertificates();
                if (peer.length > 0 && peer[0] instanceof X509Certificate x)
                    return x.getSubjectX500Principal().getName();
            } catch (SSLPeerUnverifiedException e) {
                // no client certificate: the token alone
            }
        }
        return "token";
    }

    /** The caller of the current call, or {@code token} outside a call. */
    static String current() {
        String who = KEY.get();
        return who == null ? "token" : who;
    }
}
