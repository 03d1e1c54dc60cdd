package io.limiquantix.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConsoleInfoTest {
    @Test
    void toStringNeverShowsThePassword() {
        ConsoleInfo c = new ConsoleInfo(GraphicsSpec.Type.VNC, "127.0.0.1", 5900, "Xy7pQ2rZ", "/var/log/x-serial.log");
        assertFalse(c.toString().contains("Xy7pQ2rZ"), c.toString());
        assertTrue(c.toString().contains("5900") && c.toString().contains("(hidden)"), c.toString());
        assertEquals("Xy7pQ2rZ", c.password(), "the accessor still gives it to the one caller that needs it");
        assertTrue(new ConsoleInfo(GraphicsSpec.Type.NONE, null, 0, null, null).toString().contains("password=none"));
    }
}
