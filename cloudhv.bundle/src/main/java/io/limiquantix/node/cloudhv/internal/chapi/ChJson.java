package io.limiquantix.node.cloudhv.internal.chapi;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

/** The one JSON mapping for the CH API: snake_case names, unknown answer fields tolerated (newer VMMs add some). */
public final class ChJson {
    private ChJson() {}

    public static ObjectMapper mapper() {
        return new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }
}
