package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.ConflictException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * One-time, expiring console tickets. {@link #issue} hands out 256 random bits (base64url, 43 characters) for a
 * VM; {@link #redeem} gives the VM back once, within the lifetime, and forgets the ticket whatever the outcome:
 * a ticket that was used, has expired or was never issued is refused. Only a SHA-256 digest of each token is
 * kept (a lookup by digest leaks nothing useful through timing), tokens are never logged or put in messages,
 * and at most {@value #MAX_PENDING} tickets wait at once (expired ones are dropped first).
 */
final class ConsoleTickets {
    static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(30);
    static final int MAX_PENDING = 256;
    static final int TOKEN_LENGTH = 43;

    /** A ticket as issued: the token (once, to the caller) and when it stops working. */
    record Issued(String token, String vmId, Instant expiresAt) {
        @Override
        public String toString() {
            return "Issued[vmId=" + vmId + ", expiresAt=" + expiresAt + "]"; // never the token
        }
    }

    private record Pending(String vmId, Instant expiresAt) {
    }

    private final Clock clock;
    private final Duration lifetime;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Pending> pending = new HashMap<>();

    ConsoleTickets() {
        this(Clock.systemUTC(), DEFAULT_LIFETIME);
    }

    ConsoleTickets(Clock clock, Duration lifetime) {
        this.clock = clock;
        this.lifetime = lifetime;
    }

    Duration lifetime() {
        return lifetime;
    }

    synchronized Issued issue(String vmId) {
        Instant now = clock.instant();
        pending.values().removeIf(p -> !now.isBefore(p.expiresAt()));
        if (pending.size() >= MAX_PENDING)
            throw new ConflictException("too many console sessions waiting to be opened (" + MAX_PENDING
                + "); open or let expire the ones issued, then ask again");
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant expires = now.plus(lifetime);
        pending.put(digest(token), new Pending(vmId, expires));
        return new Issued(token, vmId, expires);
    }

    /** The VM the token was issued for, or null when it is unknown, used already or expired; it is spent either way. */
    synchronized String redeem(String token) {
        if (!wellFormed(token)) return null;
        Pending p = pending.remove(digest(token));
        if (p == null) return null;
        return clock.instant().isBefore(p.expiresAt()) ? p.vmId() : null;
    }

    synchronized int pending() {
        return pending.size();
    }

    static boolean wellFormed(String token) {
        if (token == null || token.length() != TOKEN_LENGTH) return false;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) return false;
        }
        return true;
    }

    private static String digest(String token) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
