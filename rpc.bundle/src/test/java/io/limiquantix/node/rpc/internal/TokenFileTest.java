package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    @TempDir Path dir;

    @Test
    void firstStartGeneratesA256BitTokenReadableByTheOwnerOnly() throws IOException {
        Path file = dir.resolve("data/rpc-token");
        String token = TokenFile.loadOrCreate(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(Base64.getUrlDecoder().decode(token).length >= 32, "at least 256 random bits");
        assertEquals(token, TokenFile.loadOrCreate(file), "later starts keep the token");
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
        assertNotEquals(token, TokenFile.loadOrCreate(dir.resolve("other/rpc-token")));
    }

    @Test
    void anOperatorsTokenIsUsedAsWritten() throws IOException {
        Path file = dir.resolve("rpc-token");
        Files.writeString(file, "operator-chosen-token-0123456789abcdef\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertEquals("operator-chosen-token-0123456789abcdef", TokenFile.loadOrCreate(file));
    }

    @Test
    void aTokenOthersCanReadIsRefused() throws IOException {
        Path file = dir.resolve("rpc-token");
        Files.writeString(file, "operator-chosen-token-0123456789abcdef\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> TokenFile.loadOrCreate(file));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void aShortTokenIsRefused() throws IOException {
        Path file = dir.resolve("rpc-token");
        Files.writeString(file, "secret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThrows(IOException.class, () -> TokenFile.loadOrCreate(file));
    }
}
