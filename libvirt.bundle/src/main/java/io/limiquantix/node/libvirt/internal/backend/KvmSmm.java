package io.limiquantix.node.libvirt.internal.backend;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Whether KVM on this host emulates System Management Mode. OVMF's Secure Boot build needs SMM (libvirt turns
 * {@code <smm state='on'/>} on for it), and QEMU refuses to start such a guest under a KVM without it ("System
 * Management Mode not supported by this hypervisor") — nested KVM on some clouds is such a KVM. The answer is
 * KVM's own: {@code ioctl(/dev/kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM)}, the extension QEMU checks before it
 * enables SMM. TCG always emulates SMM, so this only matters when the backend runs guests on KVM.
 */
final class KvmSmm {
    private static final Logger LOG = Logger.getLogger(KvmSmm.class.getName());
    /** {@code _IO(KVMIO=0xAE, 0x03)} from linux/kvm.h. */
    static final long KVM_CHECK_EXTENSION = 0xAE03L;
    /** {@code KVM_CAP_X86_SMM} from linux/kvm.h. */
    static final long KVM_CAP_X86_SMM = 117;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;

    /** The three libc calls this needs (JNA interface mapping; ioctl's variadic argument is one long). */
    interface LibC extends Library {
        int open(String path, int flags);

        int ioctl(int fd, long request, long arg);

        int close(int fd);
    }

    private static volatile LibC libc;

    private KvmSmm() {}

    /** True when KVM behind {@code devKvm} emulates SMM; false when it does not or this cannot be told (logged). */
    static boolean supported(Path devKvm) {
        if (!Files.exists(devKvm)) return false;
        try {
            LibC c = libc();
            int fd = c.open(devKvm.toString(), O_RDWR | O_CLOEXEC);
            if (fd < 0) {
                LOG.warning("cannot open " + devKvm + " (errno " + Native.getLastError() + "): Secure Boot is not offered on KVM");
                return false;
            }
            try {
                return c.ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) > 0;
            } finally {
                c.close(fd);
            }
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot ask KVM whether it emulates SMM: Secure Boot is not offered on KVM", e);
            return false;
        }
    }

    private static LibC libc() {
        LibC c = libc;
        if (c == null) libc = c = Native.load("c", LibC.class);
        return c;
    }
}
