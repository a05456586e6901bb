package dev.vct.storage.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a put sends over plain HTTP, seen by an endpoint that records each request and answers as S3
 * would (the contract against a real server is {@link S3BlobStoreTest}): one request whose body is
 * the blob itself, not aws-chunked, with the body's SHA-256 signed as {@code x-amz-content-sha256},
 * the header the server checks the body against.
 */
class S3PutWireFormatTest {

  private record Recorded(
      String method,
      String path,
      String contentEncoding,
      String sha256,
      String authorization,
      byte[] body) {}

  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private HttpServer server;

  @BeforeEach
  void startEndpoint() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::answer);
    server.start();
  }

  @AfterEach
  void stopEndpoint() {
    server.stop(0);
  }

  private void answer(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    requests.add(
        new Recorded(
            exchange.getRequestMethod(),
            exchange.getRequestURI().getPath(),
            exchange.getRequestHeaders().getFirst("Content-Encoding"),
            exchange.getRequestHeaders().getFirst("x-amz-content-sha256"),
            exchange.getRequestHeaders().getFirst("Authorization"),
            body));
    // HeadBucket: the bucket exists; PutObject: stored.
    exchange.getResponseHeaders().add("ETag", "\"0\"");
    exchange.sendResponseHeaders(200, -1);
    exchange.close();
  }

  @Test
  void aPutOverPlainHttpSendsTheBlobWithItsSignedSha256() {
    URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    byte[] content = "a stage's output".getBytes(StandardCharsets.UTF_8);
    try (S3BlobStore store =
        new S3BlobStore(
            new S3BlobStore.Settings(endpoint, "us-east-1", "wire", "key-id", "secret"))) {
      StoredBlob stored =
          store.put("jobs/1/out.txt", new ByteArrayInputStream(content), content.length, null);
      assertEquals(Sha256.hex(content), stored.sha256());
    }

    Recorded put =
        requests.stream().filter(r -> r.method().equals("PUT")).findFirst().orElseThrow();
    assertEquals("/wire/jobs/1/out.txt", put.path());
    assertNull(put.contentEncoding(), "not aws-chunked");
    assertArrayEquals(content, put.body(), "the body is the blob, without chunk framing");
    assertEquals(Sha256.hex(content), put.sha256(), "the payload's hash, not a streaming marker");
    assertTrue(
        put.authorization().contains("x-amz-content-sha256"),
        "the payload hash is among the signed headers: " + put.authorization());
  }
}
