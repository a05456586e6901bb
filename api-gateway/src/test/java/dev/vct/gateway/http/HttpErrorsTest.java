package dev.vct.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.RawHttp;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.gateway.testing.TestStack;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Client mistakes at the HTTP level (null bodies, cut multipart bodies, odd headers and methods,
 * over-long URIs, broken framing) get their documented answer (docs/api-errors.md), never a 500.
 */
@QuarkusTest
class HttpErrorsTest {
  private static Tenants.Created tenant;

  private static String key() {
    if (tenant == null) {
      tenant = Tenants.create("http-errors", 100, 10_000);
    }
    return tenant.key();
  }

  private static void assertRefused(Http.Reply reply, int status, String code) {
    assertEquals(status, reply.status(), reply.text());
    assertEquals(code, reply.code(), reply.text());
    String message = reply.json().path("message").asText("");
    assertFalse(message.isBlank(), "has a message: " + reply.text());
    assertFalse(message.contains("java.") || message.contains("dev.vct"), message);
  }

  private static void assertRefused(RawHttp.Response reply, int status, String code)
      throws IOException {
    assertEquals(status, reply.status(), reply.raw());
    assertTrue(reply.header("content-type").startsWith("application/json"), reply.raw());
    JsonNode body = Http.mapper().readTree(reply.body());
    assertEquals(code, body.path("code").asText(), reply.raw());
    assertFalse(body.path("message").asText("").isBlank(), reply.raw());
  }

  @ParameterizedTest
  @ValueSource(strings = {"/v1/translations", "/v1/admin/tenants", "KEYS"})
  void aNullJsonBodyIsRefused(String path) {
    String target = path.equals("KEYS") ? "/v1/admin/tenants/" + tenantId() + "/keys" : path;
    String caller = path.equals("/v1/translations") ? key() : TestStack.ADMIN_KEY;
    for (String body : new String[] {"null", " null\n"}) {
      Http.Reply reply = Http.postJson(target, caller, body);
      assertRefused(reply, 400, "invalid_field_type");
      assertTrue(reply.json().get("message").asText().contains("not null"), reply.text());
    }
  }

  private static UUID tenantId() {
    key();
    return tenant.id();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "+300000-01-01T00:00:00Z|00000000-0000-0000-0000-000000000001",
        "-4714-11-24T00:00:00Z|00000000-0000-0000-0000-000000000001",
        "+10000-01-01T00:00:00Z|00000000-0000-0000-0000-000000000001"
      })
  void aCursorWithAnOutOfRangeTimeIsRefused(String plain) {
    String cursor =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    assertRefused(Http.get("/v1/translations?cursor=" + cursor, key()), 400, "invalid_cursor");
  }

  @Test
  void aMultipartBodyCutBeforeItsClosingBoundaryIsRefused() {
    String boundary = "cut-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"source\"; filename=\"s.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    byte[] png = TestImages.png(32, 32, 5);
    body.writeBytes(Arrays.copyOf(png, png.length / 2));
    Http.Reply reply =
        Http.send(
            "POST",
            "/v1/translations",
            key(),
            Map.of("Content-Type", "multipart/form-data; boundary=" + boundary),
            body.toByteArray());
    assertRefused(reply, 400, "invalid_multipart");
  }

  @Test
  void anEmptyIdempotencyKeyIsRefused() throws IOException {
    byte[] json = "{}".getBytes(StandardCharsets.US_ASCII);
    RawHttp.Response reply =
        RawHttp.exchange(
            "POST /v1/translations HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + key()
                + "\r\nContent-Type: application/json\r\nIdempotency-Key:\r\nContent-Length: "
                + json.length
                + "\r\nConnection: close\r\n\r\n{}");
    assertRefused(reply, 400, "invalid_idempotency_key");
    RawHttp.Response blank =
        RawHttp.exchange(
            "POST /v1/translations HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + key()
                + "\r\nContent-Type: application/json\r\nIdempotency-Key:    \r\nContent-Length: "
                + json.length
                + "\r\nConnection: close\r\n\r\n{}");
    assertRefused(blank, 400, "invalid_idempotency_key");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/v1/translations|GET,HEAD,OPTIONS,POST",
        "/v1/translations/ID|GET,HEAD,OPTIONS",
        "/v1/translations/ID/events|GET,HEAD,OPTIONS",
        "/v1/translations/ID/cancel|OPTIONS,POST",
        "/v1/translations/ID/result|GET,HEAD,OPTIONS",
        "/v1/translations/ID/inputs/source|GET,HEAD,OPTIONS",
        "/v1/tenant|GET,HEAD,OPTIONS",
        "/v1/admin/tenants|GET,HEAD,OPTIONS,POST",
        "/v1/admin/tenants/ID/keys|OPTIONS,POST",
        "/v1/admin/tenants/ID/keys/ID|DELETE,OPTIONS"
      })
  void optionsAndMethodNotAllowedListTheRealMethodsOfEachPath(String template, String allowed) {
    String path = template.replace("ID", UUID.randomUUID().toString());
    Set<String> expected = new TreeSet<>(Arrays.asList(allowed.split(",")));
    if (expected.contains("HEAD")) {
      Http.Reply head = Http.send("HEAD", path, key(), Map.of(), null);
      assertTrue(
          head.status() != 405 && head.status() < 500, "HEAD " + path + ": " + head.status());
    }
    Http.Reply options = Http.send("OPTIONS", path, key(), Map.of(), null);
    assertTrue(options.status() == 200 || options.status() == 204, options.text());
    assertEquals(expected, methods(options.header("Allow")), path);

    for (String method : new String[] {"TRACE", "PATCH", "PUT", "DELETE", "POST"}) {
      if (expected.contains(method)) {
        continue;
      }
      Http.Reply refused = Http.send(method, path, key(), Map.of(), null);
      assertRefused(refused, 405, "method_not_allowed");
      assertEquals(expected, methods(refused.header("Allow")), method + " " + path);
      String message = refused.json().get("message").asText();
      assertTrue(message.contains("allowed: " + String.join(", ", expected)), message);
    }
  }

  private static Set<String> methods(String allow) {
    if (allow == null) {
      return Set.of();
    }
    return Arrays.stream(allow.split(","))
        .map(String::trim)
        .filter(m -> !m.isEmpty())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void aRequestUriOverTheLimitGetsAJson414() throws IOException {
    String path = "/v1/translations?status=" + "q".repeat(9000);
    RawHttp.Response reply =
        RawHttp.exchange(
            "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertRefused(reply, 414, "uri_too_long");
    Http.Reply viaClient = Http.get(path, key());
    assertRefused(viaClient, 414, "uri_too_long");
  }

  /**
   * What the HTTP layer (Vert.x on Netty) answers before the application sees the request: no JSON
   * can be given there, so docs/api-errors.md lists these and this test keeps that list true.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "garbage request line|GARBAGE<CRLF><CRLF>|400",
        "conflicting Content-Length|POST /v1/translations HTTP/1.1<CRLF>Host: x<CRLF>Content-Length: 1<CRLF>Content-Length: 2<CRLF><CRLF>ab|400",
        "negative Content-Length|POST /v1/translations HTTP/1.1<CRLF>Host: x<CRLF>Content-Length: -1<CRLF><CRLF>|400",
        "non-numeric Content-Length|POST /v1/translations HTTP/1.1<CRLF>Host: x<CRLF>Content-Length: 12abc<CRLF><CRLF>|400",
        "Content-Length and Transfer-Encoding|POST /v1/translations HTTP/1.1<CRLF>Host: x<CRLF>Content-Length: 2<CRLF>Transfer-Encoding: chunked<CRLF><CRLF>0<CRLF><CRLF>|400",
        "headers over 20 KiB|GET /v1/tenant HTTP/1.1<CRLF>Host: x<CRLF>X-Big: <BIG><CRLF><CRLF>|431",
        "request line over 16 KiB|GET /v1/tenant?q=<BIG> HTTP/1.1<CRLF>Host: x<CRLF><CRLF>|414",
        "bad chunk size|POST /v1/translations HTTP/1.1<CRLF>Host: x<CRLF>Content-Type: application/json<CRLF>Transfer-Encoding: chunked<CRLF><CRLF>zz<CRLF>ab<CRLF>0<CRLF><CRLF>|0"
      })
  void framingErrorsAreAnsweredByTheHttpLayerAsDocumented(String name, String request, int status) {
    RawHttp.Response reply =
        RawHttp.exchange(request.replace("<CRLF>", "\r\n").replace("<BIG>", "b".repeat(30_000)));
    assertEquals(status, reply.status(), name + ": " + reply.raw());
    assertEquals("", reply.body(), name + ": " + reply.raw());
  }

  @AfterAll
  static void serverIsStillHealthy() {
    Http.Reply health = Http.get("/q/health/ready", null);
    assertEquals(200, health.status(), health.text());
    Http.Reply works = Http.submission(19).post("/v1/translations", key());
    assertEquals(202, works.status(), works.text());
  }
}
