package dev.vct.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * A real PostgreSQL server from Maven Central's zonky binaries (no Docker, works as root), with a
 * database {@value #DATABASE} owned by the login role {@value #USERNAME}. The data directory is
 * kept, so a restart (or the next {@code ./vct up}) finds the same data; a new one starts as a copy
 * of {@link PostgresTemplate}.
 *
 * <p>PostgreSQL daemonizes, so it would outlive this JVM; a small shell watchdog, whose standard
 * input is a pipe from this JVM, stops it (fast shutdown, then SIGKILL) when that pipe closes,
 * which the kernel does when this JVM dies for any reason.
 */
public final class PostgresServer implements ManagedServer {

  public static final String DATABASE = "vct";
  public static final String USERNAME = "vct";
  public static final String PASSWORD = "vct";

  private static final String SUPERUSER = "postgres";
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final String WATCHDOG_SCRIPT =
      "if read -r _; then exit 0; fi\n"
          + "kill -INT \"$1\" 2>/dev/null || exit 0\n"
          + "i=0\n"
          + "while kill -0 \"$1\" 2>/dev/null; do\n"
          + "  i=$((i+1)); if [ \"$i\" -ge 50 ]; then kill -KILL \"$1\"; exit 0; fi\n"
          + "  sleep 0.1\n"
          + "done\n";

  private final Path dataDir;
  private final int port;
  private final boolean fromTemplate;
  private final Map<String, String> serverConfig;
  private EmbeddedPostgres postgres;
  private ProcessHandle postmaster;
  private Process watchdog;

  /** A server on a free port keeping its data under {@code dataDir/postgres}. Not started yet. */
  public PostgresServer(Path dataDir) {
    this(dataDir, 0);
  }

  /** A server on {@code port} (0: a free one, kept across restarts). Not started yet. */
  public PostgresServer(Path dataDir, int port) {
    this(dataDir, port, true, Map.of());
  }

  /**
   * A server on a free port with these server settings on top of the usual ones (for example {@code
   * shared_preload_libraries}, which only a start reads). Not started yet.
   */
  public PostgresServer(Path dataDir, Map<String, String> serverConfig) {
    this(dataDir, 0, true, serverConfig);
  }

  private PostgresServer(
      Path dataDir, int port, boolean fromTemplate, Map<String, String> serverConfig) {
    this.dataDir = dataDir.toAbsolutePath();
    this.port = FreePorts.orFree(port);
    this.fromTemplate = fromTemplate;
    this.serverConfig = Map.copyOf(serverConfig);
  }

  /** A server whose new data directory is made by {@code initdb}: for {@link PostgresTemplate}. */
  static PostgresServer withoutTemplate(Path dataDir) {
    return new PostgresServer(dataDir, 0, false, Map.of());
  }

  @Override
  public String name() {
    return "postgres";
  }

  /** The JDBC URL of the {@value #DATABASE} database. */
  public String jdbcUrl() {
    return jdbcUrl(DATABASE);
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public String username() {
    return USERNAME;
  }

  public String password() {
    return PASSWORD;
  }

  public int port() {
    return port;
  }

  /** Starts (or restarts) the server and makes sure the role and database exist. */
  @Override
  public synchronized void start() {
    if (isRunning()) {
      throw new IllegalStateException("postgres is already running (pid " + postmaster.pid() + ")");
    }
    releasePrevious();
    Path pgData = dataDir.resolve("postgres");
    Path log = dataDir.resolve("postgres.log");
    try {
      Files.createDirectories(dataDir);
      if (fromTemplate && !Files.exists(pgData.resolve("postgresql.conf"))) {
        PostgresTemplate.copyInto(pgData);
      }
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setDataDirectory(pgData)
              .setCleanDataDirectory(false)
              .setPort(port)
              .setRegisterShutdownHook(false)
              .setPGStartupWait(Duration.ofSeconds(60))
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("max_connections", "200")
              // zonky turns this off; a commit must survive a killed server
              .setServerConfig("synchronous_commit", "on")
              .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
      serverConfig.forEach(builder::setServerConfig);
      postgres = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start PostgreSQL on port "
              + port
              + " with data in "
              + pgData
              + " (log "
              + log
              + ")",
          e);
    }
    long pid = readPostmasterPid(pgData);
    postmaster =
        ProcessHandle.of(pid)
            .orElseThrow(
                () -> new IllegalStateException("postgres (pid " + pid + ") died at start"));
    watchdog = startWatchdog(pid);
    createRoleAndDatabase();
  }

  /** Creates {@code name} (owned by {@value #USERNAME}) unless it exists. */
  public void createDatabase(String name) {
    if (!IDENTIFIER.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "database name must be a lower-case SQL identifier ([a-z_][a-z0-9_]*), not '"
              + name
              + "'");
    }
    try (Connection c = superuserConnection();
        PreparedStatement exists =
            c.prepareStatement("select 1 from pg_database where datname = ?")) {
      exists.setString(1, name);
      try (ResultSet rs = exists.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
      try (Statement create = c.createStatement()) {
        create.execute("create database " + name + " owner " + USERNAME);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
    }
  }

  /** SIGKILL of the postmaster (its backends exit on their own), as when the process is lost. */
  public synchronized void kill() {
    if (postmaster != null && postmaster.isAlive()) {
      postmaster.destroyForcibly();
      awaitExit(postmaster, Duration.ofSeconds(10));
    }
  }

  @Override
  public synchronized void stop() {
    standDownWatchdog();
    if (postgres != null) {
      try {
        postgres.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot stop PostgreSQL on port " + port, e);
      } finally {
        postgres = null;
      }
    }
    if (postmaster != null
        && postmaster.isAlive()
        && !awaitExit(postmaster, Duration.ofSeconds(10))) {
      postmaster.destroyForcibly();
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return postmaster != null && postmaster.isAlive();
  }

  public synchronized long pid() {
    if (postmaster == null) {
      throw new IllegalStateException("postgres was never started");
    }
    return postmaster.pid();
  }

  @Override
  public synchronized CompletableFuture<?> onExit() {
    if (postmaster == null) {
      throw new IllegalStateException("postgres was never started");
    }
    return postmaster.onExit();
  }

  @Override
  public String describe() {
    return "postgres  "
        + jdbcUrl()
        + "  (user "
        + USERNAME
        + ", password "
        + PASSWORD
        + "; pid "
        + pid()
        + ", data "
        + dataDir.resolve("postgres")
        + ")";
  }

  @Override
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl());
    env.put("QUARKUS_DATASOURCE_USERNAME", USERNAME);
    env.put("QUARKUS_DATASOURCE_PASSWORD", PASSWORD);
    return env;
  }

  private void createRoleAndDatabase() {
    try (Connection c = superuserConnection();
        Statement s = c.createStatement()) {
      boolean roleExists;
      try (ResultSet rs =
          s.executeQuery("select 1 from pg_roles where rolname = '" + USERNAME + "'")) {
        roleExists = rs.next();
      }
      if (!roleExists) {
        s.execute("create role " + USERNAME + " login password '" + PASSWORD + "'");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create role " + USERNAME + ": " + e.getMessage(), e);
    }
    createDatabase(DATABASE);
  }

  private Connection superuserConnection() throws SQLException {
    return superuserConnection("postgres");
  }

  /** A connection to {@code database} as the superuser: for tools that read server statistics. */
  public Connection superuserConnection(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), SUPERUSER, SUPERUSER);
  }

  /** After the server died on its own: release zonky's lock and the old watchdog. */
  private void releasePrevious() {
    standDownWatchdog();
    if (postgres != null) {
      try {
        postgres.close();
      } catch (IOException | RuntimeException alreadyDead) {
        // pg_ctl stop fails on a dead server; close() still releases zonky's data directory lock
      }
      postgres = null;
    }
  }

  private Process startWatchdog(long postmasterPid) {
    try {
      return new ProcessBuilder(
              "sh", "-c", WATCHDOG_SCRIPT, "vct-postgres-watchdog", Long.toString(postmasterPid))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the PostgreSQL watchdog (sh)", e);
    }
  }

  /** Tells the watchdog to exit without touching the server. */
  private void standDownWatchdog() {
    if (watchdog == null) {
      return;
    }
    try (OutputStream in = watchdog.getOutputStream()) {
      in.write("stand down\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException alreadyGone) {
      // the watchdog exited already: nothing to tell
    }
    awaitExit(watchdog.toHandle(), Duration.ofSeconds(5));
    watchdog = null;
  }

  private static long readPostmasterPid(Path pgData) {
    Path pidFile = pgData.resolve("postmaster.pid");
    try {
      return Long.parseLong(Files.readAllLines(pidFile, StandardCharsets.US_ASCII).get(0).trim());
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read the postmaster's pid from " + pidFile, e);
    }
  }

  private static boolean awaitExit(ProcessHandle process, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (process.isAlive()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return !process.isAlive();
      }
    }
    return true;
  }
}
