package dev.vct.gateway.translation;

import dev.vct.gateway.error.ApiError;
import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import dev.vct.gateway.error.FrameworkErrors;
import dev.vct.gateway.events.JobEventStream;
import dev.vct.gateway.tenant.Caller;
import dev.vct.gateway.translation.TranslationViews.TranslationPage;
import dev.vct.gateway.translation.TranslationViews.TranslationSummary;
import dev.vct.gateway.translation.TranslationViews.TranslationView;
import dev.vct.gateway.translation.TranslationViews.WaitingForView;
import dev.vct.storage.blob.BlobNotFoundException;
import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.dispatch.DispatchQueue;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.PageCursor;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import io.quarkus.hibernate.orm.panache.PanacheQuery;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Parameters;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.vertx.core.http.HttpServerRequest;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.server.multipart.MultipartFormDataInput;

/** Submit translations, follow them, cancel them, fetch their results. */
@Path(TranslationResource.PATH)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Translations")
public class TranslationResource {
  public static final String PATH = "/v1/translations";
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  private static final Pattern IDEMPOTENCY_KEY_FORMAT = Pattern.compile("[\\x21-\\x7e]{1,255}");
  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;

  private final Caller caller;
  private final SubmissionReader reader;
  private final TranslationService service;
  private final BlobStore blobs;
  private final JobEventStream events;
  private final FrameworkErrors frameworkErrors;

  TranslationResource(
      Caller caller,
      SubmissionReader reader,
      TranslationService service,
      BlobStore blobs,
      JobEventStream events,
      FrameworkErrors frameworkErrors) {
    this.frameworkErrors = frameworkErrors;
    this.caller = caller;
    this.reader = reader;
    this.service = service;
    this.blobs = blobs;
    this.events = events;
  }

  @POST
  @Consumes(MediaType.MULTIPART_FORM_DATA)
  @Operation(
      summary = "Submit a translation (multipart)",
      description =
          "Fields: 'source' and 'reference' (image files, PNG or JPEG), optional 'params' and"
              + " 'webhook' (JSON text, as in the JSON form).")
  @APIResponse(responseCode = "202", description = "Accepted; the job is queued")
  @APIResponse(responseCode = "200", description = "Replay of an earlier Idempotency-Key")
  @Parameter(
      name = IDEMPOTENCY_KEY,
      in = ParameterIn.HEADER,
      description = "Same key and body return the same job; other body: 409",
      schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255))
  public Response submitMultipart(MultipartFormDataInput form, @Context HttpServerRequest http) {
    String key = idempotencyKey(http);
    return accepted(service.submit(caller.tenantId(), reader.fromMultipart(form), key));
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Submit a translation (JSON, images as base64)")
  @RequestBody(content = @Content(schema = @Schema(implementation = JsonSubmission.class)))
  @APIResponse(
      responseCode = "202",
      description = "Accepted; the job is queued",
      content = @Content(schema = @Schema(implementation = TranslationView.class)))
  @APIResponse(responseCode = "200", description = "Replay of an earlier Idempotency-Key")
  @APIResponse(
      responseCode = "400",
      description = "Invalid request; see docs/api-errors.md",
      content = @Content(schema = @Schema(implementation = ApiError.class)))
  @Parameter(
      name = IDEMPOTENCY_KEY,
      in = ParameterIn.HEADER,
      description = "Same key and body return the same job; other body: 409",
      schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255))
  public Response submitJson(InputStream body, @Context HttpServerRequest http) {
    String key = idempotencyKey(http);
    Submission submission = reader.fromJson(frameworkErrors.readBounded(body));
    return accepted(service.submit(caller.tenantId(), submission, key));
  }

  private static Response accepted(TranslationService.Created created) {
    Job job = created.job();
    TranslationView view =
        TranslationView.of(job, created.replayed() ? StageRun.forJob(job.id) : List.of());
    Response.ResponseBuilder response =
        created.replayed()
            ? Response.ok(view).header("Idempotent-Replayed", "true")
            : Response.accepted(view);
    return response.location(URI.create(PATH + "/" + job.id)).build();
  }

  @GET
  @Operation(summary = "List translations, newest first")
  @Transactional
  public TranslationPage list(
      @Parameter(description = "Comma-separated statuses to keep, e.g. queued,running")
          @QueryParam("status")
          String status,
      @Parameter(description = "Page size, 1 to 100 (default 20)") @QueryParam("limit")
          String limit,
      @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor")
          String cursor) {
    List<JobStatus> statuses = statuses(status);
    int size = pageSize(limit);
    PageCursor after = cursor(cursor);
    StringBuilder query = new StringBuilder("tenantId = :tenant");
    Parameters params = Parameters.with("tenant", caller.tenantId());
    if (!statuses.isEmpty()) {
      query.append(" and status in :statuses");
      params.and("statuses", statuses);
    }
    if (after != null) {
      query.append(" and (createdAt < :created or (createdAt = :created and id < :id))");
      params.and("created", after.createdAt()).and("id", after.id());
    }
    query.append(" order by createdAt desc, id desc");
    PanacheQuery<Job> page = Job.find(query.toString(), params).page(0, size + 1);
    List<Job> jobs = new ArrayList<>(page.list());
    String next = null;
    if (jobs.size() > size) {
      jobs = jobs.subList(0, size);
      next = jobs.get(size - 1).cursor().token();
    }
    return new TranslationPage(jobs.stream().map(TranslationSummary::of).toList(), next);
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "A translation with its stages, progress, timings, scores and error")
  @Transactional
  public TranslationView get(@PathParam("id") String id) {
    Job job = TranslationService.findForTenant(caller.tenantId(), jobId(id));
    List<StageRun> runs = StageRun.forJob(job.id);
    Map<Stage, DispatchQueue.Place> places = new EnumMap<>(Stage.class);
    Map<Stage, WaitingForView> waiting = new EnumMap<>(Stage.class);
    for (StageRun run : runs) {
      DispatchQueue.place(job.tenantId, run).ifPresent(place -> places.put(run.stage, place));
      if (run.status == StageRunStatus.WAITING && run.waitingFor != null) {
        StageRun owner = StageRun.findById(run.waitingFor);
        Job of = owner == null ? null : Job.findById(owner.jobId);
        if (of != null) {
          waiting.put(run.stage, WaitingForView.of(owner, of, job.tenantId));
        }
      }
    }
    return TranslationView.of(job, runs, places, waiting);
  }

  @GET
  @Path("/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @Blocking
  @Operation(
      summary = "The translation's events as Server-Sent Events",
      description =
          "Each event's id is its sequence number in the job's log; reconnect with"
              + " Last-Event-ID to get only what you missed. The stream ends after job.completed."
              + " A tenant may hold a limited number of streams at once (429 too_many_streams).")
  public Multi<OutboundSseEvent> events(
      @PathParam("id") String id,
      @Parameter(description = "The id of the last event received") @HeaderParam("Last-Event-ID")
          String lastEventId,
      @Context Sse sse) {
    long after = lastEventId(lastEventId);
    Job job =
        QuarkusTransaction.requiringNew()
            .call(() -> TranslationService.findForTenant(caller.tenantId(), jobId(id)));
    return events.stream(caller.tenantId(), job.id, after, sse);
  }

  private static long lastEventId(String header) {
    if (header == null || header.isBlank()) {
      return 0;
    }
    try {
      long seq = Long.parseLong(header.trim());
      if (seq >= 0) {
        return seq;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiException(
        ErrorCode.INVALID_LAST_EVENT_ID,
        "Last-Event-ID must be the id of an event of this stream, a non-negative integer");
  }

  @POST
  @Path("/{id}/cancel")
  @Operation(summary = "Ask for a translation to stop; it ends as cancelled")
  @APIResponse(responseCode = "202", description = "Recorded; the job stops shortly")
  public Response cancel(@PathParam("id") String id) {
    Job job = service.cancel(caller.tenantId(), jobId(id));
    return Response.accepted(TranslationView.of(job, List.of())).build();
  }

  @GET
  @Path("/{id}/result")
  @Produces({"image/png", MediaType.APPLICATION_JSON})
  @Operation(summary = "The translated image (PNG) of a succeeded translation")
  @APIResponse(responseCode = "200", content = @Content(mediaType = "image/png"))
  @Transactional
  public Response result(@PathParam("id") String id) {
    Job job = TranslationService.findForTenant(caller.tenantId(), jobId(id));
    if (job.status != JobStatus.SUCCEEDED || job.resultKey == null) {
      throw new ApiException(
          ErrorCode.RESULT_NOT_READY,
          "Translation "
              + job.id
              + " is "
              + job.status.code()
              + "; a result exists once it succeeded");
    }
    return image(job.resultKey, "image/png", job.id + ".png");
  }

  @GET
  @Path("/{id}/inputs/{role}")
  @Produces({"image/png", "image/jpeg", MediaType.APPLICATION_JSON})
  @Operation(summary = "An input image as uploaded; role is source or reference")
  @Transactional
  public Response input(@PathParam("id") String id, @PathParam("role") String role) {
    Job job = TranslationService.findForTenant(caller.tenantId(), jobId(id));
    String key =
        switch (role) {
          case SubmissionReader.SOURCE -> job.sourceKey;
          case SubmissionReader.REFERENCE -> job.referenceKey;
          default ->
              throw new ApiException(
                  ErrorCode.NOT_FOUND, "An input is 'source' or 'reference', not '" + role + "'");
        };
    String type = key.endsWith(".png") ? "image/png" : "image/jpeg";
    return image(key, type, job.id + "-" + key.substring(key.lastIndexOf('/') + 1));
  }

  private Response image(String key, String type, String filename) {
    InputStream in;
    try {
      in = blobs.open(key);
    } catch (BlobNotFoundException e) {
      throw new ApiException(
          ErrorCode.RESULT_UNAVAILABLE, "The image is missing from the blob store; retry later");
    }
    StreamingOutput body =
        out -> {
          try (InputStream stream = in) {
            stream.transferTo(out);
          }
        };
    return Response.ok(body, type)
        .header("Content-Disposition", "inline; filename=\"" + filename + "\"")
        .header("Cache-Control", "private, max-age=86400")
        .build();
  }

  static UUID jobId(String id) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.TRANSLATION_NOT_FOUND, "No translation has the id " + id);
    }
  }

  /**
   * The Idempotency-Key header, or null when there is none. Read from the HTTP request itself: the
   * framework reports an empty header as absent, and an empty key must be refused, not ignored.
   */
  private static String idempotencyKey(HttpServerRequest http) {
    List<String> values = http.headers().getAll(IDEMPOTENCY_KEY);
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw new ApiException(
          ErrorCode.INVALID_IDEMPOTENCY_KEY, "Send one Idempotency-Key header, not several");
    }
    String key = values.get(0);
    if (!IDEMPOTENCY_KEY_FORMAT.matcher(key).matches()) {
      throw new ApiException(
          ErrorCode.INVALID_IDEMPOTENCY_KEY,
          "Idempotency-Key must be 1 to 255 visible ASCII characters, for example a UUID"
              + (key.isBlank() ? " (it is empty)" : ""));
    }
    return key;
  }

  private static List<JobStatus> statuses(String status) {
    if (status == null || status.isBlank()) {
      return List.of();
    }
    List<JobStatus> statuses = new ArrayList<>();
    for (String code : status.split(",", -1)) {
      String wanted = code.trim().toLowerCase(Locale.ROOT);
      JobStatus match =
          Arrays.stream(JobStatus.values())
              .filter(s -> s.code().equals(wanted))
              .findFirst()
              .orElseThrow(
                  () ->
                      new ApiException(
                          ErrorCode.INVALID_QUERY_PARAMETER,
                          "status '"
                              + code
                              + "' is unknown; use "
                              + Arrays.stream(JobStatus.values())
                                  .map(JobStatus::code)
                                  .collect(Collectors.joining(", "))));
      statuses.add(match);
    }
    return statuses;
  }

  private static int pageSize(String limit) {
    if (limit == null) {
      return DEFAULT_PAGE;
    }
    try {
      int size = Integer.parseInt(limit.trim());
      if (size >= 1 && size <= MAX_PAGE) {
        return size;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiException(
        ErrorCode.INVALID_QUERY_PARAMETER,
        "limit must be an integer from 1 to " + MAX_PAGE + " (got '" + limit + "')");
  }

  private static PageCursor cursor(String cursor) {
    if (cursor == null || cursor.isEmpty()) {
      return null;
    }
    try {
      return PageCursor.parse(cursor);
    } catch (IllegalArgumentException e) {
      throw new ApiException(
          ErrorCode.INVALID_CURSOR,
          "cursor is not one this API gave out; pass next_cursor of the previous page unchanged");
    }
  }
}
