package dev.vct.gateway.error;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Query parameters are refused, not ignored, when the endpoint does not know them or they are
 * repeated: {@code ?limt=5} or {@code ?limit=5&limit=50} is a client mistake that would otherwise
 * silently give the default page.
 */
public class QueryParameters {
  /** The only API endpoint that reads query parameters: {@code GET /v1/translations}. */
  private static final String LIST_PATH = "/v1/translations";

  private static final Set<String> LIST_PARAMETERS = Set.of("status", "limit", "cursor");

  /** Runs after authentication, so a caller without a key hears about the key first. */
  @ServerRequestFilter(priority = Priorities.USER)
  public void check(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!path.startsWith("/v1/")) {
      return;
    }
    Map<String, List<String>> query = request.getUriInfo().getQueryParameters();
    if (query.isEmpty()) {
      return;
    }
    boolean list =
        (path.equals(LIST_PATH) || path.equals(LIST_PATH + "/"))
            && (HttpMethod.GET.equals(request.getMethod())
                || HttpMethod.HEAD.equals(request.getMethod()));
    Set<String> allowed = list ? LIST_PARAMETERS : Set.of();
    for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
      if (!allowed.contains(parameter.getKey())) {
        throw new ApiException(
            ErrorCode.INVALID_QUERY_PARAMETER,
            "Unknown query parameter '"
                + parameter.getKey()
                + "' on "
                + request.getMethod()
                + " "
                + path
                + (allowed.isEmpty()
                    ? "; this endpoint takes none"
                    : "; allowed: " + String.join(", ", new TreeSet<>(allowed))));
      }
      if (parameter.getValue().size() > 1) {
        throw new ApiException(
            ErrorCode.INVALID_QUERY_PARAMETER,
            "Query parameter '"
                + parameter.getKey()
                + "' is given "
                + parameter.getValue().size()
                + " times; give it once (status takes a comma-separated list)");
      }
    }
  }
}
