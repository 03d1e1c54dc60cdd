package io.limiquantix.node.api;

/** The caller's input is invalid; {@link #field()} is the path of the offending field, e.g. {@code disks[0].path}. */
public class InvalidArgumentException extends HypervisorException {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final String reason;

    public InvalidArgumentException(String field, String reason) {
        super(field + ": " + reason);
        this.field = field;
        this.reason = reason;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }

    /** The same error seen from an enclosing value: {@code prefix.field}, or {@code prefix[i].field}. */
    public InvalidArgumentException under(String prefix) {
        String joined = field.startsWith("[") ? prefix + field : prefix + "." + field;
        InvalidArgumentException e = new InvalidArgumentException(joined, reason);
        e.setStackTrace(getStackTrace());
        return e;
    }
}
