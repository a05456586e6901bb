package dev.vct.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks TCP ports that are free on the loopback interface right now. */
public final class FreePorts {

  private FreePorts() {}

  /** A port nobody listens on now (another process may still take it before it is used). */
  public static int pick() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free TCP port on the loopback interface", e);
    }
  }

  /** {@code port} itself, or a free port when it is 0. */
  static int orFree(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 (any free port) to 65535, not " + port);
    }
    return port == 0 ? pick() : port;
  }
}
