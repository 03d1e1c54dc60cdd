package io.limiquantix.node.libvirt.internal.backend;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What QEMU's migration stream looked like on the wire: {@code tcpdump} on this network namespace's veth captures
 * the TCP connections towards one host's migration ports (libvirt's 49152-49215; the libvirtd connections on 16509,
 * which carry the domain XML in plain text here, are left out), and {@link #stop} reassembles each connection's
 * payload in sequence order and reports its first bytes, its length, whether it had holes, and how often a marker
 * occurs in it (searched across segment boundaries).
 *
 * <p>The pcap file (classic format, Ethernet, IPv4) is read as it streams: nothing but the first bytes of each
 * connection is kept in memory.
 */
final class MigrationCapture implements AutoCloseable {
    /** libvirt's default migration port range (qemu.conf migration_port_min/max). */
    static final String MIGRATION_PORTS = "49152-49215";

    private final Process tcpdump;
    private final Path file;
    private final StringBuffer stderr = new StringBuffer();

    private MigrationCapture(Process tcpdump, Path file) {
        this.tcpdump = tcpdump;
        this.file = file;
    }

    /** The tcpdump binary, or null when it is not installed. */
    static Path tcpdump() {
        List<String> dirs = new ArrayList<>(Arrays.asList(String.valueOf(System.getenv("PATH")).split(":")));
        dirs.addAll(List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin"));
        for (String d : dirs) {
            Path p = Path.of(d.isEmpty() ? "." : d, "tcpdump");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** Starts capturing on {@code iface} what goes to {@code dstHost}'s migration ports; returns once tcpdump listens. */
    static MigrationCapture start(String iface, String dstHost, Path dir) throws IOException {
        Path bin = tcpdump();
        if (bin == null) throw new IllegalStateException("tcpdump is not installed (./run/test installs it)");
        Path file = Files.createTempFile(dir, "migration-", ".pcap");
        // -U: written packet by packet; -s 0: whole packets; -B: a 32 MiB kernel buffer so a busy machine drops
        // nothing; -Z root: no privilege drop, the file is in a directory only root may write.
        Process p = new ProcessBuilder(bin.toString(), "-i", iface, "-n", "-U", "-s", "0", "-B", "32768", "-Z", "root", "-w",
            file.toString(), "tcp and dst host " + dstHost + " and dst portrange " + MIGRATION_PORTS)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        MigrationCapture c = new MigrationCapture(p, file);
        Thread t = new Thread(() -> {
            try (InputStream in = p.getErrorStream()) {
                byte[] b = new byte[4096];
                for (int n; (n = in.read(b)) > 0; ) c.stderr.append(new String(b, 0, n, StandardCharsets.UTF_8));
            } catch (IOException e) {
                c.stderr.append("(reading tcpdump's messages: ").append(e).append(')');
            }
        }, "tcpdump-stderr");
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!c.stderr.toString().contains("listening on")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("tcpdump did not start listening on " + iface + ": " + c.stderr);
            }
            sleep(50);
        }
        return c;
    }

    /** One TCP connection's payload from its SYN on, as far as it was contiguous. */
    record Stream(int srcPort, int dstPort, boolean sawSyn, byte[] head, long bytes, int holes, int truncated, int markers) {
        boolean startsWith(byte[] prefix) {
            return head.length >= prefix.length && Arrays.equals(Arrays.copyOf(head, prefix.length), prefix);
        }

        /** A TLS handshake record (content type 22, protocol major version 3): what a ClientHello starts with. */
        boolean startsWithTlsHandshake() {
            return head.length >= 3 && head[0] == 0x16 && head[1] == 0x03;
        }

        String headHex() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < Math.min(16, head.length); i++) b.append(String.format("%02x", head[i] & 0xff));
            return b.toString();
        }

        @Override
        public String toString() {
            return srcPort + "->" + dstPort + " syn=" + sawSyn + " bytes=" + bytes + " holes=" + holes + " truncated=" + truncated
                + " markers=" + markers + " head=" + headHex();
        }
    }

    record Result(List<Stream> streams, long kernelDrops, String tcpdumpSaid) {
        long bytes() {
            return streams.stream().mapToLong(Stream::bytes).sum();
        }

        int markers() {
            return streams.stream().mapToInt(Stream::markers).sum();
        }

        boolean complete() {
            return kernelDrops == 0 && !streams.isEmpty()
                && streams.stream().allMatch(s -> s.sawSyn() && s.holes() == 0 && s.truncated() == 0);
        }

        @Override
        public String toString() {
            return streams + ", kernel drops " + kernelDrops + " (tcpdump: " + tcpdumpSaid.strip().replace('\n', ' ') + ")";
        }
    }

    /** Stops tcpdump (it flushes and reports its counts) and reads what it captured, counting {@code marker}. */
    Result stop(byte[] marker) throws IOException {
        // SIGTERM through the handle: Process.destroy() would also close the pipe of tcpdump's last words (its counts)
        tcpdump.toHandle().destroy();
        try {
            if (!tcpdump.waitFor(20, TimeUnit.SECONDS)) tcpdump.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sleep(200); // the stderr reader takes the last lines
        String said = stderr.toString();
        Matcher drops = Pattern.compile("(\\d+) packets? dropped by kernel").matcher(said);
        long kernelDrops = drops.find() ? Long.parseLong(drops.group(1)) : -1;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            return new Result(read(in, marker), kernelDrops, said);
        }
    }

    @Override
    public void close() throws IOException {
        if (tcpdump.isAlive()) tcpdump.destroyForcibly();
        Files.deleteIfExists(file);
    }

    // --- pcap ------------------------------------------------------------------------------------------------

    private static final class Conn {
        final int src;
        final int dst;
        boolean syn;
        long base = -1; // the sequence number of stream byte 0
        long next; // stream offset of the next byte expected
        final java.util.TreeMap<Long, byte[]> ahead = new java.util.TreeMap<>(); // segments that came before their turn
        final byte[] head = new byte[64];
        int headLen;
        long bytes;
        int holes;
        int truncated;
        int markers;
        final byte[] tail; // the last marker.length-1 bytes, for markers across segments
        int tailLen;

        Conn(int src, int dst, int markerLen) {
            this.src = src;
            this.dst = dst;
            this.tail = new byte[Math.max(0, markerLen - 1)];
        }

        /** A segment at sequence number {@code seq}: in order, early (kept until its turn) or already seen. */
        void segment(long seq, byte[] data, int off, int len, byte[] marker) {
            if (base < 0) base = seq; // no SYN seen: the stream starts wherever the capture did
            long at = next + ((seq - ((base + next) & 0xffffffffL)) << 32 >> 32); // signed distance, modulo 2^32
            if (at + len <= next) return; // a retransmission of what was seen
            if (at > next) { // out of order (or after a hole): keep it for its turn
                ahead.merge(at, Arrays.copyOfRange(data, off, off + len), (x, y) -> x.length >= y.length ? x : y);
                return;
            }
            take(data, off + (int) (next - at), len - (int) (next - at), marker);
            drain(marker);
        }

        private void drain(byte[] marker) {
            while (!ahead.isEmpty() && ahead.firstKey() <= next) {
                var e = ahead.pollFirstEntry();
                long end = e.getKey() + e.getValue().length;
                if (end > next) take(e.getValue(), (int) (next - e.getKey()), (int) (end - next), marker);
            }
        }

        /** At the end: what is still waiting lies after bytes the capture never saw. */
        void finish(byte[] marker) {
            while (!ahead.isEmpty()) {
                holes++;
                next = ahead.firstKey();
                tailLen = 0; // no marker across a hole
                drain(marker);
            }
        }

        private void take(byte[] data, int off, int len, byte[] marker) {
            int h = Math.min(len, head.length - headLen);
            System.arraycopy(data, off, head, headLen, h);
            headLen += h;
            bytes += len;
            next += len;
            // search the tail of the previous segment joined with this one
            byte[] joined = new byte[tailLen + len];
            System.arraycopy(tail, 0, joined, 0, tailLen);
            System.arraycopy(data, off, joined, tailLen, len);
            markers += count(joined, marker);
            int keep = Math.min(tail.length, joined.length);
            System.arraycopy(joined, joined.length - keep, tail, 0, keep);
            tailLen = keep;
        }
    }

    static int count(byte[] hay, byte[] needle) {
        if (needle.length == 0) return 0;
        int n = 0;
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            n++;
            i += needle.length - 1;
        }
        return n;
    }

    /** Reads a classic pcap of Ethernet frames and reassembles the TCP payload of each connection. */
    static List<Stream> read(InputStream raw, byte[] marker) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        int magic = in.readInt();
        boolean swap;
        if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) swap = false;
        else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) swap = true;
        else throw new IOException("not a pcap file (magic " + Integer.toHexString(magic) + ")");
        in.skipNBytes(16);
        int linkType = int32(in, swap);
        if (linkType != 1) throw new IOException("pcap link type " + linkType + ", expected Ethernet (1)");
        Map<Long, Conn> conns = new LinkedHashMap<>();
        byte[] pkt = new byte[1 << 16];
        while (true) {
            int caplen;
            int origlen;
            try {
                in.skipNBytes(8);
                caplen = int32(in, swap);
                origlen = int32(in, swap);
            } catch (EOFException end) {
                break;
            }
            if (caplen < 0 || caplen > 1 << 20) throw new IOException("pcap record of " + caplen + " bytes");
            if (pkt.length < caplen) pkt = new byte[caplen];
            try {
                in.readFully(pkt, 0, caplen);
            } catch (EOFException cut) {
                break; // tcpdump stopped in the middle of writing a record
            }
            if (caplen < 14 + 20 || u16(pkt, 12) != 0x0800) continue; // not IPv4
            int ip = 14;
            int ihl = (pkt[ip] & 0x0f) * 4;
            if (pkt[ip + 9] != 6) continue; // not TCP
            int ipTotal = u16(pkt, ip + 2);
            int tcp = ip + ihl;
            if (caplen < tcp + 20) continue;
            int src = u16(pkt, tcp);
            int dst = u16(pkt, tcp + 2);
            long seq = u32(pkt, tcp + 4);
            int flags = pkt[tcp + 13] & 0xff;
            int dataOff = ((pkt[tcp + 12] & 0xf0) >> 4) * 4;
            int payload = tcp + dataOff;
            int len = ip + ipTotal - payload; // the IP length, not the frame's (Ethernet pads short frames)
            Conn c = conns.computeIfAbsent(((long) src << 16) | dst, k -> new Conn(src, dst, marker.length));
            if ((flags & 0x02) != 0) { // SYN: the first payload byte is seq + 1
                c.syn = true;
                c.base = (seq + 1) & 0xffffffffL;
                continue;
            }
            if (len <= 0) continue;
            if (origlen > caplen || payload + len > caplen) {
                c.truncated++;
                continue;
            }
            c.segment(seq, pkt, payload, len, marker);
        }
        for (Conn c : conns.values()) c.finish(marker);
        List<Stream> out = new ArrayList<>();
        for (Conn c : conns.values())
            out.add(new Stream(c.src, c.dst, c.syn, Arrays.copyOf(c.head, c.headLen), c.bytes, c.holes, c.truncated, c.markers));
        return out;
    }

    private static int int32(DataInputStream in, boolean swap) throws IOException {
        int v = in.readInt();
        return swap ? Integer.reverseBytes(v) : v;
    }

    private static int u16(byte[] b, int o) {
        return ((b[o] & 0xff) << 8) | (b[o + 1] & 0xff);
    }

    private static long u32(byte[] b, int o) {
        return ((long) u16(b, o) << 16) | u16(b, o + 2);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
