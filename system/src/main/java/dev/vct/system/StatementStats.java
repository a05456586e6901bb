package dev.vct.system;

import dev.vct.local.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./vct bench jobs --sql-stats}: PostgreSQL's own account of the statements a step ran (the
 * {@code pg_stat_statements} extension, loaded at the server's start, nested statements of
 * functions and triggers included): reset before the step, then per job the statements' calls and
 * execution time, the most expensive first.
 */
final class StatementStats {

  /** The server settings that load the extension; only a start reads them. */
  static final Map<String, String> SERVER_CONFIG =
      Map.of(
          "shared_preload_libraries", "pg_stat_statements",
          "pg_stat_statements.track", "all",
          "pg_stat_statements.max", "2000");

  private static final int TOP = 25;

  private final PostgresServer postgres;

  StatementStats(PostgresServer postgres) {
    this.postgres = postgres;
    try (Connection c = postgres.superuserConnection(PostgresServer.DATABASE);
        Statement s = c.createStatement()) {
      s.execute("create extension if not exists pg_stat_statements");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create pg_stat_statements: " + e.getMessage(), e);
    }
  }

  /** Forgets what was counted so far. */
  void reset() {
    try (Connection c = postgres.superuserConnection(PostgresServer.DATABASE);
        Statement s = c.createStatement()) {
      s.execute("select pg_stat_statements_reset()");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot reset pg_stat_statements: " + e.getMessage(), e);
    }
  }

  /** The statements counted since the last reset, per job of {@code jobs}. */
  String describe(int jobs) {
    StringBuilder text = new StringBuilder();
    try (Connection c = postgres.superuserConnection(PostgresServer.DATABASE)) {
      try (Statement s = c.createStatement();
          ResultSet total =
              s.executeQuery(
                  "select coalesce(sum(calls), 0), coalesce(sum(total_exec_time), 0)"
                      + " from pg_stat_statements s join pg_database d on d.oid = s.dbid"
                      + " where d.datname = '"
                      + PostgresServer.DATABASE
                      + "' and s.toplevel")) {
        total.next();
        text.append(
            String.format(
                Locale.ROOT,
                "  sql (top level): %.1f statements, %.2f ms execution (lock waits included) per job;"
                    + " the %d most called (nested ones of functions and triggers too):%n",
                total.getDouble(1) / jobs,
                total.getDouble(2) / jobs,
                TOP));
      }
      try (PreparedStatement top =
          c.prepareStatement(
              "select calls, total_exec_time, total_plan_time, rows, toplevel, query"
                  + " from pg_stat_statements s join pg_database d on d.oid = s.dbid"
                  + " where d.datname = ? order by calls desc, total_exec_time desc limit ?")) {
        top.setString(1, PostgresServer.DATABASE);
        top.setInt(2, TOP);
        try (ResultSet rs = top.executeQuery()) {
          text.append(
              String.format(
                  Locale.ROOT, "  %9s %9s %9s  %s%n", "calls/job", "ms/job", "rows/call", "query"));
          while (rs.next()) {
            long calls = rs.getLong(1);
            String query = rs.getString(6).replaceAll("\\s+", " ").strip();
            text.append(
                String.format(
                    Locale.ROOT,
                    "  %9.2f %9.3f %9.1f  %s%s%n",
                    (double) calls / jobs,
                    (rs.getDouble(2) + rs.getDouble(3)) / jobs,
                    calls == 0 ? 0.0 : (double) rs.getLong(4) / calls,
                    rs.getBoolean(5) ? "" : "(nested) ",
                    query.length() > 150 ? query.substring(0, 150) + "..." : query));
          }
        }
      }
    } catch (SQLException e) {
      return "  (cannot read pg_stat_statements: " + e.getMessage() + ")\n";
    }
    return text.toString();
  }
}
