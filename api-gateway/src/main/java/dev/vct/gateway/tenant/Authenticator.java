package dev.vct.gateway.tenant;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import dev.vct.storage.tenant.ApiKey;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.UUID;

/**
 * Checks {@code Authorization: Bearer <API key>} against the stored key hashes, then counts the
 * request against the tenant's rate limit, in one transaction.
 */
@ApplicationScoped
public class Authenticator {
  private static final String BEARER = "Bearer ";

  /** The key that authenticated a request. */
  public record Key(UUID tenantId, boolean admin) {}

  private final RateLimiter rateLimiter;

  Authenticator(RateLimiter rateLimiter) {
    this.rateLimiter = rateLimiter;
  }

  @Transactional
  public Key authenticate(String authorization) {
    if (authorization == null || authorization.isBlank()) {
      throw new ApiException(
          ErrorCode.MISSING_API_KEY,
          "Send your API key as the header 'Authorization: Bearer <key>'");
    }
    if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw new ApiException(
          ErrorCode.INVALID_API_KEY,
          "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <key>'");
    }
    ApiKey key =
        ApiKey.findActive(authorization.substring(BEARER.length()).trim())
            .orElseThrow(
                () ->
                    new ApiException(
                        ErrorCode.INVALID_API_KEY, "The API key is unknown or was revoked"));
    rateLimiter.count(key.tenantId);
    return new Key(key.tenantId, key.admin);
  }
}
