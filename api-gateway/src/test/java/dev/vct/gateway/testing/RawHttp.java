package dev.vct.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Sends bytes the HTTP clients would refuse to write (bad framing, odd request lines) over a plain
 * socket and reads the one response back.
 */
public final class RawHttp {
  private RawHttp() {}

  /** The response: status (0 when the server closed without one), headers, body. */
  public record Response(int status, Map<String, String> headers, String body, String raw) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  public static Response exchange(String request) {
    return exchange(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  public static Response exchange(byte[] request) {
    int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Response read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while (matched < 4 && (b = readByte(in)) != -1) {
      head.write(b);
      matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : 0;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    if (text.isEmpty()) {
      return new Response(0, Map.of(), "", "");
    }
    String[] lines = text.split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    String body = "";
    String length = headers.get("content-length");
    if (length != null) {
      body = new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = readChunked(in);
    }
    return new Response(status, headers, body, text + body);
  }

  private static String readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = line(in);
      int n = Integer.parseInt(size.split(";")[0].trim(), 16);
      if (n == 0) {
        line(in);
        return body.toString(StandardCharsets.UTF_8);
      }
      body.write(in.readNBytes(n));
      line(in);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  private static int readByte(InputStream in) throws IOException {
    try {
      return in.read();
    } catch (SocketTimeoutException e) {
      return -1;
    } catch (IOException e) {
      return -1; // reset by the server: no response
    }
  }
}
