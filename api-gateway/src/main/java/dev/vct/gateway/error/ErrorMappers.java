package dev.vct.gateway.error;

import jakarta.inject.Inject;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * One mapper per exception type, so every refusal, including the framework's own 404, 405, 406 and
 * 415, is JSON {@code {code, message}}. Unexpected failures become a logged 500 with an incident id
 * and no internals.
 */
public class ErrorMappers {
  private static final Logger LOG = Logger.getLogger(ErrorMappers.class);
  private static final String MULTIPART_PACKAGE =
      "org.jboss.resteasy.reactive.server.core.multipart.";

  @Inject FrameworkErrors frameworkErrors;
  @Inject RejectionMetrics metrics;
  @Inject AllowedMethods allowedMethods;

  @ServerExceptionMapper
  public Response apiException(ApiException e) {
    Response.ResponseBuilder response = build(e.code(), e.getMessage());
    e.headers().forEach(response::header);
    return response.build();
  }

  @ServerExceptionMapper
  public Response notFound(NotFoundException e, UriInfo uri, Request request) {
    return build(
            ErrorCode.NOT_FOUND,
            "No endpoint answers "
                + request.getMethod()
                + " /"
                + uri.getPath().replaceFirst("^/", "")
                + "; the API is described at /q/openapi and /q/swagger-ui")
        .build();
  }

  @ServerExceptionMapper
  public Response notAllowed(NotAllowedException e, UriInfo uri, Request request) {
    String path = "/" + uri.getPath().replaceFirst("^/", "");
    Set<String> allowed =
        allowedMethods.at(path).orElseGet(() -> new TreeSet<>(e.getResponse().getAllowedMethods()));
    Response.ResponseBuilder response =
        build(
            ErrorCode.METHOD_NOT_ALLOWED,
            AllowedMethods.notAllowedMessage(request.getMethod(), path, allowed));
    response.header(HttpHeaders.ALLOW, String.join(", ", allowed));
    return response.build();
  }

  @ServerExceptionMapper
  public Response notSupported(NotSupportedException e) {
    return build(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "This endpoint does not accept that Content-Type; send application/json or"
                + " multipart/form-data as the API documentation says")
        .build();
  }

  @ServerExceptionMapper
  public Response notAcceptable(NotAcceptableException e) {
    return build(
            ErrorCode.NOT_ACCEPTABLE,
            "This endpoint cannot answer in the media type the Accept header asks for")
        .build();
  }

  /** Other client errors the framework raises (for example a malformed multipart body). */
  @ServerExceptionMapper
  public Response webApplication(WebApplicationException e) {
    int status = e.getResponse().getStatus();
    if (status == 413) {
      return build(ErrorCode.REQUEST_TOO_LARGE, frameworkErrors.message()).build();
    }
    if (status >= 400 && status < 500) {
      return build(
              ErrorCode.BAD_REQUEST,
              "The request could not be read (HTTP " + status + "); check its syntax")
          .status(status)
          .build();
    }
    return unexpected(e);
  }

  /**
   * The multipart parser runs before the resource and throws whatever it meets in a broken body: an
   * IOException for a body that ends before its closing boundary, a MalformedMessageException for a
   * part header without a colon, index or argument errors for an empty boundary or a {@code
   * filename*} with a bad %-escape. Those are the client's mistakes; other failures stay ours.
   */
  @ServerExceptionMapper
  public Response unreadableBody(IOException e, HttpHeaders headers) {
    return unexpected(e, headers);
  }

  @ServerExceptionMapper
  public Response unexpected(Throwable e, HttpHeaders headers) {
    MediaType type = headers == null ? null : headers.getMediaType();
    boolean multipart = type != null && type.isCompatible(MediaType.MULTIPART_FORM_DATA_TYPE);
    if (multipart && thrownByMultipartParser(e)) {
      LOG.debugf(e, "Unreadable multipart body");
      return build(
              ErrorCode.INVALID_MULTIPART,
              "The multipart body could not be read: its boundary parameter is empty, a part"
                  + " header is malformed, or the body ends before its closing boundary"
                  + " (--boundary--); send a complete, well-formed multipart/form-data body")
          .build();
    }
    return unexpected(e);
  }

  private static boolean thrownByMultipartParser(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (StackTraceElement frame : t.getStackTrace()) {
        if (frame.getClassName().startsWith(MULTIPART_PACKAGE)) {
          return true;
        }
        if (frame.getClassName().startsWith("dev.vct.")) {
          break; // our own code: not the parser's failure
        }
      }
    }
    return false;
  }

  private Response unexpected(Throwable e) {
    String incident = UUID.randomUUID().toString();
    LOG.errorf(e, "Unexpected failure, incident %s", incident);
    return build(
            ErrorCode.INTERNAL_ERROR,
            "The server failed unexpectedly; quote incident " + incident + " when reporting it")
        .build();
  }

  private Response.ResponseBuilder build(ErrorCode code, String message) {
    metrics.rejected(code);
    return Response.status(code.status())
        .type(MediaType.APPLICATION_JSON_TYPE)
        .entity(new ApiError(code.code(), message));
  }
}
