package dev.vct.gateway.tenant;

import dev.vct.gateway.config.GatewayConfig;
import dev.vct.storage.tenant.ApiKey;
import dev.vct.storage.tenant.Tenant;
import dev.vct.storage.webhook.WebhookSecret;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Makes the configured bootstrap key (VCT_BOOTSTRAP_API_KEY) an admin key of the tenant "admin" at
 * start-up, so a fresh installation can create its tenants. Idempotent.
 */
@ApplicationScoped
public class BootstrapAdmin {
  static final String ADMIN_TENANT = "admin";
  private static final Logger LOG = Logger.getLogger(BootstrapAdmin.class);

  private final GatewayConfig config;

  BootstrapAdmin(GatewayConfig config) {
    this.config = config;
  }

  void onStart(@Observes StartupEvent event) {
    config
        .bootstrapApiKey()
        .filter(key -> !key.isBlank())
        .ifPresent(
            key -> {
              try {
                QuarkusTransaction.requiringNew().run(() -> ensureAdminKey(key));
              } catch (RuntimeException e) {
                // Replicas starting together race to register the same key: one wins, and the
                // key is registered either way.
                QuarkusTransaction.requiringNew()
                    .run(
                        () -> {
                          if (ApiKey.findActive(key).isEmpty()) {
                            throw e;
                          }
                        });
              }
            });
  }

  private void ensureAdminKey(String rawKey) {
    if (rawKey.length() < 2 * ApiKey.PREFIX_LENGTH) {
      throw new IllegalStateException(
          "VCT_BOOTSTRAP_API_KEY must have at least "
              + 2 * ApiKey.PREFIX_LENGTH
              + " characters; use a long random string");
    }
    if (ApiKey.findActive(rawKey).isPresent()) {
      return;
    }
    Tenant tenant =
        Tenant.findByName(ADMIN_TENANT)
            .orElseGet(
                () -> {
                  Tenant created =
                      Tenant.create(
                          ADMIN_TENANT,
                          config.tenants().defaultMaxConcurrentJobs(),
                          config.tenants().defaultRequestsPerMinute());
                  created.persist();
                  WebhookSecret.generate(created.id).persist();
                  return created;
                });
    ApiKey.of(tenant.id, rawKey, true).persist();
    LOG.infof(
        "Bootstrap admin key %s... registered for tenant '%s'",
        rawKey.substring(0, 8), tenant.name);
  }
}
