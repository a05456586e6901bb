package dev.vct.gateway.tenant;

import dev.vct.gateway.config.GatewayConfig;
import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import dev.vct.gateway.error.FrameworkErrors;
import dev.vct.gateway.tenant.TenantDtos.KeyRequest;
import dev.vct.gateway.tenant.TenantDtos.KeyView;
import dev.vct.gateway.tenant.TenantDtos.TenantList;
import dev.vct.gateway.tenant.TenantDtos.TenantRequest;
import dev.vct.gateway.tenant.TenantDtos.TenantView;
import dev.vct.gateway.translation.RequestValidation;
import dev.vct.gateway.translation.StrictJson;
import dev.vct.storage.persistence.Clock;
import dev.vct.storage.tenant.ApiKey;
import dev.vct.storage.tenant.Tenant;
import dev.vct.storage.webhook.WebhookSecret;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Tenants and their API keys: the admin endpoints and a tenant's view of itself. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Tenants")
public class TenantResource {
  private final Caller caller;
  private final GatewayConfig config;
  private final RequestValidation validation;
  private final FrameworkErrors frameworkErrors;

  TenantResource(
      Caller caller,
      GatewayConfig config,
      RequestValidation validation,
      FrameworkErrors frameworkErrors) {
    this.frameworkErrors = frameworkErrors;
    this.caller = caller;
    this.config = config;
    this.validation = validation;
  }

  @GET
  @Path("/tenant")
  @Operation(summary = "The calling tenant, with its limits and webhook signing secret")
  @Transactional
  public TenantView self() {
    Tenant tenant = Tenant.findById(caller.tenantId());
    return TenantView.of(tenant, secretOf(tenant.id), null);
  }

  @POST
  @Path("/admin/tenants")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Create a tenant with its first API key (admin)")
  @RequestBody(content = @Content(schema = @Schema(implementation = TenantRequest.class)))
  @Transactional
  public Response createTenant(InputStream stream) {
    byte[] body = frameworkErrors.readBounded(stream);
    caller.requireAdmin();
    TenantRequest request = StrictJson.read(body, TenantRequest.class, "the request body");
    validation.validate(request);
    if (Tenant.findByName(request.name()).isPresent()) {
      throw new ApiException(
          ErrorCode.TENANT_EXISTS, "A tenant named '" + request.name() + "' already exists");
    }
    Tenant tenant =
        Tenant.create(
            request.name(),
            Optional.ofNullable(request.maxConcurrentJobs())
                .orElse(config.tenants().defaultMaxConcurrentJobs()),
            Optional.ofNullable(request.requestsPerMinute())
                .orElse(config.tenants().defaultRequestsPerMinute()));
    tenant.persist();
    WebhookSecret secret = WebhookSecret.generate(tenant.id);
    secret.persist();
    String raw = ApiKeys.generate();
    ApiKey key = ApiKey.of(tenant.id, raw, false);
    key.persist();
    return Response.status(Response.Status.CREATED)
        .entity(TenantView.of(tenant, secret.secret, List.of(KeyView.of(key, raw))))
        .build();
  }

  @GET
  @Path("/admin/tenants")
  @Operation(summary = "List tenants with their keys (admin)")
  @Transactional
  public TenantList listTenants() {
    caller.requireAdmin();
    List<Tenant> tenants = Tenant.list("order by createdAt, id");
    return new TenantList(
        tenants.stream()
            .map(
                t ->
                    TenantView.of(
                        t,
                        null,
                        ApiKey.listForTenant(t.id).stream().map(k -> KeyView.of(k, null)).toList()))
            .toList());
  }

  @POST
  @Path("/admin/tenants/{tenant}/keys")
  @Consumes({MediaType.APPLICATION_JSON, MediaType.WILDCARD})
  @Operation(summary = "Create another API key of a tenant (admin); the body is optional")
  @RequestBody(content = @Content(schema = @Schema(implementation = KeyRequest.class)))
  @Transactional
  public Response createKey(@PathParam("tenant") String tenantId, InputStream stream) {
    byte[] body = frameworkErrors.readBounded(stream);
    caller.requireAdmin();
    Tenant tenant = tenant(tenantId);
    KeyRequest request =
        body.length == 0
            ? new KeyRequest(false)
            : StrictJson.read(body, KeyRequest.class, "the request body");
    String raw = ApiKeys.generate();
    ApiKey key = ApiKey.of(tenant.id, raw, Boolean.TRUE.equals(request.admin()));
    key.persist();
    return Response.status(Response.Status.CREATED).entity(KeyView.of(key, raw)).build();
  }

  @DELETE
  @Path("/admin/tenants/{tenant}/keys/{key}")
  @Operation(summary = "Revoke an API key (admin)")
  @Transactional
  public Response revokeKey(@PathParam("tenant") String tenantId, @PathParam("key") String keyId) {
    caller.requireAdmin();
    Tenant tenant = tenant(tenantId);
    ApiKey key =
        parse(keyId)
            .flatMap(id -> ApiKey.<ApiKey>findByIdOptional(id))
            .filter(k -> k.tenantId.equals(tenant.id))
            .orElseThrow(
                () ->
                    new ApiException(
                        ErrorCode.NOT_FOUND, "Tenant " + tenant.id + " has no key " + keyId));
    if (key.revokedAt == null) {
      key.revokedAt = Clock.now();
    }
    return Response.noContent().build();
  }

  private static Tenant tenant(String id) {
    return parse(id)
        .flatMap(uuid -> Tenant.<Tenant>findByIdOptional(uuid))
        .orElseThrow(
            () -> new ApiException(ErrorCode.TENANT_NOT_FOUND, "No tenant has the id " + id));
  }

  private static String secretOf(UUID tenantId) {
    return WebhookSecret.<WebhookSecret>findByIdOptional(tenantId).map(s -> s.secret).orElse(null);
  }

  static Optional<UUID> parse(String id) {
    try {
      return Optional.of(UUID.fromString(id));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
