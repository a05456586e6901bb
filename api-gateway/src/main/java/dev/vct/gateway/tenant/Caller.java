package dev.vct.gateway.tenant;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import jakarta.enterprise.context.RequestScoped;
import java.util.UUID;

/** Who sent the current request; set by {@link ApiKeyFilter} once the key checked out. */
@RequestScoped
public class Caller {
  private UUID tenantId;
  private boolean admin;

  void authenticate(UUID tenantId, boolean admin) {
    this.tenantId = tenantId;
    this.admin = admin;
  }

  public UUID tenantId() {
    if (tenantId == null) {
      throw new IllegalStateException("no authenticated caller on this request");
    }
    return tenantId;
  }

  public void requireAdmin() {
    if (!admin) {
      throw new ApiException(ErrorCode.ADMIN_REQUIRED, "This endpoint needs an admin API key");
    }
  }
}
