package dev.jbert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.List;
import java.util.regex.Pattern;

/** The one JSON style of jbert's files and --json output: snake_case keys, sorted, strict about unknown keys. */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS) // "128" is not a number
      .build();

  private static final Pattern MISSING = Pattern.compile("Missing (required )?creator property '([^']+)'");

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * {@code json} as a {@code type} whose every field is required, or a one-line JbertException starting with
   * {@code what}: not JSON, an unknown key, a missing key, a value of the wrong type, or what the type's constructor
   * refuses.
   */
  public static <T> T readStrict(String json, Class<T> type, String what) {
    try {
      return MAPPER.readerFor(type)
          .with(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .with(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .readValue(json);
    } catch (UnrecognizedPropertyException e) {
      throw new JbertException(what + ": unknown key '" + e.getPropertyName() + "'; allowed keys are "
          + e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList());
    } catch (ValueInstantiationException e) {
      if (e.getCause() instanceof JbertException refused) {
        throw refused;
      }
      throw new JbertException(what + ": " + e.getOriginalMessage(), e);
    } catch (JsonMappingException e) {
      if (MISSING.matcher(e.getOriginalMessage()).find() && type.isRecord()) {
        JsonNode given = tree(json);
        List<String> keys = java.util.Arrays.stream(type.getRecordComponents())
            .map(c -> PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(c.getName())).toList();
        for (java.util.Iterator<String> it = given.fieldNames(); it.hasNext(); ) {
          String k = it.next();
          if (!keys.contains(k)) { // a misspelt key is what to report, not the key it misses
            throw new JbertException(
                what + ": unknown key '" + k + "'; allowed keys are " + keys.stream().sorted().toList());
          }
        }
        List<String> absent = keys.stream().filter(k -> !given.has(k)).toList();
        throw new JbertException(what + ": missing key '" + absent.get(0) + "'"
            + (absent.size() > 1 ? " (and " + String.join(", ", absent.subList(1, absent.size())) + ")" : ""));
      }
      List<JsonMappingException.Reference> path = e.getPath();
      String key = path.isEmpty() ? null : path.get(path.size() - 1).getFieldName();
      JsonNode value = key == null ? null : tree(json).get(key);
      if (value != null) {
        throw new JbertException(what + ": '" + key + "' must be " + (value.isNumber() ? "an integer" : "a number")
            + ", got " + value);
      }
      throw new JbertException(what + ": " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new JbertException(what + ": not valid JSON (" + e.getOriginalMessage() + "); rewrite it or save it again");
    }
  }

  private static JsonNode tree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
