package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.VmSpec;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.UUID;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;

/**
 * A SPICE console with its per-VM password on a real TCG guest: QEMU's SPICE server listens on loopback and takes
 * the password from the domain XML. The test speaks SPICE's link handshake itself (the main channel's
 * {@code SpiceLinkMess}, the server's RSA key, the ticket encrypted with RSA-OAEP/SHA-1): the password from
 * {@code consoleInfo} is accepted (link result 0), a wrong one is refused (7, permission denied). Skips loudly without
 * libvirtd, the guest payload or SPICE in QEMU, unless LQ_REQUIRE_REAL=1.
 */
class RealSpiceConsoleTest {
    private static final Path PAYLOAD = Path.of("/var/lib/limiquantix/test-guest");

    @Test
    void aSpiceConsoleTakesItsPerVmPasswordAndNoOther() throws Exception {
        Path kernel = PAYLOAD.resolve("vmlinuz"), initrd = PAYLOAD.resolve("initramfs.gz");
        LibvirtTestSupport.requireOrSkip(Files.isReadable(kernel) && Files.isReadable(initrd),
            "guest payload missing at " + PAYLOAD + " (build it with run/lib/guest-payload.sh)");
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);
        LibvirtHypervisor hv = LibvirtTestSupport.connected("qemu-spice", "qemu:///system", AccelDecision.Requested.AUTO);
        String id = UUID.randomUUID().toString();
        try {
            LibvirtTestSupport.requireOrSkip(hv.capabilities().has(Feature.SPICE_CONSOLE),
                "QEMU's SPICE (libspice-server1) is not installed");
            VmSpec spec = VmSpec.builder("lq-spice-" + id.substring(0, 8)).id(id).vcpus(1).memoryMiB(128)
                .kernelBoot(kernel.toString(), initrd.toString(), "console=ttyS0 panic=-1")
                .graphics(new GraphicsSpec(GraphicsSpec.Type.SPICE, null)).serialConsole(true).build();
            hv.createVm(spec);
            hv.startVm(id);
            ConsoleInfo c = hv.consoleInfo(id);
            assertEquals(GraphicsSpec.Type.SPICE, c.type());
            assertEquals("127.0.0.1", c.host(), "SPICE listens on loopback by default");
            assertTrue(c.port() > 0, c.toString());
            assertEquals(20, c.password().length(), "SPICE's per-VM password");
            assertFalse(c.toString().contains(c.password()), "ConsoleInfo's toString hides the password: " + c);

            assertEquals(7, link(c.port(), "not-the-password"), "a wrong password: SPICE_LINK_ERR_PERMISSION_DENIED");
            assertEquals(0, link(c.port(), c.password()), "the per-VM password links the main channel");
        } finally {
            LibvirtTestSupport.removeQuietly(hv, id);
            hv.close();
        }
    }

    /** SPICE's link handshake on the main channel with {@code password} as the ticket; the server's link result. */
    static int link(int port, String password) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(20_000);
            ByteBuffer mess = ByteBuffer.allocate(16 + 18).order(ByteOrder.LITTLE_ENDIAN);
            mess.put("REDQ".getBytes(StandardCharsets.US_ASCII)).putInt(2).putInt(2).putInt(18); // header: magic, 2.2, size
            mess.putInt(0).put((byte) 1).put((byte) 0).putInt(0).putInt(0).putInt(18); // connection 0, main channel, no caps
            s.getOutputStream().write(mess.array());
            DataInputStream in = new DataInputStream(s.getInputStream());
            ByteBuffer header = read(in, 16);
            assertEquals("REDQ", new String(header.array(), 0, 4, StandardCharsets.US_ASCII));
            int size = header.getInt(12);
            ByteBuffer reply = read(in, size);
            assertEquals(0, reply.getInt(0), "the link message is accepted");
            byte[] der = new byte[162];
            reply.position(4);
            reply.get(der);
            PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
            Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
            rsa.init(Cipher.ENCRYPT_MODE, key);
            byte[] ticket = (password + "\0").getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(rsa.doFinal(ticket));
            return read(in, 4).getInt(0);
        }
    }

    private static ByteBuffer read(DataInputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
}
