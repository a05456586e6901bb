package dev.vct.local;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A server that the local stack starts, watches and stops. {@link #start()} returns once the server
 * answers; a stopped or dead server can be started again with the same address and data.
 */
public interface ManagedServer extends AutoCloseable {

  /** Short name for messages, e.g. {@code kafka}. */
  String name();

  /** Starts the server and waits until it answers. */
  void start();

  /** Stops the server cleanly (no-op when it is not running). */
  void stop();

  boolean isRunning();

  /** Completes when the current run of the server ends, however it ends. */
  CompletableFuture<?> onExit();

  /** One line for people: where it listens, its pid, its log. */
  String describe();

  /** Environment variables that point the VCT services at this server. */
  Map<String, String> environment();

  @Override
  default void close() {
    stop();
  }
}
