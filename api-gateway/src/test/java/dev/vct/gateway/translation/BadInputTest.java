package dev.vct.gateway.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.gateway.testing.TestStack;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad request gets its documented status and error code (docs/api-errors.md), never a
 * 500, and the server stays healthy afterwards.
 */
@QuarkusTest
class BadInputTest {
  private static final String PATH = "/v1/translations";
  private static Tenants.Created tenant;

  private static String key() {
    if (tenant == null) {
      tenant = Tenants.create("bad-input", 100, 10_000);
    }
    return tenant.key();
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static Map<String, Object> body(Object source, Object reference, Object params) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("source", source);
    body.put("reference", reference);
    if (params != null) {
      body.put("params", params);
    }
    return body;
  }

  private static Map<String, Object> withParams(Map<String, Object> params) {
    return body(b64(TestImages.png(32, 32, 1)), b64(TestImages.png(32, 32, 2)), params);
  }

  private static Http.Reply json(Object body) {
    return Http.postJson(PATH, key(), body);
  }

  private static Http.Reply files(byte[] source, String sourceName, byte[] reference) {
    return Http.multipart()
        .file("source", sourceName, "image/png", source)
        .file("reference", "reference.png", "image/png", reference)
        .post(PATH, key());
  }

  /** A JSON upload without Content-Length (chunked), so the limit applies while reading. */
  private static Http.Reply chunked(int bytes) {
    byte[] body = new byte[bytes];
    java.util.Arrays.fill(body, (byte) 'A');
    body[0] = '"';
    return Http.sendStreaming(PATH, key(), "application/json", body);
  }

  private static final byte[] PNG = TestImages.png(32, 32, 3);

  private static Arguments bad(
      String name, Function<Void, Http.Reply> request, int status, String code) {
    return Arguments.of(name, request, status, code);
  }

  static Stream<Arguments> cases() {
    byte[] giant =
        new byte[(1 << 20) + 1024]; // over the 1 MiB image limit, under the 4 MiB body limit
    System.arraycopy(PNG, 0, giant, 0, PNG.length);
    return Stream.of(
        bad("empty JSON body", v -> json(new byte[0]), 400, "empty_body"),
        bad("JSON array instead of object", v -> json("[]"), 400, "invalid_field_type"),
        bad("malformed JSON", v -> json("{\"source\": "), 400, "invalid_json"),
        bad(
            "duplicate JSON keys",
            v -> json("{\"source\": \"a\", \"source\": \"b\"}"),
            400,
            "invalid_json"),
        bad("source is a number", v -> json(body(42, b64(PNG), null)), 400, "invalid_field_type"),
        bad(
            "knob as a string",
            v -> json(withParams(Map.of("concept_steps", "ten"))),
            400,
            "invalid_field_type"),
        bad(
            "integer knob given 7.5",
            v -> json(withParams(Map.of("concept_steps", 7.5))),
            400,
            "invalid_field_type"),
        bad(
            "seed as a quoted number",
            v -> json(withParams(Map.of("seed", "5"))),
            400,
            "invalid_field_type"),
        bad(
            "integer overflow",
            v -> json("{\"params\": {\"concept_steps\": 99999999999999999999}}"),
            400,
            "invalid_parameter"),
        bad(
            "unknown top-level field",
            v -> json(Map.of("source", b64(PNG), "reference", b64(PNG), "prompt", "x")),
            400,
            "unknown_field"),
        bad(
            "unknown parameter",
            v -> json(withParams(Map.of("num_steps", 3))),
            400,
            "unknown_field"),
        bad(
            "concept_steps 0",
            v -> json(withParams(Map.of("concept_steps", 0))),
            400,
            "invalid_parameter"),
        bad(
            "guidance_scale 100",
            v -> json(withParams(Map.of("guidance_scale", 100))),
            400,
            "invalid_parameter"),
        bad(
            "injection ratio above 1",
            v -> json(withParams(Map.of("self_injection_ratio", 1.5))),
            400,
            "invalid_parameter"),
        bad(
            "resolution not a multiple of 8",
            v -> json(withParams(Map.of("resolution", 100))),
            400,
            "invalid_parameter"),
        bad("negative seed", v -> json(withParams(Map.of("seed", -1))), 400, "invalid_parameter"),
        bad("priority 11", v -> json(withParams(Map.of("priority", 11))), 400, "invalid_parameter"),
        bad(
            "priority not an integer",
            v -> json(withParams(Map.of("priority", "high"))),
            400,
            "invalid_field_type"),
        bad(
            "initializer word with spaces",
            v -> json(withParams(Map.of("initializer_word", "two words"))),
            400,
            "invalid_parameter"),
        bad("missing reference", v -> json(Map.of("source", b64(PNG))), 400, "missing_field"),
        bad(
            "invalid base64",
            v -> json(body("!!not base64!!", b64(PNG), null)),
            400,
            "invalid_base64"),
        bad("empty base64 image", v -> json(body("", b64(PNG), null)), 400, "empty_image"),
        bad(
            "giant base64 image",
            v -> json(body(b64(giant), b64(PNG), null)),
            413,
            "image_too_large"),
        bad(
            "body over the request limit",
            v -> json(body(b64(new byte[3 << 20]), b64(PNG), null)),
            413,
            "request_too_large"),
        bad("chunked body over the request limit", v -> chunked(5 << 20), 413, "request_too_large"),
        bad(
            "truncated PNG",
            v -> files(TestImages.cut(TestImages.png(64, 64, 4), 300), "cut.png", PNG),
            400,
            "truncated_image"),
        bad(
            "PNG with a broken CRC",
            v -> files(TestImages.flip(TestImages.png(64, 64, 5), 40), "crc.png", PNG),
            400,
            "corrupt_image"),
        bad(
            "JPEG with a fake header",
            v -> files(TestImages.fakeJpeg(), "fake.jpg", PNG),
            400,
            "corrupt_image"),
        bad(
            "20000x20000 PNG bomb",
            v -> files(TestImages.pngBomb(20000), "bomb.png", PNG),
            422,
            "image_dimensions_too_large"),
        bad(
            "huge dimensions in the header only",
            v -> files(TestImages.pngHeaderOnly(100000, 100000), "huge.png", PNG),
            422,
            "image_dimensions_too_large"),
        bad(
            "text with a .png name",
            v -> files("just some text".getBytes(StandardCharsets.UTF_8), "photo.png", PNG),
            400,
            "unsupported_image_format"),
        bad(
            "GIF",
            v ->
                files(
                    "GIF89a\u0001\u0000\u0001\u0000".getBytes(StandardCharsets.ISO_8859_1),
                    "a.gif",
                    PNG),
            400,
            "unsupported_image_format"),
        bad("empty file", v -> files(new byte[0], "empty.png", PNG), 400, "empty_image"),
        bad(
            "multipart unknown field",
            v -> Http.submission(6).text("mask", "x").post(PATH, key()),
            400,
            "unknown_field"),
        bad(
            "multipart source as a text field",
            v ->
                Http.multipart()
                    .text("source", "abc")
                    .file("reference", "r.png", "image/png", PNG)
                    .post(PATH, key()),
            400,
            "invalid_multipart"),
        bad(
            "multipart repeated source",
            v -> Http.submission(7).file("source", "again.png", "image/png", PNG).post(PATH, key()),
            400,
            "invalid_multipart"),
        bad(
            "multipart params not JSON",
            v ->
                Http.multipart()
                    .file("source", "s.png", "image/png", PNG)
                    .file("reference", "r.png", "image/png", PNG)
                    .text("params", "steps=3")
                    .post(PATH, key()),
            400,
            "invalid_json"),
        bad(
            "multipart missing reference",
            v -> Http.multipart().file("source", "s.png", "image/png", PNG).post(PATH, key()),
            400,
            "missing_field"),
        bad(
            "text/plain body",
            v ->
                Http.send(
                    "POST",
                    PATH,
                    key(),
                    Map.of("Content-Type", "text/plain"),
                    "hello".getBytes(StandardCharsets.UTF_8)),
            415,
            "unsupported_media_type"),
        bad(
            "PUT on the collection",
            v ->
                Http.send(
                    "PUT",
                    PATH,
                    key(),
                    Map.of("Content-Type", "application/json"),
                    "{}".getBytes(StandardCharsets.UTF_8)),
            405,
            "method_not_allowed"),
        bad("unknown endpoint", v -> Http.get("/v1/nothing-here", key()), 404, "not_found"),
        bad("unknown top-level path", v -> Http.get("/no/such/page", null), 404, "not_found"),
        bad(
            "malformed job id",
            v -> Http.get(PATH + "/not-a-uuid", key()),
            404,
            "translation_not_found"),
        bad(
            "unknown job id",
            v -> Http.get(PATH + "/00000000-0000-0000-0000-000000000000", key()),
            404,
            "translation_not_found"),
        bad(
            "Accept text/html",
            v -> Http.send("GET", PATH, key(), Map.of("Accept", "text/html"), null),
            406,
            "not_acceptable"),
        bad("page size 0", v -> Http.get(PATH + "?limit=0", key()), 400, "invalid_query_parameter"),
        bad(
            "page size not a number",
            v -> Http.get(PATH + "?limit=lots", key()),
            400,
            "invalid_query_parameter"),
        bad(
            "unknown status filter",
            v -> Http.get(PATH + "?status=done", key()),
            400,
            "invalid_query_parameter"),
        bad(
            "forged cursor",
            v -> Http.get(PATH + "?cursor=bm90LWEtY3Vyc29y", key()),
            400,
            "invalid_cursor"),
        bad(
            "Idempotency-Key too long",
            v -> Http.submission(8).post(PATH, key(), Map.of("Idempotency-Key", "k".repeat(300))),
            400,
            "invalid_idempotency_key"),
        bad(
            "tenant name with spaces",
            v -> Http.postJson("/v1/admin/tenants", TestStack.ADMIN_KEY, Map.of("name", "a b")),
            400,
            "invalid_parameter"),
        bad(
            "tenant limit of 0",
            v ->
                Http.postJson(
                    "/v1/admin/tenants",
                    TestStack.ADMIN_KEY,
                    Map.of("name", "zero", "max_concurrent_jobs", 0)),
            400,
            "invalid_parameter"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isRefusedWithItsDocumentedStatusAndCode(
      String name, Function<Void, Http.Reply> request, int status, String code) {
    Http.Reply reply = request.apply(null);
    assertEquals(status, reply.status(), name + ": " + reply.text());
    assertEquals(code, reply.code(), name + ": " + reply.text());
    String message = reply.json().path("message").asText("");
    assertFalse(message.isBlank(), name + " has a message");
    assertFalse(
        message.contains("java.") || message.contains("dev.vct"),
        name + " leaks a class name: " + message);
  }

  @AfterAll
  static void serverIsStillHealthy() {
    Http.Reply health = Http.get("/q/health/ready", null);
    assertEquals(200, health.status(), health.text());
    assertEquals("UP", health.json().get("status").asText());
    String metrics = Http.get("/q/metrics", null).text();
    assertTrue(
        metrics.contains("vct_gateway_rejections_total{code=\"image_dimensions_too_large\"}"),
        "rejections are counted by code");
    Http.Reply works = Http.submission(9).post(PATH, key());
    assertEquals(202, works.status(), works.text());
    assertNotNull(works.json().get("id"));
  }
}
