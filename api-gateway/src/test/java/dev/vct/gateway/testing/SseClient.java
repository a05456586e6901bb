package dev.vct.gateway.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Reads a Server-Sent Events stream to its end. */
public final class SseClient {
  private SseClient() {}

  public record Event(String id, String name, String data) {}

  /** What came: events, and the number of comment lines (keep-alives). */
  public record Stream(int status, String contentType, List<Event> events, int comments) {}

  /** Opens the stream now; the future completes when the server ends it. */
  public static CompletableFuture<Stream> open(String path, String key, String lastEventId) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(Http.base() + path))
            .header("Authorization", "Bearer " + key)
            .header("Accept", "text/event-stream");
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    return HttpClient.newHttpClient()
        .sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines())
        .thenApplyAsync(
            response ->
                parse(
                    response.statusCode(),
                    response.headers().firstValue("Content-Type").orElse(""),
                    response.body()));
  }

  public static Stream read(String path, String key, String lastEventId) {
    try {
      return open(path, key, lastEventId).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the event stream did not end in 30 s", e);
    }
  }

  private static Stream parse(
      int status, String contentType, java.util.stream.Stream<String> lines) {
    List<Event> events = new ArrayList<>();
    int comments = 0;
    String id = null;
    String name = null;
    StringBuilder data = new StringBuilder();
    Iterator<String> it = lines.iterator();
    while (it.hasNext()) {
      String line = it.next();
      if (line.isEmpty()) {
        if (data.length() > 0) {
          events.add(new Event(id, name, data.toString()));
        }
        id = null;
        name = null;
        data.setLength(0);
      } else if (line.startsWith(":")) {
        comments++;
      } else if (line.startsWith("id:")) {
        id = line.substring(3).trim();
      } else if (line.startsWith("event:")) {
        name = line.substring(6).trim();
      } else if (line.startsWith("data:")) {
        data.append(line.substring(5).trim());
      }
    }
    if (data.length() > 0) {
      events.add(new Event(id, name, data.toString()));
    }
    return new Stream(status, contentType, events, comments);
  }
}
