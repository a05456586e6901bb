package dev.vct.gateway.translation;

import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.VctEvent;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Tells the orchestrator about new jobs and cancel requests, keyed by job id. Best effort: the job
 * row is the source of truth (the orchestrator also sweeps queued jobs and cancel flags), so a
 * failed publish is logged, not raised.
 */
@ApplicationScoped
public class JobPublisher {
  private static final Logger LOG = Logger.getLogger(JobPublisher.class);

  private final Emitter<VctEvent> submitted;
  private final Emitter<VctEvent> cancel;

  JobPublisher(
      @Channel("job-submitted") Emitter<VctEvent> submitted,
      @Channel("job-cancel") Emitter<VctEvent> cancel) {
    this.submitted = submitted;
    this.cancel = cancel;
  }

  public void submitted(JobSubmitted event) {
    send(submitted, event);
  }

  public void cancelRequested(CancelRequest event) {
    send(cancel, event);
  }

  private static void send(Emitter<VctEvent> emitter, VctEvent event) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Message<VctEvent> message =
        Message.of(event)
            .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(event.key()).build())
            .withAck(
                () -> {
                  done.complete(null);
                  return CompletableFuture.completedFuture(null);
                })
            .withNack(
                failure -> {
                  done.completeExceptionally(failure);
                  return CompletableFuture.completedFuture(null);
                });
    try {
      emitter.send(message);
    } catch (RuntimeException e) {
      done.completeExceptionally(e);
    }
    done.whenComplete(
        (ok, failure) -> {
          if (failure != null) {
            LOG.warnf(
                failure,
                "Could not publish %s for job %s; the orchestrator's sweep will find it",
                event.getClass().getSimpleName(),
                event.jobId());
          }
        });
  }
}
