package io.limiquantix.node.rpc.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The one bearer-token check, shared by the gRPC interceptor and the JSON-over-HTTP servlet. Both sides are
 * hashed before the comparison, so {@link MessageDigest#isEqual} compares equal-length values in constant time
 * and its duration says nothing about the token, not even its length.
 */
final class BearerToken {
    private static final String SCHEME = "bearer ";

    private final byte[] expected;

    BearerToken(String token) {
        if (token == null || token.isEmpty()) throw new IllegalArgumentException("token is required");
        this.expected = sha256(token);
    }

    /**
     * @param authorization the {@code authorization} header or metadata value, or null
     * @return null when it carries the token, else why not (for the client: never the token)
     */
    String refusal(String authorization) {
        if (authorization == null)
            return "missing credentials: send 'authorization: Bearer <token>' (the token is in the node's rpc-token file)";
        if (authorization.length() <= SCHEME.length() || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length()))
            return "the authorization must be 'Bearer <token>'";
        byte[] given = sha256(authorization.substring(SCHEME.length()).strip());
        return MessageDigest.isEqual(expected, given) ? null : "the token is not valid for this node";
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
