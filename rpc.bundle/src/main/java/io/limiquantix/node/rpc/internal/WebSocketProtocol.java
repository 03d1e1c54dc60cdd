package io.limiquantix.node.rpc.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * The parts of RFC 6455 the console proxy needs, independent of any server: the opening handshake's checks and
 * {@code Sec-WebSocket-Accept}, a frame parser for what a client sends (masked frames only, fragmentation,
 * control frames, a bound on the frame size) and the encoder of the server's unmasked frames.
 */
final class WebSocketProtocol {
    static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    static final int OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA;
    static final int CLOSE_NORMAL = 1000, CLOSE_GOING_AWAY = 1001, CLOSE_PROTOCOL_ERROR = 1002,
        CLOSE_UNSUPPORTED_DATA = 1003, CLOSE_TOO_BIG = 1009, CLOSE_INTERNAL = 1011;

    private WebSocketProtocol() {
    }

    /** The handshake's outcome: the accept value and the subprotocol to answer (null: none), or why it is refused. */
    record Handshake(String accept, String protocol, String refusal) {
        boolean ok() {
            return refusal == null;
        }
    }

    /**
     * Checks an opening handshake (RFC 6455 section 4.2.1). The only subprotocol offered is {@code binary}
     * (websockify's name for raw bytes, which noVNC may ask for); a client that offers subprotocols but not that
     * one (e.g. only {@code base64}) is refused; a client that offers none gets none.
     */
    static Handshake handshake(String method, String upgrade, String connection, String version, String key, String protocols) {
        if (!"GET".equals(method)) return refused("a WebSocket handshake is a GET");
        if (upgrade == null || !upgrade.strip().equalsIgnoreCase("websocket")) return refused("Upgrade: websocket is missing");
        if (connection == null || !tokens(connection).contains("upgrade")) return refused("Connection: Upgrade is missing");
        if (version == null || !version.strip().equals("13")) return refused("Sec-WebSocket-Version must be 13");
        if (key == null) return refused("Sec-WebSocket-Key is missing");
        byte[] nonce;
        try {
            nonce = Base64.getDecoder().decode(key.strip());
        } catch (IllegalArgumentException e) {
            return refused("Sec-WebSocket-Key is not base64");
        }
        if (nonce.length != 16) return refused("Sec-WebSocket-Key must be 16 bytes");
        String protocol = null;
        if (protocols != null && !protocols.isBlank()) {
            if (!tokens(protocols).contains("binary"))
                return refused("the only subprotocol offered is 'binary' (raw bytes); the client asked for " + protocols.strip());
            protocol = "binary";
        }
        return new Handshake(accept(key.strip()), protocol, null);
    }

    private static Handshake refused(String why) {
        return new Handshake(null, null, why);
    }

    private static java.util.List<String> tokens(String header) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String t : header.split(",")) out.add(t.strip().toLowerCase(Locale.ROOT));
        return out;
    }

    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A server frame (never masked), FIN set. */
    static ByteBuffer frame(int opcode, byte[] data, int offset, int length) {
        int header = length < 126 ? 2 : length < 65536 ? 4 : 10;
        ByteBuffer b = ByteBuffer.allocate(header + length);
        b.put((byte) (0x80 | opcode));
        if (length < 126) {
            b.put((byte) length);
        } else if (length < 65536) {
            b.put((byte) 126);
            b.putShort((short) length);
        } else {
            b.put((byte) 127);
            b.putLong(length);
        }
        b.put(data, offset, length);
        return b.flip();
    }

    static ByteBuffer close(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, 123);
        byte[] payload = new byte[2 + n];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(r, 0, payload, 2, n);
        return frame(OP_CLOSE, payload, 0, payload.length);
    }

    /** What the parser found; data frames' payloads are handed over frame by frame (no message reassembly). */
    interface Listener {
        void data(byte[] payload);

        void ping(byte[] payload);

        void pong(byte[] payload);

        /** The peer's close: its code (1005 when it gave none) and reason. */
        void close(int code, String reason);
    }

    /** A violation of the protocol; {@code code} is the close code to answer with. */
    static final class ProtocolException extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        ProtocolException(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    /**
     * Incremental parser of client frames: feed it bytes as they arrive; it consumes whole frames from the buffer
     * and leaves a partial one for the next call. Text frames are refused (the console is bytes, 1003); a frame
     * above {@code maxPayload} is refused before its payload is read (1009).
     */
    static final class Parser {
        private final int maxPayload;
        private final Listener listener;
        private boolean inMessage;
        private boolean closed;

        Parser(int maxPayload, Listener listener) {
            this.maxPayload = maxPayload;
            this.listener = listener;
        }

        /** Parses what {@code in} holds (read mode); returns false once a close frame was seen. */
        boolean parse(ByteBuffer in) throws ProtocolException {
            while (!closed) {
                int start = in.position();
                if (in.remaining() < 2) return true;
                int b0 = in.get(start) & 0xFF, b1 = in.get(start + 1) & 0xFF;
                boolean fin = (b0 & 0x80) != 0;
                int opcode = b0 & 0x0F;
                if ((b0 & 0x70) != 0) throw new ProtocolException(CLOSE_PROTOCOL_ERROR, "reserved bits set");
                if ((b1 & 0x80) == 0) throw new ProtocolException(CLOSE_PROTOCOL_ERROR, "client frames must be masked");
                int len7 = b1 & 0x7F;
                int header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
                if (in.remaining() < header) return true;
                long length = len7 == 126 ? in.getShort(start + 2) & 0xFFFF : len7 == 127 ? in.getLong(start + 2) : len7;
                boolean control = (opcode & 0x8) != 0;
                if (control && (!fin || length > 125))
                    throw new ProtocolException(CLOSE_PROTOCOL_ERROR, "control frames must be whole and at most 125 bytes");
                if (length < 0 || length > maxPayload)
                    throw new ProtocolException(CLOSE_TOO_BIG, "frame larger than " + maxPayload + " bytes");
                if (in.remaining() < header + length) {
                    if (in.capacity() < header + length)
                        throw new ProtocolException(CLOSE_TOO_BIG, "frame larger than the input buffer");
                    return true;
                }
                byte[] mask = new byte[4];
                for (int i = 0; i < 4; i++) mask[i] = in.get(start + header - 4 + i);
                byte[] payload = new byte[(int) length];
                for (int i = 0; i < payload.length; i++) payload[i] = (byte) (in.get(start + header + i) ^ mask[i & 3]);
                in.position(start + header + (int) length);
                switch (opcode) {
                    case OP_CONTINUATION -> {
                        if (!inMessage) throw new ProtocolException(CLOSE_PROTOCOL_ERROR, "continuation without a message");
                        inMessage = !fin;
                        listener.data(payload);
                    }
                    case OP_BINARY -> {
                        if (inMessage) throw new ProtocolException(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
                        inMessage = !fin;
                        listener.data(payload);
                    }
                    case OP_TEXT -> throw new ProtocolException(CLOSE_UNSUPPORTED_DATA, "text frames are not accepted: the console is binary");
                    case OP_PING -> listener.ping(payload);
                    case OP_PONG -> listener.pong(payload);
                    case OP_CLOSE -> {
                        if (payload.length == 1) throw new ProtocolException(CLOSE_PROTOCOL_ERROR, "a close payload of one byte");
                        int code = payload.length >= 2 ? (payload[0] & 0xFF) << 8 | payload[1] & 0xFF : 1005;
                        String reason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                        closed = true;
                        listener.close(code, reason);
                        return false;
                    }
                    default -> throw new ProtocolException(CLOSE_PROTOCOL_ERROR, "unknown opcode " + opcode);
                }
            }
            return false;
        }
    }
}
