package dev.vct.gateway.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;

/** A small HTTP client for the tests: raw bytes in, status, headers and JSON out. */
public final class Http {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Http() {}

  public static String base() {
    int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    return "http://localhost:" + port;
  }

  public record Reply(int status, HttpResponse<byte[]> raw) {
    public JsonNode json() {
      try {
        return JSON.readTree(raw.body());
      } catch (IOException e) {
        throw new AssertionError(
            "not JSON (HTTP " + status + "): " + new String(raw.body(), StandardCharsets.UTF_8), e);
      }
    }

    public String code() {
      return json().path("code").asText(null);
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    public byte[] body() {
      return raw.body();
    }

    public String text() {
      return new String(raw.body(), StandardCharsets.UTF_8);
    }
  }

  public static Reply send(
      String method, String path, String key, Map<String, String> headers, byte[] body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    headers.forEach(request::header);
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    try {
      HttpResponse<byte[]> response =
          CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(response.statusCode(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** POSTs {@code body} as a stream of unknown length: chunked, no Content-Length. */
  public static Reply sendStreaming(String path, String key, String contentType, byte[] body) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base() + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", contentType)
            .POST(
                HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(body)))
            .build();
    try {
      HttpResponse<byte[]> response =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .build()
              .send(request, HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(response.statusCode(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static Reply get(String path, String key) {
    return send("GET", path, key, Map.of(), null);
  }

  public static Reply postJson(String path, String key, Object body) {
    return postJson(path, key, body, Map.of());
  }

  public static Reply postJson(String path, String key, Object body, Map<String, String> headers) {
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.put("Content-Type", "application/json");
    try {
      byte[] bytes =
          body instanceof byte[] raw
              ? raw
              : body instanceof String s
                  ? s.getBytes(StandardCharsets.UTF_8)
                  : JSON.writeValueAsBytes(body);
      return send("POST", path, key, all, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A multipart/form-data body; parts with a filename are files. */
  public static final class Multipart {
    private final String boundary = "vct-" + UUID.randomUUID();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    public Multipart file(String name, String filename, String type, byte[] content) {
      head(name, "; filename=\"" + filename + "\"", type);
      body.writeBytes(content);
      body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      return this;
    }

    public Multipart text(String name, String value) {
      head(name, "", null);
      body.writeBytes(value.getBytes(StandardCharsets.UTF_8));
      body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      return this;
    }

    private void head(String name, String filename, String type) {
      String head =
          "--"
              + boundary
              + "\r\nContent-Disposition: form-data; name=\""
              + name
              + "\""
              + filename
              + "\r\n"
              + (type == null ? "" : "Content-Type: " + type + "\r\n")
              + "\r\n";
      body.writeBytes(head.getBytes(StandardCharsets.UTF_8));
    }

    public Reply post(String path, String key) {
      return post(path, key, Map.of());
    }

    public Reply post(String path, String key, Map<String, String> headers) {
      Map<String, String> all = new LinkedHashMap<>(headers);
      all.put("Content-Type", "multipart/form-data; boundary=" + boundary);
      ByteArrayOutputStream complete = new ByteArrayOutputStream();
      complete.writeBytes(body.toByteArray());
      complete.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
      return send("POST", path, key, all, complete.toByteArray());
    }
  }

  public static Multipart multipart() {
    return new Multipart();
  }

  /** A valid submission with two small PNGs and test-speed knobs. */
  public static Multipart submission(int seed) {
    return multipart()
        .file("source", "source.png", "image/png", TestImages.png(48, 40, seed))
        .file("reference", "reference.png", "image/png", TestImages.png(40, 48, seed + 1))
        .text("params", "{\"concept_steps\": 2, \"resolution\": 64, \"ddim_steps\": 4}");
  }

  public static ObjectMapper mapper() {
    return JSON;
  }
}
