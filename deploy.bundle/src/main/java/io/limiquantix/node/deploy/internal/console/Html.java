package io.limiquantix.node.deploy.internal.console;

import org.owasp.encoder.Encode;

/** Every value the console pages print goes through here: OWASP Java Encoder, HTML content and attribute contexts. */
final class Html {
    private Html() {
    }

    static String text(String s) {
        return s == null ? "" : Encode.forHtml(s);
    }

    static String attribute(String s) {
        return s == null ? "" : Encode.forHtmlAttribute(s);
    }
}
