package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupervisorTest {

  @TempDir Path dataDir;

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  @Test
  void restartsAServerThatDiesOnItsOwnOnTheSamePort() throws Exception {
    S3Server s3 = new S3Server(dataDir);
    try (Supervisor supervisor =
        new Supervisor(new PrintStream(log, true, StandardCharsets.UTF_8))) {
      supervisor.startAll(List.of(s3));
      long firstPid = s3.pid();

      s3.kill();

      long deadline = System.nanoTime() + 120_000_000_000L;
      while (!log.toString(StandardCharsets.UTF_8).contains("s3 restarted")
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(s3.isRunning(), "not restarted; supervisor said:\n" + log);
      assertNotEquals(firstPid, s3.pid());
      HttpResponse<Void> answer =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(s3.endpoint() + "/")).build(),
                  HttpResponse.BodyHandlers.discarding());
      assertEquals(403, answer.statusCode(), "an unsigned request is refused, so it serves");
      assertTrue(log.toString(StandardCharsets.UTF_8).contains("s3 exited unexpectedly"));
    }
    assertFalse(s3.isRunning(), "close() stops what it supervises");
  }

  @Test
  void stopsTheStartedServersWhenAnotherFailsToStart() {
    S3Server s3 = new S3Server(dataDir);
    IllegalStateException broken = new IllegalStateException("cannot bind");
    try (Supervisor supervisor =
        new Supervisor(new PrintStream(log, true, StandardCharsets.UTF_8))) {
      IllegalStateException thrown =
          assertThrows(
              IllegalStateException.class,
              () -> supervisor.startAll(List.of(s3, new FailingServer(broken))));
      assertSame(broken, thrown);
      assertFalse(s3.isRunning());
      assertEquals(List.of(), supervisor.servers());
    }
  }

  /** A server whose start always fails, as one whose port is taken. */
  private record FailingServer(RuntimeException failure) implements ManagedServer {
    @Override
    public String name() {
      return "failing";
    }

    @Override
    public void start() {
      throw failure;
    }

    @Override
    public void stop() {}

    @Override
    public boolean isRunning() {
      return false;
    }

    @Override
    public CompletableFuture<?> onExit() {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public String describe() {
      return "failing";
    }

    @Override
    public Map<String, String> environment() {
      return Map.of();
    }
  }
}
