package dev.vct.orchestrator.kafka;

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
 * lock conflict): those events must not reach the dead-letter topic, and the partition's offset
 * stays behind the event until it is applied. Any other failure is a bug or a bad event: tried a
 * few times, then rethrown so that the consumer sends the record to the dead-letter topic.
 */
public final class Transient {
  private static final Logger LOG = Logger.getLogger(Transient.class);
  private static final int OTHER_FAILURE_ATTEMPTS = 3;
  private static final Duration FIRST_WAIT = Duration.ofMillis(100);
  private static final Duration LONGEST_WAIT = Duration.ofSeconds(5);

  private Transient() {}

  public static void retry(String what, Runnable handler) {
    long waitMillis = FIRST_WAIT.toMillis();
    int otherFailures = 0;
    while (true) {
      try {
        handler.run();
        return;
      } catch (RuntimeException e) {
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
