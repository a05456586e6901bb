package dev.vct.inputs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's table of knobs is the knob table, row for row. */
class KnobDocsTest {

  /** The README row of a knob: name, default, allowed values, reading stages, description. */
  static String row(Knob knob) {
    String defaultValue =
        knob.domain().defaultValueIfAny().map(String::valueOf).orElse("drawn at random");
    String readBy =
        knob.readBy().stream()
            .sorted()
            .map(s -> s.name().toLowerCase(Locale.ROOT).replace('_', ' '))
            .collect(Collectors.joining(", "));
    if (readBy.isEmpty()) {
      readBy = "no stage";
    }
    return "| `"
        + knob.jsonName()
        + "` | "
        + defaultValue
        + " | "
        + knob.domain().describe()
        + " | "
        + readBy
        + " | "
        + knob.description()
        + " |";
  }

  @Test
  void theReadmeListsEveryKnobAsTheTableHasIt() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    for (Knob knob : Knob.values()) {
      assertTrue(readme.contains(row(knob) + "\n"), "README.md should have the row\n" + row(knob));
    }
  }
}
