package dev.jvz.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.PrintWriter;

/**
 * The one JSON writer of the CLI: records become objects, Java names become snake_case
 * ({@code virtualSize} is printed as {@code virtual_size}), fields keep the record's declaration
 * order, output is indented and ends with a newline.
 *
 * <p>The field names are an interface that scripts depend on: rename a record component only with
 * the same care as a command-line option. Thread-safe (ObjectMapper is, once configured).
 */
public final class Json {
    private Json() {}

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** The shared mapper, for tests that parse what a command printed. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Writes {@code value} as one JSON document followed by a newline, and flushes. */
    public static void print(PrintWriter out, Object value) {
        try {
            out.println(MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            // Our own records always serialise; failing here is a bug, not a user error.
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
        out.flush();
    }
}
