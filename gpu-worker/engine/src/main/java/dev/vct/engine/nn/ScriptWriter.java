package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Writes one TorchScript function body, statement by statement, for a model to run as a single
 * native call (see {@link TorchScriptFunction}). Blocks emit the same native operators their Java
 * {@code forward} runs; a weight becomes an element of the function's weight list, {@code w[i]}, so
 * no tensor is stored in the script itself.
 */
public final class ScriptWriter {
  /** The name of the weight-list parameter. */
  public static final String WEIGHTS = "w";

  private final ScriptedAttention attention;
  private final StringBuilder body = new StringBuilder();
  private final List<NDArray> weights = new ArrayList<>();
  private final Map<NDArray, Integer> indices = new IdentityHashMap<>();
  private final Map<String, String> shared = new HashMap<>();
  private int variables;

  /** A writer whose attention layers compute plain attention. */
  public ScriptWriter() {
    this(ScriptedAttention.PLAIN);
  }

  /** A writer whose attention layers compute as {@code attention} writes them. */
  public ScriptWriter(ScriptedAttention attention) {
    this.attention = Objects.requireNonNull(attention, "attention");
  }

  /** How attention layers compute in this script. */
  public ScriptedAttention attention() {
    return attention;
  }

  /** The script expression for {@code array}: its slot in the weight list (one per array). */
  public String weight(NDArray array) {
    int index =
        indices.computeIfAbsent(
            array,
            a -> {
              weights.add(a);
              return weights.size() - 1;
            });
    return WEIGHTS + "[" + index + "]";
  }

  /** Binds {@code expression} to a new local variable and returns its name. */
  public String let(String expression) {
    String name = "v" + variables++;
    body.append("    ").append(name).append(" = ").append(expression).append('\n');
    return name;
  }

  /**
   * {@link #let} once per script: the variable of the first {@code expression} written this way,
   * for values every layer reads (an input converted to an int, say). The body is straight-line
   * code, so the first binding is in scope for the rest of it.
   */
  public String shared(String expression) {
    String name = shared.get(expression);
    if (name == null) {
      name = let(expression);
      shared.put(expression, name);
    }
    return name;
  }

  /** A float literal that parses back to exactly {@code value} as a double. */
  public static String number(double value) {
    return String.format(Locale.ROOT, "%s", Double.toString(value)).replace('E', 'e');
  }

  /** An int list literal. */
  public static String ints(long... values) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) {
      out.append(i == 0 ? "" : ", ").append(values[i]);
    }
    return out.append(']').toString();
  }

  /** The weights in slot order. */
  List<NDArray> weights() {
    return List.copyOf(weights);
  }

  /** The body so far, followed by {@code return result}. */
  String body(String result) {
    return body + "    return " + result + "\n";
  }
}
