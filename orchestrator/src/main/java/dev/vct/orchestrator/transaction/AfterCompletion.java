package dev.vct.orchestrator.transaction;

import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.function.IntConsumer;

/** Runs code once the current transaction has completed (committed or rolled back). */
public final class AfterCompletion {
  private AfterCompletion() {}

  /**
   * Calls {@code action} with the transaction's {@link jakarta.transaction.Status} after it
   * completes (an interposed synchronization: after the resources' own).
   */
  public static void register(TransactionSynchronizationRegistry transactions, IntConsumer action) {
    transactions.registerInterposedSynchronization(
        new Synchronization() {
          @Override
          public void beforeCompletion() {}

          @Override
          public void afterCompletion(int status) {
            action.accept(status);
          }
        });
  }
}
