package io.limiquantix.node.rpc.internal;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Lets a call through only with {@code authorization: Bearer <token>}. Both sides are hashed before the
 * comparison, so {@link MessageDigest#isEqual} compares equal-length values in constant time and the
 * comparison's duration says nothing about the token, not even its length. A refused call is closed before
 * any message of it is read, so the service never sees it.
 */
final class BearerTokenInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String SCHEME = "bearer ";

    private final byte[] expected;

    BearerTokenInterceptor(String token) {
        if (token == null || token.isEmpty()) throw new IllegalArgumentException("token is required");
        this.expected = sha256(token);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String value = headers.get(AUTHORIZATION);
        if (value == null)
            return refuse(call, "missing credentials: send the metadata 'authorization: Bearer <token>' (the token is in the node's rpc-token file)");
        if (value.length() <= SCHEME.length() || !value.regionMatches(true, 0, SCHEME, 0, SCHEME.length()))
            return refuse(call, "the authorization metadata must be 'Bearer <token>'");
        byte[] given = sha256(value.substring(SCHEME.length()).strip());
        if (!MessageDigest.isEqual(expected, given)) return refuse(call, "the token is not valid for this node");
        return next.startCall(call, headers);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
        call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() { };
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
