package dev.vct.gateway.translation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.gateway.testing.FakeOrchestrator;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.KafkaTopicReader;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.gateway.testing.TestStack;
import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TranslationApiTest {
  @Inject FakeOrchestrator orchestrator;
  @Inject BlobStore blobs;

  private static UUID id(Http.Reply reply) {
    return UUID.fromString(reply.json().get("id").asText());
  }

  @Test
  void multipartSubmissionStoresTheJobAndItsInputsAndAnnouncesIt() {
    Tenants.Created tenant = Tenants.create("submit");
    try (KafkaTopicReader submitted = new KafkaTopicReader(Topics.JOB_SUBMITTED)) {
      Http.Reply reply = Http.submission(1).post("/v1/translations", tenant.key());
      assertEquals(202, reply.status(), reply.text());
      JsonNode job = reply.json();
      UUID jobId = id(reply);
      assertEquals("queued", job.get("status").asText());
      assertTrue(reply.header("Location").endsWith("/v1/translations/" + jobId));
      assertEquals("/v1/translations/" + jobId + "/events", job.at("/links/events").asText());
      // Given knobs kept, the others defaulted, a seed chosen.
      assertEquals(2, job.at("/params/concept_steps").asInt());
      assertEquals(64, job.at("/params/resolution").asInt());
      assertEquals(7.5, job.at("/params/guidance_scale").asDouble());
      assertTrue(job.get("seed").asLong() >= 0);
      assertTrue(job.at("/params/seed").isMissingNode(), "a drawn seed is not one of the knobs");
      assertEquals("tiny-test", job.get("model_id").asText());

      Job stored = QuarkusTransaction.requiringNew().call(() -> Job.findById(jobId));
      assertEquals(tenant.id(), stored.tenantId);
      assertArrayEquals(TestImages.png(48, 40, 1), read(stored.sourceKey));
      assertArrayEquals(TestImages.png(40, 48, 2), read(stored.referenceKey));
      JobSubmitted event = submitted.await(JobSubmitted.class, e -> e.jobId().equals(jobId));
      assertEquals(tenant.id(), event.tenantId());
    }
  }

  @Test
  void jsonSubmissionWithBase64ImagesAndAGivenSeed() {
    Tenants.Created tenant = Tenants.create("json");
    Map<String, Object> body =
        Map.of(
            "source", Base64.getEncoder().encodeToString(TestImages.jpeg(32, 32, 3)),
            "reference",
                "data:image/png;base64,"
                    + Base64.getEncoder().encodeToString(TestImages.png(32, 32, 4)),
            "params", Map.of("seed", 1234, "guidance_scale", 5.0, "concept_tokens", 2));
    Http.Reply reply = Http.postJson("/v1/translations", tenant.key(), body);
    assertEquals(202, reply.status(), reply.text());
    assertEquals(1234, reply.json().get("seed").asLong());
    // A chosen seed stays with the knobs: it keys the cached concept inversion.
    assertEquals(1234, reply.json().at("/params/seed").asLong());
    assertEquals(5.0, reply.json().at("/params/guidance_scale").asDouble());
    assertEquals(2, reply.json().at("/params/concept_tokens").asInt());
    Http.Reply fetched = Http.get("/v1/translations/" + id(reply), tenant.key());
    assertEquals(200, fetched.status());
    assertEquals("queued", fetched.json().get("status").asText());
  }

  @Test
  void sameIdempotencyKeyAndBodyGiveTheSameJobAndAnotherBodyConflicts() {
    Tenants.Created tenant = Tenants.create("idem");
    Map<String, String> key = Map.of("Idempotency-Key", "order-" + UUID.randomUUID());
    Http.Reply first = Http.submission(5).post("/v1/translations", tenant.key(), key);
    assertEquals(202, first.status(), first.text());
    Http.Reply again = Http.submission(5).post("/v1/translations", tenant.key(), key);
    assertEquals(200, again.status(), again.text());
    assertEquals("true", again.header("Idempotent-Replayed"));
    assertEquals(id(first), id(again));
    // The same request as JSON is the same request.
    Map<String, Object> asJson =
        Map.of(
            "source", Base64.getEncoder().encodeToString(TestImages.png(48, 40, 5)),
            "reference", Base64.getEncoder().encodeToString(TestImages.png(40, 48, 6)),
            "params", Map.of("concept_steps", 2, "resolution", 64, "ddim_steps", 4));
    assertEquals(id(first), id(Http.postJson("/v1/translations", tenant.key(), asJson, key)));

    Http.Reply other = Http.submission(7).post("/v1/translations", tenant.key(), key);
    assertEquals(409, other.status());
    assertEquals("idempotency_key_reused", other.code());
    // Another tenant's identical key is its own.
    Tenants.Created stranger = Tenants.create("idem-other");
    Http.Reply theirs = Http.submission(5).post("/v1/translations", stranger.key(), key);
    assertEquals(202, theirs.status());
    assertNotEquals(id(first), id(theirs));
    long jobs = QuarkusTransaction.requiringNew().call(() -> Job.count("tenantId", tenant.id()));
    assertEquals(1, jobs);
  }

  @Test
  void listPagesNewestFirstWithoutGapsOrRepeatsAndFiltersByStatus() {
    Tenants.Created tenant = Tenants.create("list", 20, null);
    List<UUID> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(id(Http.submission(10 + i).post("/v1/translations", tenant.key())));
    }
    orchestrator.start(created.get(1));
    orchestrator.start(created.get(3));

    List<UUID> seen = new ArrayList<>();
    String cursor = null;
    do {
      Http.Reply page =
          Http.get(
              "/v1/translations?limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
              tenant.key());
      assertEquals(200, page.status(), page.text());
      page.json().get("data").forEach(j -> seen.add(UUID.fromString(j.get("id").asText())));
      cursor = page.json().path("next_cursor").asText(null);
      // A job created while paging must not disturb the pages.
      if (seen.size() == 2) {
        Http.submission(99).post("/v1/translations", tenant.key());
      }
    } while (cursor != null);
    assertEquals(
        List.of(created.get(4), created.get(3), created.get(2), created.get(1), created.get(0)),
        seen);

    Http.Reply running = Http.get("/v1/translations?status=running", tenant.key());
    Set<UUID> runningIds = new HashSet<>();
    running.json().get("data").forEach(j -> runningIds.add(UUID.fromString(j.get("id").asText())));
    assertEquals(Set.of(created.get(1), created.get(3)), runningIds);
    Http.Reply both = Http.get("/v1/translations?status=running,queued&limit=100", tenant.key());
    assertEquals(6, both.json().get("data").size());
    assertTrue(both.json().path("next_cursor").isMissingNode());
  }

  @Test
  void cancelSetsTheFlagAndTellsTheOrchestratorButNotTwiceForAFinishedJob() {
    Tenants.Created tenant = Tenants.create("cancel");
    UUID jobId = id(Http.submission(20).post("/v1/translations", tenant.key()));
    try (KafkaTopicReader cancels = new KafkaTopicReader(Topics.JOB_CANCEL)) {
      Http.Reply reply =
          Http.send("POST", "/v1/translations/" + jobId + "/cancel", tenant.key(), Map.of(), null);
      assertEquals(202, reply.status(), reply.text());
      assertTrue(reply.json().get("cancel_requested").asBoolean());
      CancelRequest request = cancels.await(CancelRequest.class, e -> e.jobId().equals(jobId));
      assertEquals(tenant.id(), request.tenantId());
    }
    assertTrue(
        QuarkusTransaction.requiringNew().call(() -> Job.<Job>findById(jobId).cancelRequested));
    assertTrue(
        Http.get("/v1/translations/" + jobId, tenant.key())
            .json()
            .get("cancel_requested")
            .asBoolean());

    UUID done = id(Http.submission(21).post("/v1/translations", tenant.key()));
    orchestrator.start(done);
    orchestrator.fail(done, "stage_failed", "the worker gave up");
    Http.Reply late =
        Http.send("POST", "/v1/translations/" + done + "/cancel", tenant.key(), Map.of(), null);
    assertEquals(409, late.status());
    assertEquals("translation_finished", late.code());
    JsonNode failed = Http.get("/v1/translations/" + done, tenant.key()).json();
    assertEquals("failed", failed.get("status").asText());
    assertEquals("stage_failed", failed.at("/error/code").asText());
  }

  @Test
  void resultIsServedOnceTheJobSucceededWithStagesTimingsAndScores() {
    Tenants.Created tenant = Tenants.create("result");
    UUID jobId = id(Http.submission(30).post("/v1/translations", tenant.key()));
    Http.Reply early = Http.get("/v1/translations/" + jobId + "/result", tenant.key());
    assertEquals(409, early.status());
    assertEquals("result_not_ready", early.code());

    byte[] png = TestImages.png(64, 64, 31);
    orchestrator.start(jobId);
    orchestrator.succeed(jobId, png, new Scores(0.25, 31.5));

    Http.Reply result = Http.get("/v1/translations/" + jobId + "/result", tenant.key());
    assertEquals(200, result.status());
    assertEquals("image/png", result.header("Content-Type"));
    assertArrayEquals(png, result.body());
    JsonNode job = Http.get("/v1/translations/" + jobId, tenant.key()).json();
    assertEquals("succeeded", job.get("status").asText());
    assertEquals(1.0, job.get("progress").asDouble());
    assertEquals(0.25, job.at("/scores/lpips").asDouble());
    assertEquals("/v1/translations/" + jobId + "/result", job.get("result_url").asText());
    assertEquals(4, job.get("stages").size());
    for (JsonNode stage : job.get("stages")) {
      assertEquals("succeeded", stage.get("status").asText());
      assertEquals(2, stage.at("/progress/total_steps").asInt());
      assertTrue(stage.get("duration_ms").asLong() >= 0);
    }
    assertTrue(job.get("duration_ms").asLong() >= 0);
    Http.Reply source = Http.get("/v1/translations/" + jobId + "/inputs/source", tenant.key());
    assertArrayEquals(TestImages.png(48, 40, 30), source.body());
  }

  @Test
  void priorityOrdersTheTenantsOwnQueuedStagesAndGetShowsTheirPlace() {
    Tenants.Created tenant = Tenants.create("queue");
    Map<String, Object> images =
        Map.of(
            "source", Base64.getEncoder().encodeToString(TestImages.png(32, 32, 5)),
            "reference", Base64.getEncoder().encodeToString(TestImages.png(32, 32, 6)));
    Map<String, Object> plain = new HashMap<>(images);
    Map<String, Object> urgent = new HashMap<>(images);
    urgent.put("params", Map.of("priority", 3));
    Http.Reply first = Http.postJson("/v1/translations", tenant.key(), plain);
    Http.Reply second = Http.postJson("/v1/translations", tenant.key(), urgent);
    assertEquals(202, second.status(), second.text());
    assertEquals(0, first.json().at("/params/priority").asInt(), "the default");
    assertEquals(3, second.json().at("/params/priority").asInt());
    for (UUID job : List.of(id(first), id(second))) {
      orchestrator.start(job);
      orchestrator.stage(job, Stage.FUSION, StageRunStatus.QUEUED);
    }
    long inFlight =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    StageRun.count(
                        "stage = ?1 and status in ?2",
                        Stage.FUSION,
                        List.of(StageRunStatus.DISPATCHED, StageRunStatus.RUNNING)));

    JsonNode urgentQueue = fusion(Http.get("/v1/translations/" + id(second), tenant.key()));
    assertEquals("queued", urgentQueue.get("status").asText());
    assertEquals(1, urgentQueue.at("/queue/position").asInt(), "priority 3 goes first");
    assertEquals(inFlight, urgentQueue.at("/queue/requests_ahead").asLong());
    JsonNode plainQueue = fusion(Http.get("/v1/translations/" + id(first), tenant.key()));
    assertEquals(2, plainQueue.at("/queue/position").asInt(), urgentQueue.toString());
    assertEquals(inFlight + 1, plainQueue.at("/queue/requests_ahead").asLong());

    orchestrator.stage(id(second), Stage.FUSION, StageRunStatus.RUNNING);
    JsonNode running = fusion(Http.get("/v1/translations/" + id(second), tenant.key()));
    assertTrue(running.path("queue").isMissingNode(), running.toString());
    assertEquals(
        1,
        fusion(Http.get("/v1/translations/" + id(first), tenant.key()))
            .at("/queue/position")
            .asInt());
  }

  private static JsonNode fusion(Http.Reply reply) {
    assertEquals(200, reply.status(), reply.text());
    for (JsonNode stage : reply.json().get("stages")) {
      if (stage.get("stage").asText().equals(Stage.FUSION.code())) {
        return stage;
      }
    }
    return fail("no fusion stage in " + reply.text());
  }

  @Test
  void aStageSkippedByTheEmbeddingsCacheSaysWhy() {
    Tenants.Created tenant = Tenants.create("cached");
    UUID jobId = id(Http.submission(31).post("/v1/translations", tenant.key()));
    orchestrator.start(jobId);
    orchestrator.skip(
        jobId, Stage.CONCEPT_INVERSION, "reused the cached concept embedding embeddings/x");

    JsonNode job = Http.get("/v1/translations/" + jobId, tenant.key()).json();
    JsonNode concept = null;
    for (JsonNode stage : job.get("stages")) {
      if (stage.get("stage").asText().equals("concept_inversion")) {
        concept = stage;
      } else {
        assertTrue(stage.path("skip_reason").isMissingNode(), stage.toString());
      }
    }
    assertNotNull(concept);
    assertEquals("skipped", concept.get("status").asText());
    assertEquals(1.0, concept.get("fraction").asDouble());
    assertEquals(
        "reused the cached concept embedding embeddings/x", concept.get("skip_reason").asText());
  }

  @Test
  void aWaitingStageShowsTheRunItWaitsForAndOnlyItsOwnTenantsJobId() {
    Tenants.Created tenant = Tenants.create("waiting");
    Tenants.Created other = Tenants.create("waiting-other");
    UUID owner = id(Http.submission(32).post("/v1/translations", tenant.key()));
    UUID sameTenant = id(Http.submission(33).post("/v1/translations", tenant.key()));
    UUID otherTenant = id(Http.submission(34).post("/v1/translations", other.key()));
    for (UUID job : List.of(owner, sameTenant, otherTenant)) {
      orchestrator.start(job);
    }
    orchestrator.stage(owner, Stage.CONCEPT_INVERSION, StageRunStatus.RUNNING);
    orchestrator.waitFor(sameTenant, Stage.CONCEPT_INVERSION, owner);
    orchestrator.waitFor(otherTenant, Stage.CONCEPT_INVERSION, owner);
    UUID ownersRun =
        QuarkusTransaction.requiringNew()
            .call(() -> StageRun.find(owner, Stage.CONCEPT_INVERSION).orElseThrow().id);

    JsonNode mine = concept(Http.get("/v1/translations/" + sameTenant, tenant.key()));
    assertEquals("waiting", mine.get("status").asText());
    assertEquals(ownersRun.toString(), mine.at("/waiting_for/stage_run_id").asText());
    assertEquals(owner.toString(), mine.at("/waiting_for/job_id").asText());
    assertEquals("running", mine.at("/waiting_for/status").asText());
    assertTrue(mine.path("queue").isMissingNode(), mine.toString());

    JsonNode theirs = concept(Http.get("/v1/translations/" + otherTenant, other.key()));
    assertEquals("waiting", theirs.get("status").asText());
    assertEquals(ownersRun.toString(), theirs.at("/waiting_for/stage_run_id").asText());
    assertTrue(theirs.at("/waiting_for/job_id").isMissingNode(), "another tenant's job id");

    JsonNode ownersOwn = concept(Http.get("/v1/translations/" + owner, tenant.key()));
    assertTrue(ownersOwn.path("waiting_for").isMissingNode(), ownersOwn.toString());
  }

  private static JsonNode concept(Http.Reply reply) {
    assertEquals(200, reply.status(), reply.text());
    for (JsonNode stage : reply.json().get("stages")) {
      if (stage.get("stage").asText().equals(Stage.CONCEPT_INVERSION.code())) {
        return stage;
      }
    }
    return fail("no concept stage in " + reply.text());
  }

  @Test
  void oneTenantNeverSeesAnothersJobs() {
    Tenants.Created owner = Tenants.create("owner");
    Tenants.Created other = Tenants.create("other");
    UUID jobId = id(Http.submission(40).post("/v1/translations", owner.key()));
    for (String path : List.of("", "/result", "/events", "/inputs/source")) {
      Http.Reply reply = Http.get("/v1/translations/" + jobId + path, other.key());
      assertEquals(404, reply.status(), path);
      assertEquals("translation_not_found", reply.code(), path);
    }
    Http.Reply cancel =
        Http.send("POST", "/v1/translations/" + jobId + "/cancel", other.key(), Map.of(), null);
    assertEquals(404, cancel.status());
    assertEquals(0, Http.get("/v1/translations", other.key()).json().get("data").size());
    assertFalse(
        QuarkusTransaction.requiringNew().call(() -> Job.<Job>findById(jobId).cancelRequested));
  }

  @Test
  void concurrentJobLimitAnswers429WithRetryAfter() {
    Tenants.Created tenant = Tenants.create("busy", 2, null);
    assertEquals(202, Http.submission(50).post("/v1/translations", tenant.key()).status());
    UUID second = id(Http.submission(51).post("/v1/translations", tenant.key()));
    Http.Reply third = Http.submission(52).post("/v1/translations", tenant.key());
    assertEquals(429, third.status());
    assertEquals("concurrent_job_limit", third.code());
    assertNotNull(third.header("Retry-After"));
    orchestrator.start(second);
    orchestrator.fail(second, "stage_failed", "test");
    assertEquals(202, Http.submission(53).post("/v1/translations", tenant.key()).status());
  }

  @Test
  void requestRateLimitAnswers429WithRetryAfter() {
    Tenants.Created tenant = Tenants.create("chatty", null, 3);
    for (int i = 0; i < 3; i++) {
      assertEquals(200, Http.get("/v1/translations", tenant.key()).status());
    }
    Http.Reply limited = Http.get("/v1/translations", tenant.key());
    assertEquals(429, limited.status());
    assertEquals("rate_limited", limited.code());
    long retryAfter = Long.parseLong(limited.header("Retry-After"));
    assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
  }

  @Test
  void keysAreCheckedAndAdminEndpointsNeedAnAdminKey() {
    assertEquals("missing_api_key", Http.get("/v1/translations", null).code());
    assertEquals(401, Http.get("/v1/translations", "vct_not-a-real-key-at-all").status());
    assertEquals(
        "invalid_api_key", Http.get("/v1/translations", "vct_not-a-real-key-at-all").code());
    Http.Reply basic =
        Http.send(
            "GET", "/v1/translations", null, Map.of("Authorization", "Basic dXNlcjpwYXNz"), null);
    assertEquals("invalid_api_key", basic.code());

    Tenants.Created tenant = Tenants.create("plain");
    Http.Reply forbidden =
        Http.postJson("/v1/admin/tenants", tenant.key(), Map.of("name", "sneaky"));
    assertEquals(403, forbidden.status());
    assertEquals("admin_required", forbidden.code());

    // A second key works; once revoked it does not.
    Http.Reply key =
        Http.postJson("/v1/admin/tenants/" + tenant.id() + "/keys", TestStack.ADMIN_KEY, Map.of());
    assertEquals(201, key.status(), key.text());
    String raw = key.json().get("key").asText();
    assertEquals(200, Http.get("/v1/tenant", raw).status());
    assertEquals(
        tenant.webhookSecret(), Http.get("/v1/tenant", raw).json().get("webhook_secret").asText());
    Http.Reply revoked =
        Http.send(
            "DELETE",
            "/v1/admin/tenants/" + tenant.id() + "/keys/" + key.json().get("id").asText(),
            TestStack.ADMIN_KEY,
            Map.of(),
            null);
    assertEquals(204, revoked.status());
    assertEquals("invalid_api_key", Http.get("/v1/tenant", raw).code());
    assertNull(Http.get("/v1/admin/tenants", TestStack.ADMIN_KEY).json().get("code"));
  }

  private byte[] read(String key) {
    try (var in = blobs.open(key)) {
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
