package dev.vct.gateway.webhook;

import dev.vct.gateway.config.GatewayConfig;
import dev.vct.storage.persistence.Clock;
import dev.vct.storage.webhook.DeliveryStatus;
import dev.vct.storage.webhook.WebhookDelivery;
import dev.vct.storage.webhook.WebhookSecret;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Posts pending webhook deliveries. Each round claims the due ones with {@code FOR UPDATE SKIP
 * LOCKED} and pushes their next attempt out by a lease, so replicas never send the same attempt and
 * a crash mid-send only delays it. A 2xx answer delivers; anything else is retried with exponential
 * backoff, under the same {@code webhook-id}, until the attempts run out; any failure to send
 * (refused address, bad URL, connection error) is such an attempt too. Redirects are not followed.
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

  WebhookDispatcher(
      EntityManager em, GatewayConfig config, WebhookUrlPolicy urlPolicy, Vertx vertx) {
    this.em = em;
    this.config = config.webhooks();
    this.urlPolicy = urlPolicy;
    // A fresh connection per attempt, so every connection's peer is checked.
    this.http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setKeepAlive(false)
                .setVerifyHost(true)
                .setMaxPoolSize(BATCH)
                .setConnectTimeout((int) this.config.timeout().toMillis()));
  }

  @PreDestroy
  void close() {
    http.close();
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
    Outcome outcome;
    try {
      WebhookDelivery delivery =
          QuarkusTransaction.requiringNew().call(() -> WebhookDelivery.findById(deliveryId));
      outcome = send(delivery);
    } catch (RuntimeException e) {
      // Whatever went wrong is this attempt's failure: recorded, and retried until the limit.
      LOG.warnf(e, "Webhook delivery %s failed unexpectedly", deliveryId);
      outcome = Outcome.failed(describe(e), true);
    }
    Outcome recorded = outcome;
    QuarkusTransaction.requiringNew().run(() -> record(deliveryId, recorded));
  }

  private record Outcome(Integer statusCode, String error, boolean retryable) {
    static Outcome failed(String error, boolean retryable) {
      return new Outcome(null, error, retryable);
    }

    boolean delivered() {
      return statusCode != null && statusCode >= 200 && statusCode < 300;
    }
  }

  private Outcome send(WebhookDelivery delivery) {
    URI uri;
    try {
      uri = WebhookUrlPolicy.parse(delivery.url);
    } catch (WebhookUrlPolicy.RefusedAddressException e) {
      return Outcome.failed(e.getMessage(), false); // the URL itself is wrong: no retry helps
    }
    InetAddress address;
    try {
      address = urlPolicy.addresses(uri).get(0);
    } catch (WebhookUrlPolicy.RefusedAddressException e) {
      return Outcome.failed(e.getMessage(), true); // DNS may change back
    }
    byte[] key =
        QuarkusTransaction.requiringNew()
            .call(() -> WebhookSecret.<WebhookSecret>findById(delivery.tenantId).key());
    long timestamp = Instant.now().getEpochSecond();
    boolean https = uri.getScheme().equalsIgnoreCase("https");
    int port = uri.getPort() != -1 ? uri.getPort() : https ? 443 : 80;
    String host = uri.getHost().replaceAll("^\\[|\\]$", "");
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            // Connect to the address just checked, never to a fresh lookup of the name.
            .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
            .setHost(host)
            .setPort(port)
            .setSsl(https)
            .setURI(pathAndQuery(uri))
            .setFollowRedirects(false)
            .setConnectTimeout(config.timeout().toMillis())
            .setIdleTimeout(config.timeout().toMillis())
            .putHeader("Content-Type", "application/json")
            .putHeader("User-Agent", "vct-webhooks/1")
            .putHeader("webhook-id", delivery.id.toString())
            .putHeader("webhook-timestamp", Long.toString(timestamp))
            .putHeader(
                "webhook-signature",
                WebhookSigner.sign(key, delivery.id.toString(), timestamp, delivery.payload));
    Future<Integer> status =
        http.request(request)
            .compose(
                sending -> {
                  try {
                    checkConnected(host, sending);
                  } catch (WebhookUrlPolicy.RefusedAddressException e) {
                    sending.reset();
                    return Future.failedFuture(e);
                  }
                  return sending
                      .send(Buffer.buffer(delivery.payload))
                      .map(HttpClientResponse::statusCode);
                });
    try {
      return new Outcome(
          status
              .toCompletionStage()
              .toCompletableFuture()
              .get(config.timeout().multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS),
          null,
          true);
    } catch (ExecutionException e) {
      return Outcome.failed(describe(e.getCause()), true);
    } catch (TimeoutException e) {
      return Outcome.failed("no answer within " + config.timeout().multipliedBy(2), true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.failed("interrupted while sending", true);
    }
  }

  /** The address the connection really reached must pass the policy too. */
  private void checkConnected(String host, HttpClientRequest sending)
      throws WebhookUrlPolicy.RefusedAddressException {
    SocketAddress remote = sending.connection().remoteAddress();
    InetAddress connected;
    try {
      connected = InetAddress.getByName(remote.hostAddress()); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new WebhookUrlPolicy.RefusedAddressException(
          "the connection's peer " + remote + " is not an IP address");
    }
    urlPolicy.checkConnectable(host, connected);
  }

  private static String pathAndQuery(URI uri) {
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
  }

  private static String describe(Throwable e) {
    if (e instanceof WebhookUrlPolicy.RefusedAddressException) {
      return e.getMessage();
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
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
