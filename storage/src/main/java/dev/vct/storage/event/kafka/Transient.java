package dev.vct.storage.event.kafka;

import jakarta.persistence.LockTimeoutException;
import jakarta.persistence.OptimisticLockException;
import jakarta.persistence.PessimisticLockException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import org.hibernate.exception.JDBCConnectionException;
import org.jboss.logging.Logger;

/**
 * Runs an event handler until it succeeds while the failure is the database's (down, restarting, a
 * lock conflict), and the partition's offset stays behind the event until it is applied. Any other
 * failure is a bug: tried a few times, then rethrown, which nacks the record; the channel's {@code
 * fail} strategy then stops the channel without committing past the record (never the dead-letter
 * topic, which only takes records that are not valid events). Shared by the orchestrator's event
 * consumers and the gateway's webhook recorder.
 *
 * <p>Except while the application stops: then the database connections close under the handlers
 * still running (Hibernate reports "EntityManagerFactory is closed", which is no database error),
 * and giving such an event up would nack it and stop the channel for nothing. A handler that fails
 * while the application stops therefore waits for the process to end with its record
 * unacknowledged, so the offset stays behind it and the next start applies it. (The chaos suite
 * found this: a worker's {@code stage.succeeded} dead-lettered during a SIGTERM left its stage
 * dispatched forever.)
 */
public final class Transient {
  private static final Logger LOG = Logger.getLogger(Transient.class);
  private static final int OTHER_FAILURE_ATTEMPTS = 3;
  private static final Duration FIRST_WAIT = Duration.ofMillis(100);
  private static final Duration LONGEST_WAIT = Duration.ofSeconds(5);

  private static volatile boolean stopping;

  private Transient() {}

  /** Whether the application is stopping: set when it begins to, cleared when it starts. */
  public static void applicationStopping(boolean value) {
    stopping = value;
  }

  public static void retry(String what, Runnable handler) {
    long waitMillis = FIRST_WAIT.toMillis();
    int otherFailures = 0;
    while (true) {
      try {
        handler.run();
        return;
      } catch (RuntimeException e) {
        if (stopping) {
          LOG.infof(
              "%s failed while the application stops (%s); it stays unacknowledged for the next"
                  + " start",
              what, rootMessage(e));
          awaitExit();
        }
        if (!isTransient(e) && ++otherFailures >= OTHER_FAILURE_ATTEMPTS) {
          throw e;
        }
        LOG.warnf("%s failed, retrying in %d ms: %s", what, waitMillis, rootMessage(e));
        try {
          Thread.sleep(waitMillis);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
        waitMillis = Math.min(waitMillis * 2, LONGEST_WAIT.toMillis());
      }
    }
  }

  /** Blocks until the process ends: neither acknowledging the record nor dead-lettering it. */
  private static void awaitExit() {
    while (true) {
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException ignored) {
        // Stopping: an interrupt must not end the handler either way; the exit ends it.
      }
    }
  }

  static boolean isTransient(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof JDBCConnectionException
          || t instanceof SQLTransientException
          || t instanceof SQLRecoverableException
          || t instanceof PessimisticLockException
          || t instanceof LockTimeoutException
          || t instanceof OptimisticLockException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        // 08: connection exceptions; 40: serialization failure, deadlock; 57P: server shutdown.
        if (state.startsWith("08") || state.startsWith("40") || state.startsWith("57P")) {
          return true;
        }
      }
      // Agroal reports an exhausted or closed pool without an SQL state.
      if (t.getClass().getName().startsWith("io.agroal")) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
