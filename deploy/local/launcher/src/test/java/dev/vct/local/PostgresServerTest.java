package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresServerTest {

  @TempDir Path dataDir;

  @Test
  void answersSelectOneAsTheAppRoleInTheAppDatabase() throws SQLException {
    try (PostgresServer server = new PostgresServer(dataDir)) {
      server.start();
      try (Connection c =
              DriverManager.getConnection(server.jdbcUrl(), server.username(), server.password());
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("select 1, current_database(), current_user")) {
        assertTrue(rs.next());
        assertEquals(1, rs.getInt(1));
        assertEquals("vct", rs.getString(2));
        assertEquals("vct", rs.getString(3));
      }
    }
  }

  @Test
  void keepsDataAcrossAStopAndAKill() throws SQLException {
    try (PostgresServer server = new PostgresServer(dataDir)) {
      server.start();
      int port = server.port();
      execute(server, "create table kept (v text)", "insert into kept values ('before stop')");

      server.stop();
      assertFalse(server.isRunning());
      server.start();
      execute(server, "insert into kept values ('before kill')");

      server.kill();
      assertFalse(server.isRunning());
      server.start();

      assertEquals(port, server.port());
      try (Connection c =
              DriverManager.getConnection(server.jdbcUrl(), server.username(), server.password());
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("select string_agg(v, ',' order by v) from kept")) {
        assertTrue(rs.next());
        assertEquals("before kill,before stop", rs.getString(1));
      }
    }
  }

  @Test
  void newDataDirectoriesAreIndependentCopiesOfAFreshCluster() throws SQLException {
    try (PostgresServer first = new PostgresServer(dataDir.resolve("first"));
        PostgresServer second = new PostgresServer(dataDir.resolve("second"))) {
      first.start();
      execute(first, "create table only_in_first (v int)");
      second.start();
      try (Connection c =
              DriverManager.getConnection(second.jdbcUrl(), second.username(), second.password());
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("select count(*) from pg_tables where tablename = 'only_in_first'")) {
        assertTrue(rs.next());
        assertEquals(0, rs.getInt(1));
      }
    }
  }

  private static void execute(PostgresServer server, String... sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(server.jdbcUrl(), server.username(), server.password());
        Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    }
  }
}
