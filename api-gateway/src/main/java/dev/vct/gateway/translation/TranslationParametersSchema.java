package dev.vct.gateway.translation;

import dev.vct.inputs.Knob;
import dev.vct.inputs.KnobDomain;
import java.math.BigDecimal;
import java.util.List;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.media.Schema;

/**
 * Writes the {@code TranslationParameters} schema of the OpenAPI document from the {@link Knob}
 * table: each knob's type, default, bounds, step or pattern and description, so the document says
 * exactly what the gateway checks. Registered by {@code mp.openapi.filter}.
 */
public class TranslationParametersSchema implements OASFilter {
  public static final String NAME = "TranslationParameters";

  @Override
  public void filterOpenAPI(OpenAPI openAPI) {
    if (openAPI.getComponents() == null) {
      openAPI.setComponents(OASFactory.createComponents());
    }
    openAPI.getComponents().addSchema(NAME, schema());
  }

  static Schema schema() {
    Schema parameters =
        OASFactory.createSchema()
            .type(List.of(Schema.SchemaType.OBJECT))
            .description(
                "The method's knobs; all optional. A knob left out takes its default; null counts"
                    + " as left out.")
            .additionalPropertiesBoolean(false);
    for (Knob knob : Knob.values()) {
      parameters.addProperty(knob.jsonName(), property(knob));
    }
    return parameters;
  }

  private static Schema property(Knob knob) {
    KnobDomain domain = knob.domain();
    Schema property =
        OASFactory.createSchema()
            .type(List.of(Schema.SchemaType.valueOf(knob.type().name())))
            .description(knob.description() + "; " + domain.describe() + ".");
    domain.defaultValueIfAny().ifPresent(property::defaultValue);
    if (domain.minimum() != null) {
      if (domain.exclusiveMinimum()) {
        property.exclusiveMinimum(domain.minimum());
      } else {
        property.minimum(domain.minimum());
      }
      property.maximum(domain.maximum());
    }
    if (domain.multipleOf() != null) {
      property.multipleOf(BigDecimal.valueOf(domain.multipleOf()));
    }
    if (domain.pattern() != null) {
      property.pattern("^" + domain.pattern().pattern() + "$");
    }
    return property;
  }
}
