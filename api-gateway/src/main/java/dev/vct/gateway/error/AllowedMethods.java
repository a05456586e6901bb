package dev.vct.gateway.error;

import dev.vct.gateway.tenant.TenantResource;
import dev.vct.gateway.translation.TranslationResource;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.Path;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The methods each API path answers, read from the resources' JAX-RS annotations, so that {@code
 * OPTIONS} lists exactly those (plus HEAD with GET, and OPTIONS) and any other method gets a JSON
 * 405 whose {@code Allow} header and message name them.
 */
@ApplicationScoped
public class AllowedMethods {
  /** Before the body limits (FrameworkErrors), so a refused method's body is never read. */
  private static final int ORDER = -4;

  private static final List<Class<?>> RESOURCES =
      List.of(TranslationResource.class, TenantResource.class);
  private static final Pattern PARAMETER = Pattern.compile("\\{[^}]*}");

  private final Map<Pattern, SortedSet<String>> paths = table();
  private final RejectionMetrics metrics;

  AllowedMethods(RejectionMetrics metrics) {
    this.metrics = metrics;
  }

  /** The methods answered at {@code path}, sorted, or empty when no API path matches it. */
  public Optional<Set<String>> at(String path) {
    for (Map.Entry<Pattern, SortedSet<String>> entry : paths.entrySet()) {
      if (entry.getKey().matcher(path).matches()) {
        return Optional.of(entry.getValue());
      }
    }
    return Optional.empty();
  }

  /** The 405 message for {@code method} at {@code path}. */
  public static String notAllowedMessage(String method, String path, Set<String> allowed) {
    return method + " is not allowed on " + path + "; allowed: " + String.join(", ", allowed);
  }

  void install(@Observes Router router) {
    router.route().order(ORDER).handler(this::check);
  }

  private void check(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    Optional<Set<String>> allowed = at(path);
    HttpMethod method = ctx.request().method();
    if (allowed.isEmpty()
        || allowed.get().contains(method.name()) && method != HttpMethod.OPTIONS) {
      ctx.next();
      return;
    }
    String allow = String.join(", ", allowed.get());
    if (method == HttpMethod.OPTIONS) {
      ctx.response().setStatusCode(204).putHeader(HttpHeaders.ALLOW, allow).end();
      return;
    }
    metrics.rejected(ErrorCode.METHOD_NOT_ALLOWED);
    ctx.response()
        .setStatusCode(ErrorCode.METHOD_NOT_ALLOWED.status())
        .putHeader(HttpHeaders.ALLOW, allow)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(
            Json.encode(
                new ApiError(
                    ErrorCode.METHOD_NOT_ALLOWED.code(),
                    notAllowedMessage(method.name(), path, allowed.get()))));
  }

  private static Map<Pattern, SortedSet<String>> table() {
    Map<String, SortedSet<String>> byTemplate = new LinkedHashMap<>();
    for (Class<?> resource : RESOURCES) {
      String base = resource.getAnnotation(Path.class).value();
      for (Method method : resource.getMethods()) {
        for (String verb : verbs(method)) {
          Path sub = method.getAnnotation(Path.class);
          String template = (base + "/" + (sub == null ? "" : sub.value())).replaceAll("/+", "/");
          template = template.length() > 1 ? template.replaceAll("/$", "") : template;
          Set<String> methods = byTemplate.computeIfAbsent(template, t -> new TreeSet<>());
          methods.add(verb);
          methods.add("OPTIONS");
          if (verb.equals("GET")) {
            methods.add("HEAD");
          }
        }
      }
    }
    Map<Pattern, SortedSet<String>> table = new LinkedHashMap<>();
    byTemplate.forEach(
        (template, methods) ->
            table.put(regex(template), Collections.unmodifiableSortedSet(methods)));
    return table;
  }

  /** {@code /v1/translations/{id}} matches {@code /v1/translations/} and one segment. */
  private static Pattern regex(String template) {
    StringBuilder regex = new StringBuilder();
    Matcher parameter = PARAMETER.matcher(template);
    int last = 0;
    while (parameter.find()) {
      regex.append(Pattern.quote(template.substring(last, parameter.start()))).append("[^/]+");
      last = parameter.end();
    }
    regex.append(Pattern.quote(template.substring(last))).append("/?");
    return Pattern.compile(regex.toString());
  }

  private static List<String> verbs(Method method) {
    List<String> verbs = new ArrayList<>();
    for (Annotation annotation : method.getAnnotations()) {
      jakarta.ws.rs.HttpMethod verb =
          annotation.annotationType().getAnnotation(jakarta.ws.rs.HttpMethod.class);
      if (verb != null) {
        verbs.add(verb.value());
      }
    }
    return verbs;
  }
}
