package dev.vct.storage.embedding;

import dev.vct.storage.persistence.Clock;
import dev.vct.storage.persistence.InList;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * The catalogue entry of an inverted embedding: the same input bytes, model and parameters give the
 * same embedding, so a match lets the orchestrator skip the inversion stage. Unique on (kind,
 * inputSha256, modelId, paramHash).
 */
@Entity
@Table(name = "embeddings")
public class Embedding extends PanacheEntityBase {

  @Id public UUID id;

  @Convert(converter = EmbeddingKind.Converter.class)
  @Column(nullable = false, updatable = false)
  public EmbeddingKind kind;

  /** Hex SHA-256 of the inverted image's bytes. */
  @Column(name = "input_sha256", nullable = false, updatable = false)
  public String inputSha256;

  @Column(name = "model_id", nullable = false, updatable = false)
  public String modelId;

  /** Hash of the inversion parameters that change the result. */
  @Column(name = "param_hash", nullable = false, updatable = false)
  public String paramHash;

  /** Where the safetensors file lies in the blob store. */
  @Column(name = "blob_key", nullable = false)
  public String blobKey;

  /** Shape of the main embedding tensor. */
  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(nullable = false, columnDefinition = "bigint[]")
  public long[] shape;

  @Column(name = "created_at", nullable = false, updatable = false)
  public Instant createdAt;

  /** A new catalogue entry, not yet persisted. */
  public static Embedding of(
      EmbeddingKind kind,
      String inputSha256,
      String modelId,
      String paramHash,
      String blobKey,
      long[] shape) {
    if (Arrays.stream(shape).anyMatch(d -> d <= 0)) {
      throw new IllegalArgumentException(
          "embedding shape must have positive dimensions, got " + Arrays.toString(shape));
    }
    Embedding embedding = new Embedding();
    embedding.id = UUID.randomUUID();
    embedding.kind = kind;
    embedding.inputSha256 = inputSha256;
    embedding.modelId = modelId;
    embedding.paramHash = paramHash;
    embedding.blobKey = blobKey;
    embedding.shape = shape.clone();
    embedding.createdAt = Clock.now();
    return embedding;
  }

  /** What identifies a catalogue entry: the same input bytes, model and parameters. */
  public record Key(EmbeddingKind kind, String inputSha256, String modelId, String paramHash) {}

  public Key key() {
    return new Key(kind, inputSha256, modelId, paramHash);
  }

  /**
   * The cached embeddings recorded for any of {@code keys}, by key, in one statement (it reads the
   * entries matching each column's values, a few more than asked for at most, and keeps the exact
   * matches).
   */
  public static Map<Key, Embedding> lookup(Collection<Key> keys) {
    Map<Key, Embedding> found = new HashMap<>();
    if (keys.isEmpty()) {
      return found;
    }
    Set<Key> wanted = Set.copyOf(keys);
    // one parameter per value (InList), so that Hibernate keeps the query's translation
    List<List<Object>> columns =
        List.of(
            InList.values(wanted.stream().map(Key::kind).toList()),
            InList.values(wanted.stream().map(Key::inputSha256).toList()),
            InList.values(wanted.stream().map(Key::modelId).toList()),
            InList.values(wanted.stream().map(Key::paramHash).toList()));
    List<String> names = List.of("kind", "inputSha256", "modelId", "paramHash");
    StringJoiner query = new StringJoiner(" and ");
    List<Object> parameters = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      query.add(
          names.get(i) + " in " + InList.parameters(parameters.size() + 1, columns.get(i).size()));
      parameters.addAll(columns.get(i));
    }
    Embedding.<Embedding>list(query.toString(), parameters.toArray()).stream()
        .filter(embedding -> wanted.contains(embedding.key()))
        .forEach(embedding -> found.put(embedding.key(), embedding));
    return found;
  }

  /** The cached embedding for these inputs, if one was recorded. */
  public static Optional<Embedding> lookup(
      EmbeddingKind kind, String inputSha256, String modelId, String paramHash) {
    return find(
            "kind = ?1 and inputSha256 = ?2 and modelId = ?3 and paramHash = ?4",
            kind,
            inputSha256,
            modelId,
            paramHash)
        .firstResultOptional();
  }
}
