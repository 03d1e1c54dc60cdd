package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pcap reading that the TLS migration test relies on, on packets made here (no tcpdump, no hosts). */
class MigrationCaptureTest {
    private static final byte[] MARKER = "MARKER".getBytes(StandardCharsets.US_ASCII);

    @Test
    void reassemblesInSequenceOrderFindsMarkersAcrossSegmentsAndCountsHoles() throws IOException {
        Pcap p = new Pcap(ByteOrder.LITTLE_ENDIAN);
        p.tcp(40000, 49152, 1000, 0x02, ""); // SYN
        p.tcp(40000, 49152, 1001, 0x18, "QEVMabcMAR");
        p.tcp(40000, 49152, 1011, 0x18, "KERdef");
        p.tcp(40000, 49152, 1001, 0x18, "QEVMabcMAR"); // a retransmission: nothing new
        p.tcp(40000, 49152, 1020, 0x18, "jkMARKER"); // captured before the segment in front of it
        p.tcp(40000, 49152, 1014, 0x18, "defghi"); // overlaps: only "ghi" is new, then "jkMARKER" follows
        p.tcp(40001, 49152, 5, 0x18, "MARKER"); // a second connection whose start was not captured
        List<MigrationCapture.Stream> s = MigrationCapture.read(new ByteArrayInputStream(p.bytes()), MARKER);
        assertEquals(2, s.size());
        MigrationCapture.Stream one = s.get(0);
        assertTrue(one.sawSyn());
        assertEquals(27, one.bytes(), one.toString());
        assertEquals(2, one.markers(), "MAR|KER across two segments, and one in the segment that came early: " + one);
        assertEquals(0, one.holes());
        assertTrue(one.startsWith("QEVM".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(one.startsWithTlsHandshake());
        assertFalse(s.get(1).sawSyn());
        assertEquals(1, s.get(1).markers());

        Pcap gap = new Pcap(ByteOrder.BIG_ENDIAN);
        gap.tcp(40000, 49152, 7, 0x02, "");
        gap.tcp(40000, 49152, 8, 0x18, "\u0016\u0003\u0001xx");
        gap.tcp(40000, 49152, 100, 0x18, "later");
        MigrationCapture.Stream tls = MigrationCapture.read(new ByteArrayInputStream(gap.bytes()), MARKER).get(0);
        assertTrue(tls.startsWithTlsHandshake());
        assertEquals(1, tls.holes(), "bytes 13..99 were never seen");
        assertEquals(10, tls.bytes());
        MigrationCapture.Result r = new MigrationCapture.Result(List.of(tls), 0, "");
        assertFalse(r.complete(), "a stream with a hole is not a complete capture");
        assertFalse(new MigrationCapture.Result(List.of(one), 3, "").complete(), "kernel drops: not complete");
        assertTrue(new MigrationCapture.Result(List.of(one), 0, "").complete());
        assertFalse(new MigrationCapture.Result(List.of(), 0, "").complete(), "nothing captured is not a complete capture");
    }

    @Test
    void notAPcapIsRefused() {
        assertThrows(IOException.class, () -> MigrationCapture.read(new ByteArrayInputStream(new byte[24]), MARKER));
    }

    /** A classic pcap of Ethernet/IPv4/TCP frames from 10.77.0.1 to 10.77.0.2. */
    private static final class Pcap {
        private final ByteOrder order;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pcap(ByteOrder order) {
            this.order = order;
            ByteBuffer h = ByteBuffer.allocate(24).order(order);
            h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262144).putInt(1);
            out.writeBytes(h.array());
        }

        void tcp(int src, int dst, long seq, int flags, String data) {
            byte[] payload = data.getBytes(StandardCharsets.ISO_8859_1);
            ByteBuffer f = ByteBuffer.allocate(14 + 20 + 20 + payload.length); // network order
            f.put(new byte[12]).putShort((short) 0x0800);
            f.put((byte) 0x45).put((byte) 0).putShort((short) (40 + payload.length)).putInt(0).put((byte) 64).put((byte) 6)
                .putShort((short) 0).put(new byte[] {10, 77, 0, 1}).put(new byte[] {10, 77, 0, 2});
            f.putShort((short) src).putShort((short) dst).putInt((int) seq).putInt(0).put((byte) 0x50).put((byte) flags)
                .putShort((short) 65535).putInt(0);
            f.put(payload);
            ByteBuffer r = ByteBuffer.allocate(16).order(order);
            r.putInt(0).putInt(0).putInt(f.capacity()).putInt(f.capacity());
            out.writeBytes(r.array());
            out.writeBytes(f.array());
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
