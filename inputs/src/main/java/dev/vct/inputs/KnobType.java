package dev.vct.inputs;

/** The JSON type of a knob's value, with the word a message uses for it. */
public enum KnobType {
  INTEGER("integer", "an integer"),
  NUMBER("number", "a number"),
  STRING("string", "a string"),
  BOOLEAN("boolean", "true or false");

  private final String jsonType;
  private final String described;

  KnobType(String jsonType, String described) {
    this.jsonType = jsonType;
    this.described = described;
  }

  /** The JSON Schema / OpenAPI type name. */
  public String jsonType() {
    return jsonType;
  }

  /** "an integer", "true or false": how a message names the type. */
  public String described() {
    return described;
  }
}
