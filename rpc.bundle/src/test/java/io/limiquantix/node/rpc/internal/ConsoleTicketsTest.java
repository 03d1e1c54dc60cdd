package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.ConflictException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConsoleTicketsTest {
    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-11-26T12:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final ManualClock clock = new ManualClock();
    final ConsoleTickets tickets = new ConsoleTickets(clock, Duration.ofSeconds(30));

    @Test
    void aTicketWorksOnceForItsVm() {
        ConsoleTickets.Issued t = tickets.issue("vm-1");
        assertEquals(ConsoleTickets.TOKEN_LENGTH, t.token().length());
        assertTrue(ConsoleTickets.wellFormed(t.token()));
        assertEquals(clock.now.plusSeconds(30), t.expiresAt());
        assertEquals("vm-1", tickets.redeem(t.token()));
        assertNull(tickets.redeem(t.token()), "a used ticket is refused");
        assertEquals(0, tickets.pending());
    }

    @Test
    void anExpiredTicketIsRefusedAndSpent() {
        ConsoleTickets.Issued t = tickets.issue("vm-1");
        clock.now = clock.now.plusSeconds(30);
        assertNull(tickets.redeem(t.token()), "at the expiry instant it no longer works");
        clock.now = clock.now.minusSeconds(10);
        assertNull(tickets.redeem(t.token()), "spent by the refused attempt");
        ConsoleTickets.Issued u = tickets.issue("vm-2");
        clock.now = clock.now.plusSeconds(29);
        assertEquals("vm-2", tickets.redeem(u.token()), "just before its expiry it works");
    }

    @Test
    void unknownAndMalformedTokensAreRefused() {
        tickets.issue("vm-1");
        assertNull(tickets.redeem(null));
        assertNull(tickets.redeem(""));
        assertNull(tickets.redeem("x".repeat(43)));
        assertNull(tickets.redeem("!".repeat(43)));
        assertNull(tickets.redeem("a".repeat(10_000)));
        assertEquals(1, tickets.pending(), "the real ticket is untouched");
    }

    @Test
    void tokensAreRandomAndNeverPrinted() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            ConsoleTickets.Issued t = tickets.issue("vm");
            assertTrue(seen.add(t.token()));
            assertFalse(t.toString().contains(t.token()), t.toString());
            tickets.redeem(t.token());
        }
        ConsoleTickets.Issued a = tickets.issue("vm"), b = tickets.issue("vm");
        assertNotEquals(a.token(), b.token());
    }

    @Test
    void pendingTicketsAreBoundedAndExpiredOnesMakeRoom() {
        for (int i = 0; i < ConsoleTickets.MAX_PENDING; i++) tickets.issue("vm-" + i);
        assertThrows(ConflictException.class, () -> tickets.issue("one-too-many"));
        clock.now = clock.now.plusSeconds(31);
        tickets.issue("after-expiry");
        assertEquals(1, tickets.pending(), "the expired ones were dropped");
    }

    @Test
    void theLifetimeComesFromAFrameworkPropertyWithinBounds() {
        assertEquals(Duration.ofSeconds(30), RpcLifecycle.ticketLifetime(k -> null));
        assertEquals(Duration.ofSeconds(5), RpcLifecycle.ticketLifetime(k -> "5"));
        assertEquals(Duration.ofSeconds(30), RpcLifecycle.ticketLifetime(k -> "0"));
        assertEquals(Duration.ofSeconds(30), RpcLifecycle.ticketLifetime(k -> "601"));
        assertEquals(Duration.ofSeconds(30), RpcLifecycle.ticketLifetime(k -> "soon"));
    }
}
