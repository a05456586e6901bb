package dev.vct.gateway.error;

import dev.vct.gateway.config.GatewayConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Answers URIs over {@code vct.gateway.max-uri-length} with a JSON 414, and bodies over {@code
 * quarkus.http.limits.max-body-size} with a JSON 413 before any of the body is read (Quarkus' own
 * check, one route later, answers with an empty body), and turns the framework's other bare 404 and
 * 413 failures into the same JSON shape.
 */
@ApplicationScoped
public class FrameworkErrors {
  /** Runs just before Quarkus' own upload limit route (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT). */
  private static final int ORDER = -3;

  /** Before the method table (AllowedMethods) reads the path. */
  private static final int URI_ORDER = -5;

  private final long limit;
  private final int maxUriLength;
  private final RejectionMetrics metrics;

  FrameworkErrors(GatewayConfig config, RejectionMetrics metrics) {
    this.limit = config.maxRequestBytes().asLongValue();
    this.maxUriLength = config.maxUriLength();
    this.metrics = metrics;
  }

  /**
   * Reads a JSON body of any transfer encoding, refusing it (JSON 413) once it passes the limit; a
   * chunked body has no Content-Length to check up front.
   */
  public byte[] readBounded(InputStream body) {
    try {
      byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (bytes.length > limit) {
        throw new ApiException(ErrorCode.REQUEST_TOO_LARGE, message());
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("reading the request body", e);
    }
  }

  String message() {
    return "The request body is larger than the limit of "
        + limit
        + " bytes; send smaller images (base64 adds a third to their size)";
  }

  void install(@Observes Router router) {
    router.route().order(URI_ORDER).handler(this::checkUriLength);
    router.route().order(ORDER).handler(this::checkContentLength);
    router
        .route()
        .order(Integer.MIN_VALUE)
        .failureHandler(
            ctx -> {
              if (ctx.statusCode() == 413) {
                respond(ctx, ErrorCode.REQUEST_TOO_LARGE, message());
              } else {
                ctx.next();
              }
            });
    router.route().order(Integer.MAX_VALUE).handler(this::notFound);
  }

  private void notFound(RoutingContext ctx) {
    respond(
        ctx,
        ErrorCode.NOT_FOUND,
        "Nothing is served at "
            + ctx.request().method()
            + " "
            + ctx.request().path()
            + "; the API is described at /q/openapi and /q/swagger-ui");
  }

  private void checkUriLength(RoutingContext ctx) {
    int length = ctx.request().uri().length();
    if (length > maxUriLength) {
      respond(
          ctx,
          ErrorCode.URI_TOO_LONG,
          "The request URI is "
              + length
              + " characters; the limit is "
              + maxUriLength
              + ". Send long values in the request body, or page with cursor instead");
      return;
    }
    ctx.next();
  }

  private void checkContentLength(RoutingContext ctx) {
    String header = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    if (header != null) {
      long length;
      try {
        length = Long.parseLong(header.trim());
      } catch (NumberFormatException e) {
        respond(ctx, ErrorCode.BAD_REQUEST, "The Content-Length header is not a number");
        return;
      }
      if (length > limit) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        respond(ctx, ErrorCode.REQUEST_TOO_LARGE, message());
        return;
      }
    }
    ctx.next();
  }

  private void respond(RoutingContext ctx, ErrorCode code, String message) {
    if (ctx.response().ended()) {
      return;
    }
    metrics.rejected(code);
    ctx.response()
        .setStatusCode(code.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(Json.encode(new ApiError(code.code(), message)));
  }
}
