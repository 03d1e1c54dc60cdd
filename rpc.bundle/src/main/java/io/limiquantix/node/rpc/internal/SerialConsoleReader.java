package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import io.limiquantix.node.rpc.v1.SerialConsoleChunk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code ReadSerialConsole}: a window of the serial console's log, the file the backend names in the VM's console
 * info (libvirt: {@code <serial><log file>} with {@code append='off'}, so the log is the current boot's output).
 * A log that does not exist yet reads as empty; a log shorter than the offset (the guest restarted and the log
 * began anew) answers no data with {@code size} below the offset, so the reader knows to start again at 0.
 */
final class SerialConsoleReader {
    static final int DEFAULT_BYTES = 64 * 1024;
    static final int MAX_BYTES = 1024 * 1024;

    private SerialConsoleReader() {
    }

    static SerialConsoleChunk read(NodeService n, String vm, long offset, int maxBytesField) {
        if (offset < 0) throw new InvalidArgumentException("offset", "must be at most " + Long.MAX_VALUE);
        long max = Integer.toUnsignedLong(maxBytesField);
        if (max > MAX_BYTES) throw new InvalidArgumentException("maxBytes", "must be at most " + MAX_BYTES);
        int want = max == 0 ? DEFAULT_BYTES : (int) max;
        VmRecord r = n.getVm(vm);
        ConsoleInfo c = n.consoleInfo(r.id());
        if (c.serialLog() == null || c.serialLog().isEmpty())
            throw new ConflictException("VM " + r.id() + " has no serial console log (its spec's serialConsole is false)");
        Path log = Path.of(c.serialLog());
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS))
                throw new BackendFailureException("the serial log of VM " + r.id() + " is not a regular file: " + log, null);
            long size = ch.size();
            if (offset >= size) return SerialConsoleChunk.newBuilder().setNextOffset(offset).setSize(size).build();
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(want, size - offset));
            while (buf.hasRemaining()) {
                int got = ch.read(buf, offset + buf.position());
                if (got < 0) break;
            }
            buf.flip();
            return SerialConsoleChunk.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(buf))
                .setNextOffset(offset + buf.limit()).setSize(size).build();
        } catch (NoSuchFileException e) {
            return SerialConsoleChunk.newBuilder().setNextOffset(offset).setSize(0).build();
        } catch (IOException e) {
            throw new BackendFailureException("cannot read the serial log of VM " + r.id() + " (" + log + "): " + e.getMessage(), e);
        }
    }
}
