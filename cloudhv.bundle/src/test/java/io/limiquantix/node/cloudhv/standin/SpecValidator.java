package io.limiquantix.node.cloudhv.standin;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks HTTP exchanges against Cloud Hypervisor's OpenAPI document (a vendored copy of v53.0 in
 * {@code src/test/resources/openapi}) with Atlassian's swagger-request-validator. Each finding is returned
 * as one line naming the exchange and the rule broken.
 */
public final class SpecValidator {
    public static final String SPEC_RESOURCE = "/openapi/cloud-hypervisor-v53.0.yaml";
    private final OpenApiInteractionValidator validator;

    private SpecValidator(String spec) {
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(spec).build();
    }

    public static SpecValidator fromClasspath() {
        try (var in = SpecValidator.class.getResourceAsStream(SPEC_RESOURCE)) {
            if (in == null) throw new IllegalStateException(SPEC_RESOURCE + " is not on the test classpath");
            return new SpecValidator(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static SpecValidator fromFile(Path spec) throws IOException {
        return new SpecValidator(Files.readString(spec));
    }

    public List<String> request(String method, String path, String contentType, String body) {
        SimpleRequest.Builder b = new SimpleRequest.Builder(method, path);
        if (contentType != null) b.withContentType(contentType);
        if (body != null && !body.isEmpty()) b.withBody(body);
        return lines("request " + method + " " + path, validator.validateRequest(b.build()));
    }

    public List<String> response(String method, String path, int status, String contentType, String body) {
        SimpleResponse.Builder b = SimpleResponse.Builder.status(status);
        if (contentType != null) b.withContentType(contentType);
        if (body != null) b.withBody(body);
        return lines("response " + status + " to " + method + " " + path,
            validator.validateResponse(path, Request.Method.valueOf(method), b.build()));
    }

    private static List<String> lines(String what, ValidationReport report) {
        List<String> out = new ArrayList<>();
        for (ValidationReport.Message m : report.getMessages()) {
            if (m.getLevel() == ValidationReport.Level.ERROR) out.add(what + ": [" + m.getKey() + "] " + m.getMessage());
        }
        return out;
    }
}
