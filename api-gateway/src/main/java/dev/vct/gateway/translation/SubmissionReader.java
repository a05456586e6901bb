package dev.vct.gateway.translation;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import dev.vct.gateway.image.ImageInspector;
import dev.vct.gateway.image.ImageRejection;
import dev.vct.gateway.image.InspectedImage;
import dev.vct.gateway.webhook.WebhookEventType;
import dev.vct.gateway.webhook.WebhookUrlPolicy;
import dev.vct.inputs.InvalidKnobException;
import dev.vct.inputs.KnobValues;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.server.multipart.FormValue;
import org.jboss.resteasy.reactive.server.multipart.MultipartFormDataInput;

/** Turns either form of a submission into a {@link Submission}, refusing anything doubtful. */
@ApplicationScoped
public class SubmissionReader {
  static final String SOURCE = "source";
  static final String REFERENCE = "reference";
  static final String PARAMS = "params";
  static final String WEBHOOK = "webhook";
  private static final Set<String> PARTS = Set.of(SOURCE, REFERENCE, PARAMS, WEBHOOK);
  private static final Pattern DATA_URL = Pattern.compile("^data:[a-zA-Z0-9/+.-]*;base64,");
  private static final int MAX_JSON_PART_BYTES = 64 * 1024;
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private final ImageInspector inspector;
  private final RequestValidation validation;
  private final WebhookUrlPolicy urlPolicy;

  SubmissionReader(
      ImageInspector inspector, RequestValidation validation, WebhookUrlPolicy urlPolicy) {
    this.inspector = inspector;
    this.validation = validation;
    this.urlPolicy = urlPolicy;
  }

  public Submission fromJson(byte[] body) {
    JsonSubmission request = StrictJson.read(body, JsonSubmission.class, "the request body");
    validate(request);
    KnobValues params = knobs(request.params());
    WebhookRequest webhook = checkWebhook(request.webhook());
    InspectedImage source = inspector.inspect(SOURCE, base64(SOURCE, request.source()));
    InspectedImage reference = inspector.inspect(REFERENCE, base64(REFERENCE, request.reference()));
    return new Submission(source, reference, params, webhook);
  }

  public Submission fromMultipart(MultipartFormDataInput form) {
    Map<String, Collection<FormValue>> parts = form.getValues();
    for (Map.Entry<String, Collection<FormValue>> part : parts.entrySet()) {
      if (part.getKey() == null) {
        throw new ApiException(
            ErrorCode.INVALID_MULTIPART,
            "A multipart part has no name; give each part a Content-Disposition: form-data;"
                + " name=\"...\" header");
      }
      if (!PARTS.contains(part.getKey())) {
        throw new ApiException(
            ErrorCode.UNKNOWN_FIELD,
            "Unknown multipart field '"
                + part.getKey()
                + "'; allowed: "
                + PARTS.stream().sorted().collect(Collectors.joining(", ")));
      }
      if (part.getValue().size() > 1) {
        throw new ApiException(
            ErrorCode.INVALID_MULTIPART, "Multipart field '" + part.getKey() + "' is repeated");
      }
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> given =
        text(parts, PARAMS) == null
            ? null
            : StrictJson.read(text(parts, PARAMS), Map.class, "the 'params' field");
    WebhookRequest webhook =
        text(parts, WEBHOOK) == null
            ? null
            : StrictJson.read(text(parts, WEBHOOK), WebhookRequest.class, "the 'webhook' field");
    validate(new JsonSubmission(null, null, given, webhook));
    KnobValues params = knobs(given);
    webhook = checkWebhook(webhook);
    InspectedImage source = inspector.inspect(SOURCE, file(parts, SOURCE));
    InspectedImage reference = inspector.inspect(REFERENCE, file(parts, REFERENCE));
    return new Submission(source, reference, params, webhook);
  }

  private void validate(JsonSubmission request) {
    validation.validate(request);
  }

  /** The client's knobs checked against the knob table, the one the workers read them with. */
  static KnobValues knobs(Map<String, Object> given) {
    if (given == null) {
      return KnobValues.defaults();
    }
    try {
      return KnobValues.read(given);
    } catch (InvalidKnobException e) {
      ErrorCode code =
          switch (e.problem()) {
            case UNKNOWN -> ErrorCode.UNKNOWN_FIELD;
            case WRONG_TYPE -> ErrorCode.INVALID_FIELD_TYPE;
            case OUT_OF_BOUNDS -> ErrorCode.INVALID_PARAMETER;
          };
      String message =
          e.problem() == InvalidKnobException.Problem.UNKNOWN
              ? "Unknown field 'params." + e.knob() + "': " + e.getMessage()
              : "params." + e.getMessage();
      throw new ApiException(code, message);
    }
  }

  private WebhookRequest checkWebhook(WebhookRequest webhook) {
    if (webhook == null) {
      return null;
    }
    String url = urlPolicy.check(webhook.url()).toString();
    List<String> events =
        webhook.events() == null ? List.of(WebhookEventType.COMPLETED.code()) : webhook.events();
    for (String event : events) {
      if (WebhookEventType.fromCode(event).isEmpty()) {
        throw new ApiException(
            ErrorCode.INVALID_WEBHOOK,
            "webhook.events has an unknown event type '"
                + event
                + "'; allowed: "
                + WebhookEventType.allCodes());
      }
    }
    return new WebhookRequest(url, events.stream().distinct().sorted().toList());
  }

  private byte[] base64(String field, String value) {
    if (value == null) {
      throw new ApiException(
          ErrorCode.MISSING_FIELD, "Field '" + field + "' is required: the image as base64");
    }
    String data = WHITESPACE.matcher(DATA_URL.matcher(value).replaceFirst("")).replaceAll("");
    if (data.isEmpty()) {
      throw new ImageRejection(ErrorCode.EMPTY_IMAGE, field, "is empty");
    }
    long decodedSize = data.length() / 4L * 3;
    if (decodedSize > inspector.maxBytes() + 3) {
      throw new ImageRejection(
          ErrorCode.IMAGE_TOO_LARGE,
          field,
          "is about " + decodedSize + " bytes; the limit is " + inspector.maxBytes() + " bytes");
    }
    try {
      return Base64.getDecoder().decode(data);
    } catch (IllegalArgumentException e) {
      throw new ApiException(
          ErrorCode.INVALID_BASE64,
          "Field '" + field + "' is not valid base64: send the file's bytes base64-encoded");
    }
  }

  private byte[] text(Map<String, Collection<FormValue>> parts, String name) {
    Collection<FormValue> values = parts.get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    FormValue value = values.iterator().next();
    if (value.isFileItem()) {
      try {
        if (value.getFileItem().getFileSize() > MAX_JSON_PART_BYTES) {
          throw new ApiException(
              ErrorCode.INVALID_MULTIPART,
              "Multipart field '" + name + "' is over " + MAX_JSON_PART_BYTES + " bytes");
        }
        try (InputStream in = value.getFileItem().getInputStream()) {
          return in.readAllBytes();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("reading the uploaded part '" + name + "'", e);
      }
    }
    return value.getValue().getBytes(StandardCharsets.UTF_8);
  }

  private byte[] file(Map<String, Collection<FormValue>> parts, String name) {
    Collection<FormValue> values = parts.get(name);
    if (values == null || values.isEmpty()) {
      throw new ApiException(
          ErrorCode.MISSING_FIELD, "Multipart field '" + name + "' is required: the image file");
    }
    FormValue value = values.iterator().next();
    if (!value.isFileItem()) {
      throw new ApiException(
          ErrorCode.INVALID_MULTIPART,
          "Multipart field '" + name + "' must be a file part (give it a filename)");
    }
    try {
      long size = value.getFileItem().getFileSize();
      if (size > inspector.maxBytes()) {
        throw new ImageRejection(
            ErrorCode.IMAGE_TOO_LARGE,
            name,
            "is " + size + " bytes; the limit is " + inspector.maxBytes() + " bytes");
      }
      try (InputStream in = value.getFileItem().getInputStream()) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading the uploaded part '" + name + "'", e);
    }
  }
}
