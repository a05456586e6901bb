package dev.vct.gateway.webhook;

import dev.vct.gateway.config.GatewayConfig;
import dev.vct.storage.persistence.Clock;
import dev.vct.storage.webhook.DeliveryStatus;
import dev.vct.storage.webhook.WebhookDelivery;
import dev.vct.storage.webhook.WebhookSecret;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;

/**
 * Posts pending webhook deliveries. Each round claims the due ones with {@code FOR UPDATE SKIP
 * LOCKED} and pushes their next attempt out by a lease, so replicas never send the same attempt and
 * a crash mid-send only delays it. A 2xx answer delivers; anything else is retried with exponential
 * backoff, under the same {@code webhook-id}, until the attempts run out.
 */
@ApplicationScoped
public class WebhookDispatcher {
  private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);
  private static final int BATCH = 20;
  private static final int MAX_ERROR_LENGTH = 500;

  private final EntityManager em;
  private final GatewayConfig.Webhooks config;
  private final WebhookUrlPolicy urlPolicy;
  private final HttpClient http;

  WebhookDispatcher(EntityManager em, GatewayConfig config, WebhookUrlPolicy urlPolicy) {
    this.em = em;
    this.config = config.webhooks();
    this.urlPolicy = urlPolicy;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(this.config.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  @Scheduled(
      every = "${vct.gateway.webhooks.poll-interval:1s}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void deliverDue() {
    List<UUID> claimed = QuarkusTransaction.requiringNew().call(this::claimDue);
    List<CompletableFuture<Void>> sends =
        claimed.stream().map(id -> CompletableFuture.runAsync(() -> attempt(id))).toList();
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
  }

  private List<UUID> claimDue() {
    Duration lease = config.timeout().plusSeconds(30);
    @SuppressWarnings("unchecked")
    List<UUID> ids =
        em.createNativeQuery(
                "update webhook_deliveries set next_attempt_at = now() + cast(?1 as interval)"
                    + " where id in (select id from webhook_deliveries"
                    + " where status = 'pending' and next_attempt_at <= now()"
                    + " order by next_attempt_at limit ?2 for update skip locked)"
                    + " returning id",
                UUID.class)
            .setParameter(1, lease.toSeconds() + " seconds")
            .setParameter(2, BATCH)
            .getResultList();
    return ids;
  }

  private void attempt(UUID deliveryId) {
    WebhookDelivery delivery =
        QuarkusTransaction.requiringNew().call(() -> WebhookDelivery.findById(deliveryId));
    Outcome outcome = send(delivery);
    QuarkusTransaction.requiringNew().run(() -> record(deliveryId, outcome));
  }

  private record Outcome(Integer statusCode, String error, boolean retryable) {
    boolean delivered() {
      return statusCode != null && statusCode >= 200 && statusCode < 300;
    }
  }

  private Outcome send(WebhookDelivery delivery) {
    URI uri = URI.create(delivery.url);
    try {
      urlPolicy.addresses(uri);
    } catch (WebhookUrlPolicy.RefusedAddressException e) {
      return new Outcome(null, e.getMessage(), false);
    }
    byte[] key =
        QuarkusTransaction.requiringNew()
            .call(() -> WebhookSecret.<WebhookSecret>findById(delivery.tenantId).key());
    long timestamp = Instant.now().getEpochSecond();
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(config.timeout())
            .header("Content-Type", "application/json")
            .header("User-Agent", "vct-webhooks/1")
            .header("webhook-id", delivery.id.toString())
            .header("webhook-timestamp", Long.toString(timestamp))
            .header(
                "webhook-signature",
                WebhookSigner.sign(key, delivery.id.toString(), timestamp, delivery.payload))
            .POST(HttpRequest.BodyPublishers.ofString(delivery.payload))
            .build();
    try {
      HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
      return new Outcome(response.statusCode(), null, true);
    } catch (IOException e) {
      return new Outcome(null, e.getClass().getSimpleName() + ": " + e.getMessage(), true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome(null, "interrupted while sending", true);
    }
  }

  private void record(UUID deliveryId, Outcome outcome) {
    WebhookDelivery delivery = WebhookDelivery.findById(deliveryId);
    delivery.attempts++;
    delivery.lastStatusCode = outcome.statusCode();
    delivery.lastError = truncate(outcome.error());
    if (outcome.delivered()) {
      delivery.status = DeliveryStatus.DELIVERED;
      delivery.finishedAt = Clock.now();
      delivery.nextAttemptAt = null;
    } else if (!outcome.retryable() || delivery.attempts >= config.maxAttempts()) {
      delivery.status = DeliveryStatus.FAILED;
      delivery.finishedAt = Clock.now();
      delivery.nextAttemptAt = null;
      LOG.warnf(
          "Webhook delivery %s of job %s failed after %d attempts: %s",
          delivery.id,
          delivery.jobId,
          delivery.attempts,
          outcome.error() != null ? outcome.error() : "HTTP " + outcome.statusCode());
    } else {
      delivery.nextAttemptAt = Clock.now().plus(backoff(delivery.attempts));
    }
  }

  /** initial-backoff doubled per failed attempt, capped at max-backoff. */
  Duration backoff(int failedAttempts) {
    Duration delay = config.initialBackoff();
    for (int i = 1; i < failedAttempts && delay.compareTo(config.maxBackoff()) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : delay;
  }

  private static String truncate(String error) {
    return error == null || error.length() <= MAX_ERROR_LENGTH
        ? error
        : error.substring(0, MAX_ERROR_LENGTH);
  }
}
