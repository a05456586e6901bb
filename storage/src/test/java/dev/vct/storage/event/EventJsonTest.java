package dev.vct.storage.event;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vct.storage.event.kafka.EventSerializer;
import dev.vct.storage.event.kafka.VctEventDeserializer;
import dev.vct.storage.job.Stage;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class EventJsonTest {

  /** Every record class reachable from VctEvent through the sealed hierarchy. */
  private static Set<Class<?>> concreteEventTypes() {
    Set<Class<?>> found = new HashSet<>();
    Deque<Class<?>> todo = new ArrayDeque<>(Set.of(VctEvent.class));
    while (!todo.isEmpty()) {
      Class<?> type = todo.pop();
      if (type.isRecord()) {
        found.add(type);
      } else {
        todo.addAll(Set.of(type.getPermittedSubclasses()));
      }
    }
    return found;
  }

  @Test
  void samplesCoverEveryEventType() {
    Set<Class<?>> sampled =
        SampleEvents.all().stream().map(Object::getClass).collect(Collectors.toSet());

    assertEquals(concreteEventTypes(), sampled);
  }

  @Test
  void everyEventRoundTripsThroughTheCodec() {
    for (VctEvent event : SampleEvents.all()) {
      byte[] json = EventJson.encode(event);

      assertEquals(event, EventJson.decode(json, VctEvent.class), new String(json));
      assertEquals(event, EventJson.decode(json, event.getClass()));
    }
  }

  @Test
  void jsonNamesTheTypeAndUsesIsoTimesAndLowerCaseCodes() throws IOException {
    StageRunRef ref = new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.FUSION, 2);
    StageRequest request =
        (StageRequest)
            SampleEvents.all().stream()
                .filter(StageRequest.class::isInstance)
                .findFirst()
                .orElseThrow();
    JsonNode progress =
        EventJson.mapper().readTree(EventJson.encode(StageEvent.Progress.of(ref, 1, 2, 0.5)));
    JsonNode requestJson = EventJson.mapper().readTree(EventJson.encode(request));

    assertEquals("stage.progress", progress.get("type").asText());
    assertEquals("fusion", progress.get("stage").asText());
    assertEquals(2, progress.get("attempt").asInt());
    assertTrue(progress.get("occurredAt").isTextual(), progress.toString());
    assertEquals("2030-01-02T03:04:05.123456789Z", requestJson.get("deadline").asText());
    assertEquals(
        request.inputKeys().get(BlobRole.SOURCE_IMAGE),
        requestJson.get("inputKeys").get("source_image").asText());
    assertEquals("stage.request", requestJson.get("type").asText());
  }

  @Test
  void unknownPropertiesAreIgnoredForRollingUpgrades() throws IOException {
    JobSubmitted event = JobSubmitted.of(UUID.randomUUID(), UUID.randomUUID());
    ObjectNode json = (ObjectNode) EventJson.mapper().readTree(EventJson.encode(event));
    json.put("priority", "high");

    assertEquals(event, EventJson.decode(json.toString(), JobSubmitted.class));
  }

  @Test
  void succeededFromAWorkerThatSendsNoStartReadsWithoutOne() throws IOException {
    StageRunRef ref =
        new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.FUSION, /* attempt */ 2);
    StageEvent.Succeeded event =
        StageEvent.Succeeded.of(ref, Map.of(BlobRole.RESULT_IMAGE, "results/x.png"), Map.of());
    ObjectNode json = (ObjectNode) EventJson.mapper().readTree(EventJson.encode(event));
    json.remove("unreportedStart");

    assertEquals(event, EventJson.decode(json.toString(), StageEvent.class));
  }

  @Test
  void cancelWithoutStageRunFieldsReadsAsAWholeJobCancel() {
    UUID job = UUID.randomUUID();
    UUID tenant = UUID.randomUUID();
    String before =
        "{\"type\":\"job.cancel-requested\",\"eventId\":\""
            + UUID.randomUUID()
            + "\",\"occurredAt\":\"2026-01-01T00:00:00Z\",\"jobId\":\""
            + job
            + "\",\"tenantId\":\""
            + tenant
            + "\",\"reason\":\"requested by the client\"}";

    CancelRequest cancel = EventJson.decode(before, CancelRequest.class);

    assertEquals(job, cancel.jobId());
    assertTrue(cancel.wholeJob());
    assertNull(cancel.attempt());
  }

  @Test
  void attemptCancelNamesBothItsStageRunAndAttempt() {
    UUID id = UUID.randomUUID();
    Instant now = Instant.now();
    StageRunRef ref = new StageRunRef(id, id, Stage.FUSION, 2);

    CancelRequest cancel = CancelRequest.ofAttempt(ref, id, "superseded");
    IllegalArgumentException half =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CancelRequest(id, now, id, id, "superseded", id, null));
    IllegalArgumentException zero =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CancelRequest(id, now, id, id, "superseded", id, 0));

    assertFalse(cancel.wholeJob());
    assertEquals(id, cancel.stageRunId());
    assertEquals(2, cancel.attempt());
    assertEquals(
        "a cancel names both a stage run and its attempt, or neither (the whole job)",
        half.getMessage());
    assertEquals("attempt numbers start at 1, got 0", zero.getMessage());
  }

  @Test
  void missingAttemptIsRejectedInsteadOfReadAsZero() throws IOException {
    StageRunRef ref = new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.SCORING, 1);
    ObjectNode json =
        (ObjectNode)
            EventJson.mapper().readTree(EventJson.encode(StageEvent.Heartbeat.of(ref, "w")));
    json.remove("attempt");

    EventDecodingException e =
        assertThrows(
            EventDecodingException.class,
            () -> EventJson.decode(json.toString(), StageEvent.class));

    assertTrue(e.getMessage().startsWith("not a valid StageEvent event"), e.getMessage());
    assertTrue(e.getMessage().contains("attempt"), e.getMessage());
  }

  @Test
  void missingRequiredReferenceIsRejected() throws IOException {
    ObjectNode json =
        (ObjectNode)
            EventJson.mapper()
                .readTree(EventJson.encode(JobSubmitted.of(UUID.randomUUID(), UUID.randomUUID())));
    json.remove("tenantId");

    EventDecodingException e =
        assertThrows(
            EventDecodingException.class, () -> EventJson.decode(json.toString(), VctEvent.class));

    assertTrue(e.getMessage().contains("tenantId"), e.getMessage());
  }

  @Test
  void unknownTypeAndUnexpectedTypeAreRejected() {
    String jobEvent =
        EventJson.encodeToString(
            JobEvent.Completed.cancelled(UUID.randomUUID(), UUID.randomUUID()));

    assertThrows(
        EventDecodingException.class,
        () -> EventJson.decode("{\"type\":\"stage.exploded\"}", VctEvent.class));
    assertThrows(EventDecodingException.class, () -> EventJson.decode(jobEvent, StageEvent.class));
    assertThrows(EventDecodingException.class, () -> EventJson.decode("not json", VctEvent.class));
  }

  @Test
  void kafkaSerdesUseTheCodec() {
    StageRunRef ref = new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.FUSION, 1);
    StageEvent failed = StageEvent.Failed.of(ref, "bad_input", "not a PNG", false);
    byte[] bytes;
    try (EventSerializer serializer = new EventSerializer()) {
      bytes = serializer.serialize(Topics.STAGE_EVENTS, failed);
    }

    try (VctEventDeserializer deserializer = new VctEventDeserializer()) {
      assertEquals(failed, deserializer.deserialize(Topics.STAGE_EVENTS, bytes));
      assertThrows(
          EventDecodingException.class,
          () -> deserializer.deserialize(Topics.STAGE_EVENTS, "not json".getBytes(UTF_8)));
    }
  }

  @Test
  void invalidValuesAreRejectedAtConstruction() {
    UUID id = UUID.randomUUID();

    IllegalArgumentException attempt =
        assertThrows(
            IllegalArgumentException.class, () -> new StageRunRef(id, id, Stage.FUSION, 0));
    IllegalArgumentException progress =
        assertThrows(
            IllegalArgumentException.class,
            () -> StageEvent.Progress.of(new StageRunRef(id, id, Stage.FUSION, 1), 11, 10, null));

    assertEquals("attempt numbers start at 1, got 0", attempt.getMessage());
    assertEquals(
        "progress must satisfy 0 <= step <= totalSteps >= 1, got 11/10", progress.getMessage());
  }

  @Test
  void everyStageHasItsOwnTopic() {
    Set<String> topics = new HashSet<>();
    for (Stage stage : Stage.values()) {
      topics.add(Topics.forStage(stage));
    }

    assertEquals(Stage.values().length, topics.size());
    assertTrue(Topics.all().containsAll(topics));
  }
}
