package dev.vct.gateway.error;

import dev.vct.gateway.config.GatewayConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;

/**
 * Answers URIs over {@code vct.gateway.max-uri-length} with a JSON 414, and bodies over {@code
 * quarkus.http.limits.max-body-size} with a JSON 413 before any of the body is read (Quarkus' own
 * check, one route later, answers with an empty body); refuses repeated Host or Content-Type
 * headers, compressed bodies and JSON declared in a charset other than UTF-8; and turns the
 * router's own bare 400, 404 and 413 failures into the same JSON shape.
 */
@ApplicationScoped
public class FrameworkErrors {
  /** Runs just before Quarkus' own upload limit route (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT). */
  private static final int ORDER = -3;

  /** Before the method table (AllowedMethods) reads the path. */
  private static final int URI_ORDER = -5;

  private static final Set<String> UTF8_NAMES = Set.of("utf-8", "utf8", "us-ascii");

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
    router.route().order(Integer.MIN_VALUE).failureHandler(this::routingFailure);
    router.route().order(Integer.MAX_VALUE).handler(this::notFound);
    // An IllegalArgumentException raised while the router matches a request reaches no route's
    // failure handler, only this one.
    router.errorHandler(400, this::routingFailure);
  }

  /**
   * What the router itself refuses (a missing Host header, a request target that is not a path, a
   * body over the backstop limit) becomes JSON; other failures go on to Quarkus' handlers.
   */
  private void routingFailure(RoutingContext ctx) {
    int status = ctx.statusCode();
    if (status == 413) {
      respond(ctx, ErrorCode.REQUEST_TOO_LARGE, message());
    } else if (status == 404) {
      notFound(ctx);
    } else if (status == 400) {
      respond(ctx, ErrorCode.BAD_REQUEST, badRequestMessage(ctx));
    } else {
      ctx.next();
    }
  }

  private static String badRequestMessage(RoutingContext ctx) {
    if (ctx.request().version() != HttpVersion.HTTP_1_0
        && ctx.request().authority() == null
        && ctx.request().getHeader(HttpHeaders.HOST) == null) {
      return "An HTTP/1.1 request must carry a Host header";
    }
    return "The request could not be read; check its URI and headers";
  }

  private void notFound(RoutingContext ctx) {
    String path = ctx.request().path();
    respond(
        ctx,
        ErrorCode.NOT_FOUND,
        "Nothing is served at "
            + ctx.request().method()
            + " "
            + (path == null || path.isEmpty() ? ctx.request().uri() : path)
            + "; the API is described at /q/openapi and /q/swagger-ui");
  }

  private void checkUriLength(RoutingContext ctx) {
    if (refusedHeaders(ctx)) {
      return;
    }
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

  /**
   * Headers HTTP allows once (Host, Content-Type) must not come twice, and a body must not be
   * compressed: the gateway does not decompress request bodies, so it would read compressed bytes
   * as JSON or multipart. Returns whether the request was refused.
   */
  private boolean refusedHeaders(RoutingContext ctx) {
    for (CharSequence single : new CharSequence[] {HttpHeaders.HOST, HttpHeaders.CONTENT_TYPE}) {
      if (ctx.request().headers().getAll(single).size() > 1) {
        respond(
            ctx,
            ErrorCode.BAD_REQUEST,
            "The request has several " + single + " headers; send exactly one");
        return true;
      }
    }
    String charset = jsonCharset(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE));
    if (charset != null && !UTF8_NAMES.contains(charset.toLowerCase(Locale.ROOT))) {
      respond(
          ctx,
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "JSON is read as UTF-8 only (the Content-Type says charset="
              + charset
              + "); send the body in UTF-8 and say charset=utf-8 or no charset");
      return true;
    }
    String encoding = ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING);
    if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
      respond(
          ctx,
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Request bodies are not decompressed (Content-Encoding: "
              + encoding.trim()
              + "); send the body uncompressed, without a Content-Encoding header");
      return true;
    }
    return false;
  }

  /** The charset parameter of a JSON Content-Type, or null when there is none. */
  private static String jsonCharset(String contentType) {
    if (contentType == null) {
      return null;
    }
    String[] parts = contentType.split(";", -1);
    if (!parts[0].trim().equalsIgnoreCase("application/json")) {
      return null;
    }
    for (int i = 1; i < parts.length; i++) {
      String[] parameter = parts[i].split("=", 2);
      if (parameter.length == 2 && parameter[0].trim().equalsIgnoreCase("charset")) {
        return parameter[1].trim().replace("\"", "");
      }
    }
    return null;
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
