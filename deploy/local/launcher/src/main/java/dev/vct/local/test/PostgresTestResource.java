package dev.vct.local.test;

import dev.vct.local.PostgresServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A real PostgreSQL server for Quarkus tests, shared by every test in the JVM. Sets {@code
 * quarkus.datasource.jdbc.url}, {@code quarkus.datasource.username} and {@code
 * quarkus.datasource.password} (the application sets {@code db-kind=postgresql}).
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    return JvmShared.properties(
        "postgres",
        () -> {
          var dataDir = JvmShared.tempDir("postgres");
          PostgresServer server = new PostgresServer(dataDir);
          server.start();
          JvmShared.closeAtExit("postgres", server, dataDir);
          return Map.of(
              "quarkus.datasource.jdbc.url", server.jdbcUrl(),
              "quarkus.datasource.username", server.username(),
              "quarkus.datasource.password", server.password());
        });
  }

  /** The server outlives each test class; it stops when the JVM exits. */
  @Override
  public void stop() {}
}
