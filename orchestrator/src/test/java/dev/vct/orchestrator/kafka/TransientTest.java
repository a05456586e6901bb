package dev.vct.orchestrator.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.storage.event.kafka.Transient;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TransientTest {

  @AfterEach
  void running() {
    Transient.applicationStopping(false);
  }

  @Test
  void aFailureThatIsNotTheDatabasesIsGivenUpAfterAFewTries() {
    AtomicInteger tries = new AtomicInteger();
    IllegalStateException bug = new IllegalStateException("a bug");
    IllegalStateException thrown =
        assertThrows(
            IllegalStateException.class,
            () ->
                Transient.retry(
                    "handling",
                    () -> {
                      tries.incrementAndGet();
                      throw bug;
                    }));
    assertSame(bug, thrown);
    assertEquals(3, tries.get());
  }

  @Test
  void aFailureWhileTheApplicationStopsNeverReleasesTheRecord() throws Exception {
    Transient.applicationStopping(true);
    AtomicInteger tries = new AtomicInteger();
    AtomicReference<Throwable> ended = new AtomicReference<>();
    Thread handler =
        new Thread(
            () -> {
              try {
                Transient.retry(
                    "handling",
                    () -> {
                      tries.incrementAndGet();
                      throw new IllegalStateException("EntityManagerFactory is closed");
                    });
                ended.set(new AssertionError("the record was acknowledged"));
              } catch (RuntimeException e) {
                ended.set(e);
              }
            },
            "stopping-handler");
    handler.setDaemon(true); // it waits for the end of the process, as in the orchestrator
    handler.start();
    handler.join(1_000);
    handler.interrupt();
    handler.join(200);
    // Neither acknowledged (returned) nor dead-lettered (thrown): it waits for the process to end.
    assertTrue(handler.isAlive(), "the handler ended: " + ended.get());
    assertEquals(1, tries.get(), "tried once, then waited");
  }
}
