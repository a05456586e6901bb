package dev.vct.gateway.tenant;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Every /v1 request must carry a valid API key; see {@link Authenticator}. */
public class ApiKeyFilter {
  private final Caller caller;
  private final Authenticator authenticator;

  ApiKeyFilter(Caller caller, Authenticator authenticator) {
    this.caller = caller;
    this.authenticator = authenticator;
  }

  @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
  public void authenticate(ContainerRequestContext request) {
    if (request.getUriInfo().getPath().startsWith("/v1/")) {
      List<String> headers = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
      if (headers != null && headers.size() > 1) {
        throw new ApiException(
            ErrorCode.INVALID_API_KEY,
            "Send one Authorization header, not "
                + headers.size()
                + ": 'Authorization: Bearer <key>'");
      }
      Authenticator.Key key =
          authenticator.authenticate(request.getHeaderString(HttpHeaders.AUTHORIZATION));
      caller.authenticate(key.tenantId(), key.admin());
    }
  }
}
