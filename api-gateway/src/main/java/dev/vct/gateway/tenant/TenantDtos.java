package dev.vct.gateway.tenant;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.vct.storage.tenant.ApiKey;
import dev.vct.storage.tenant.Tenant;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Request and response bodies of the tenant endpoints. */
public final class TenantDtos {
  private TenantDtos() {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @Schema(name = "TenantRequest")
  public record TenantRequest(
      @NotNull
          @Pattern(
              regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
              message = "must be 1 to 64 letters, digits, '.', '_' or '-', starting alphanumeric")
          String name,
      @Schema(description = "Queued plus running jobs allowed at once") @Min(1) @Max(10000)
          Integer maxConcurrentJobs,
      @Schema(description = "Requests per minute, all endpoints") @Min(1) @Max(1000000)
          Integer requestsPerMinute) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @Schema(name = "KeyRequest")
  public record KeyRequest(
      @Schema(description = "Whether the key may call the admin endpoints", defaultValue = "false")
          Boolean admin) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(name = "ApiKey")
  public record KeyView(
      UUID id,
      @Schema(description = "The key itself; shown only once, when it is created") String key,
      @Schema(description = "The key's first characters, to tell keys apart") String prefix,
      boolean admin,
      Instant createdAt,
      Instant revokedAt) {
    static KeyView of(ApiKey key, String raw) {
      return new KeyView(key.id, raw, key.prefix, key.admin, key.createdAt, key.revokedAt);
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(name = "Tenant")
  public record TenantView(
      UUID id,
      String name,
      int maxConcurrentJobs,
      int requestsPerMinute,
      Instant createdAt,
      @Schema(description = "Standard Webhooks signing secret of this tenant's webhooks")
          String webhookSecret,
      @Schema(description = "The tenant's keys (admin listings) or its first key (creation)")
          List<KeyView> apiKeys) {
    static TenantView of(Tenant tenant, String webhookSecret, List<KeyView> keys) {
      return new TenantView(
          tenant.id,
          tenant.name,
          tenant.maxConcurrentJobs,
          tenant.requestsPerMinute,
          tenant.createdAt,
          webhookSecret,
          keys);
    }
  }

  @Schema(name = "TenantList")
  public record TenantList(List<TenantView> data) {}
}
