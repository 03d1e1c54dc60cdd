package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WebSocketProtocolTest {
    static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    @Test
    void acceptIsTheRfcExample() {
        // RFC 6455 section 1.3
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketProtocol.accept(KEY));
    }

    @Test
    void handshakeChecksEachHeaderAndPicksBinary() {
        WebSocketProtocol.Handshake ok = WebSocketProtocol.handshake("GET", "websocket", "keep-alive, Upgrade", "13", KEY, null);
        assertTrue(ok.ok());
        assertNull(ok.protocol());
        assertEquals("binary", WebSocketProtocol.handshake("GET", "WebSocket", "Upgrade", "13", KEY, "base64, binary").protocol());
        assertTrue(WebSocketProtocol.handshake("POST", "websocket", "Upgrade", "13", KEY, null).refusal().contains("GET"));
        assertTrue(WebSocketProtocol.handshake("GET", null, "Upgrade", "13", KEY, null).refusal().contains("Upgrade"));
        assertTrue(WebSocketProtocol.handshake("GET", "websocket", "keep-alive", "13", KEY, null).refusal().contains("Connection"));
        assertTrue(WebSocketProtocol.handshake("GET", "websocket", "Upgrade", "8", KEY, null).refusal().contains("13"));
        assertTrue(WebSocketProtocol.handshake("GET", "websocket", "Upgrade", "13", null, null).refusal().contains("Key"));
        assertTrue(WebSocketProtocol.handshake("GET", "websocket", "Upgrade", "13", "not base64!", null).refusal().contains("base64"));
        assertTrue(WebSocketProtocol.handshake("GET", "websocket", "Upgrade", "13", "AAAA", null).refusal().contains("16 bytes"));
        assertTrue(WebSocketProtocol.handshake("GET", "websocket", "Upgrade", "13", KEY, "base64").refusal().contains("binary"));
    }

    /** A client frame as a browser sends it: masked with a random key. */
    static byte[] clientFrame(boolean fin, int opcode, byte[] payload, Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | opcode);
        int n = payload.length;
        if (n < 126) {
            out.write(0x80 | n);
        } else if (n < 65536) {
            out.write(0x80 | 126);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) out.write((int) ((long) n >> (8 * i)));
        }
        byte[] mask = new byte[4];
        random.nextBytes(mask);
        out.writeBytes(mask);
        for (int i = 0; i < n; i++) out.write(payload[i] ^ mask[i & 3]);
        return out.toByteArray();
    }

    static final class Recorder implements WebSocketProtocol.Listener {
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final List<String> events = new ArrayList<>();

        @Override
        public void data(byte[] payload) {
            data.writeBytes(payload);
            events.add("data:" + payload.length);
        }

        @Override
        public void ping(byte[] payload) {
            events.add("ping:" + new String(payload, StandardCharsets.UTF_8));
        }

        @Override
        public void pong(byte[] payload) {
            events.add("pong");
        }

        @Override
        public void close(int code, String reason) {
            events.add("close:" + code + ":" + reason);
        }
    }

    @Test
    void framesArriveInAnyPiecesFragmentedWithControlFramesBetween() throws Exception {
        Random random = new Random(7);
        byte[] big = new byte[70_000];
        random.nextBytes(big);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(clientFrame(true, WebSocketProtocol.OP_BINARY, "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII), random));
        wire.writeBytes(clientFrame(false, WebSocketProtocol.OP_BINARY, new byte[] {1, 2}, random));
        wire.writeBytes(clientFrame(true, WebSocketProtocol.OP_PING, "hi".getBytes(StandardCharsets.UTF_8), random));
        wire.writeBytes(clientFrame(true, WebSocketProtocol.OP_CONTINUATION, new byte[] {3}, random));
        wire.writeBytes(clientFrame(true, WebSocketProtocol.OP_BINARY, big, random));
        wire.writeBytes(clientFrame(true, WebSocketProtocol.OP_BINARY, new byte[300], random));
        wire.writeBytes(clientFrame(true, WebSocketProtocol.OP_CLOSE, new byte[] {0x03, (byte) 0xE8, 'b', 'y', 'e'}, random));
        byte[] bytes = wire.toByteArray();

        for (int chunk : new int[] {1, 3, 126, 4096, bytes.length}) {
            Recorder r = new Recorder();
            WebSocketProtocol.Parser p = new WebSocketProtocol.Parser(100_000, r);
            ByteBuffer in = ByteBuffer.allocate(100_014).flip(); // read mode, empty
            boolean open = true;
            for (int off = 0; off < bytes.length && open; off += chunk) {
                in.compact();
                in.put(bytes, off, Math.min(chunk, bytes.length - off));
                in.flip();
                open = p.parse(in);
            }
            assertFalse(open, "the close frame ends parsing");
            assertEquals(List.of("data:12", "data:2", "ping:hi", "data:1", "data:70000", "data:300", "close:1000:bye"), r.events,
                "pieces of " + chunk);
            byte[] got = r.data.toByteArray();
            assertEquals("RFB 003.008\n", new String(got, 0, 12, StandardCharsets.US_ASCII));
            assertArrayEquals(big, java.util.Arrays.copyOfRange(got, 15, 15 + big.length));
        }
    }

    private static int refusalCode(byte[] frame, int max) {
        WebSocketProtocol.Parser p = new WebSocketProtocol.Parser(max, new Recorder());
        ByteBuffer in = ByteBuffer.allocate(Math.max(frame.length, 64)).put(frame).flip();
        return assertThrows(WebSocketProtocol.ProtocolException.class, () -> p.parse(in)).code;
    }

    @Test
    void violationsAreRefusedWithTheirCloseCode() {
        Random random = new Random(1);
        byte[] unmasked = {(byte) 0x82, 0x01, 0x00};
        assertEquals(1002, refusalCode(unmasked, 1000), "unmasked client frame");
        byte[] rsv = clientFrame(true, WebSocketProtocol.OP_BINARY, new byte[1], random);
        rsv[0] |= 0x40;
        assertEquals(1002, refusalCode(rsv, 1000), "reserved bit");
        assertEquals(1003, refusalCode(clientFrame(true, WebSocketProtocol.OP_TEXT, new byte[1], random), 1000), "text");
        assertEquals(1009, refusalCode(clientFrame(true, WebSocketProtocol.OP_BINARY, new byte[2000], random), 1000), "too big");
        assertEquals(1002, refusalCode(clientFrame(false, WebSocketProtocol.OP_PING, new byte[1], random), 1000), "fragmented ping");
        assertEquals(1002, refusalCode(clientFrame(true, WebSocketProtocol.OP_PING, new byte[126], random), 1000), "long ping");
        assertEquals(1002, refusalCode(clientFrame(true, WebSocketProtocol.OP_CONTINUATION, new byte[1], random), 1000), "stray continuation");
        assertEquals(1002, refusalCode(clientFrame(true, 0x3, new byte[1], random), 1000), "unknown opcode");
        assertEquals(1002, refusalCode(clientFrame(true, WebSocketProtocol.OP_CLOSE, new byte[1], random), 1000), "one-byte close");
        // a 2^63-1 length is refused from the header, before any payload is waited for
        byte[] huge = {(byte) 0x82, (byte) 0xFF, 0x7F, -1, -1, -1, -1, -1, -1, -1, 1, 2, 3, 4};
        assertEquals(1009, refusalCode(huge, 1000), "a 64-bit length");
        byte[] first = clientFrame(false, WebSocketProtocol.OP_BINARY, new byte[1], random);
        byte[] second = clientFrame(true, WebSocketProtocol.OP_BINARY, new byte[1], random);
        byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        assertEquals(1002, refusalCode(both, 1000), "a new message inside a fragmented one");
    }

    @Test
    void serverFramesAreUnmaskedWithTheRightLengthForm() {
        for (int n : new int[] {0, 125, 126, 65535, 65536}) {
            ByteBuffer f = WebSocketProtocol.frame(WebSocketProtocol.OP_BINARY, new byte[n], 0, n);
            assertEquals(0x82, f.get(0) & 0xFF);
            int len7 = f.get(1) & 0xFF;
            assertEquals(0, len7 & 0x80, "not masked");
            int header = n < 126 ? 2 : n < 65536 ? 4 : 10;
            assertEquals(header + n, f.remaining());
            assertEquals(n < 126 ? n : n < 65536 ? 126 : 127, len7);
        }
        ByteBuffer close = WebSocketProtocol.close(1002, "x".repeat(500));
        assertEquals(0x88, close.get(0) & 0xFF);
        assertTrue((close.get(1) & 0xFF) <= 125, "a control frame stays within 125 bytes");
        assertEquals(1002, (close.get(2) & 0xFF) << 8 | close.get(3) & 0xFF);
    }
}
