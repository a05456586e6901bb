package dev.vct.storage.blob;

import dev.vct.storage.embedding.EmbeddingKind;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The one place that says where each kind of blob lives:
 *
 * <pre>
 * inputs/&lt;job&gt;/source.&lt;ext&gt;, inputs/&lt;job&gt;/reference.&lt;ext&gt;
 * embeddings/&lt;kind&gt;/&lt;hash&gt;.safetensors
 * checkpoints/&lt;stage-run&gt;/&lt;step, 12 digits&gt;.safetensors
 * outputs/&lt;job&gt;/result.png
 * </pre>
 */
public final class BlobKeys {
  private BlobKeys() {}

  /** Longest key S3 accepts. */
  public static final int MAX_KEY_LENGTH = 1024;

  // Segments start with a letter or digit: no "..", no hidden files, no empty segments.
  private static final Pattern KEY =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*");
  private static final Pattern EXTENSION = Pattern.compile("[a-z0-9]{1,8}");
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  public static String source(UUID job, String extension) {
    return "inputs/" + job + "/source." + extension(extension);
  }

  public static String reference(UUID job, String extension) {
    return "inputs/" + job + "/reference." + extension(extension);
  }

  /** The blob of a cached embedding, named by {@link #embeddingHash}. */
  public static String embedding(EmbeddingKind kind, String embeddingHash) {
    return "embeddings/" + kind.code() + "/" + hex64(embeddingHash) + ".safetensors";
  }

  /**
   * The content address of an embedding: SHA-256 over the input image's SHA-256, the model id and
   * the parameter hash, so the same inputs always map to the same key.
   */
  public static String embeddingHash(String inputSha256, String modelId, String paramHash) {
    return Sha256.hex(hex64(inputSha256) + "\n" + modelId + "\n" + paramHash);
  }

  /** Step numbers are zero-padded so that listing the prefix returns checkpoints in step order. */
  public static String checkpoint(UUID stageRun, long step) {
    if (step < 0) {
      throw new IllegalArgumentException("checkpoint step must not be negative, got " + step);
    }
    return checkpointPrefix(stageRun) + String.format(Locale.ROOT, "%012d", step) + ".safetensors";
  }

  public static String checkpointPrefix(UUID stageRun) {
    return "checkpoints/" + stageRun + "/";
  }

  public static String result(UUID job) {
    return outputPrefix(job) + "result.png";
  }

  public static String outputPrefix(UUID job) {
    return "outputs/" + job + "/";
  }

  public static String inputPrefix(UUID job) {
    return "inputs/" + job + "/";
  }

  /**
   * Returns {@code key} when it is a valid blob key: '/'-separated segments of letters, digits,
   * '.', '_' and '-', each starting with a letter or digit, at most {@value #MAX_KEY_LENGTH}
   * characters.
   *
   * @throws IllegalArgumentException naming the key otherwise
   */
  public static String validate(String key) {
    if (key == null || key.length() > MAX_KEY_LENGTH || !KEY.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "invalid blob key '"
              + key
              + "': use '/'-separated segments of letters, digits, '.', '_' and '-', each"
              + " starting with a letter or digit, at most "
              + MAX_KEY_LENGTH
              + " characters");
    }
    return key;
  }

  /**
   * Returns {@code prefix} when it is the start of some valid key (or empty).
   *
   * @throws IllegalArgumentException naming the prefix otherwise
   */
  public static String validatePrefix(String prefix) {
    if (prefix == null) {
      throw new IllegalArgumentException("blob key prefix must not be null; use \"\" for all");
    }
    if (!prefix.isEmpty()) {
      // A prefix ending in '/' or in a partial segment is valid when completing it gives a key.
      String completed = prefix.endsWith("/") ? prefix + "x" : prefix;
      validate(completed);
    }
    return prefix;
  }

  private static String extension(String extension) {
    if (extension == null || !EXTENSION.matcher(extension).matches()) {
      throw new IllegalArgumentException(
          "file extension must be 1-8 lower-case letters or digits, got '" + extension + "'");
    }
    return extension;
  }

  private static String hex64(String hash) {
    if (hash == null || !HEX64.matcher(hash).matches()) {
      throw new IllegalArgumentException(
          "expected a lower-case hex SHA-256 (64 characters), got '" + hash + "'");
    }
    return hash;
  }
}
