package dev.vct.storage.blob;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Blobs as objects in one S3 bucket (AWS S3, MinIO, s3proxy, ...), reached with path-style URLs
 * over the JDK's HTTP client. The bucket is created when missing.
 *
 * <p>Integrity of a put: over plain HTTP the body's SHA-256 is signed (SigV4's {@code
 * x-amz-content-sha256}, one request, not aws-chunked) and checked by the server; over HTTPS TLS
 * protects it. The SHA-256 a put returns is computed separately, from the caller's stream, as the
 * blob's content address.
 *
 * <p>A put reads its stream in parts of {@link Settings#partSize()} bytes into one reused buffer
 * (smaller for a blob announced shorter than a part): a stream that fits in one part becomes one
 * PutObject, a longer one a multipart upload, so memory stays at one part whatever the blob's size,
 * and unknown lengths work. A failed multipart upload is aborted, leaving nothing under the key.
 */
public final class S3BlobStore implements BlobStore {

  /** S3's smallest part (except the last) of a multipart upload. */
  public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

  public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;

  private static final String OCTET_STREAM = "application/octet-stream";

  /**
   * Where and how to reach the bucket.
   *
   * @param endpoint the server's URL; null for AWS's own endpoint of {@code region}
   * @param accessKeyId null (with {@code secretAccessKey}) for the SDK's default credentials chain
   * @param partSize bytes per part of multipart uploads, at least {@link #MIN_PART_SIZE}
   */
  public record Settings(
      URI endpoint,
      String region,
      String bucket,
      String accessKeyId,
      String secretAccessKey,
      int partSize) {
    public Settings {
      Objects.requireNonNull(region, "region");
      Objects.requireNonNull(bucket, "bucket");
      if ((accessKeyId == null) != (secretAccessKey == null)) {
        throw new IllegalArgumentException(
            "set both vct.blob.s3.access-key-id and vct.blob.s3.secret-access-key, or neither"
                + " to use the default AWS credentials chain");
      }
      if (partSize < MIN_PART_SIZE) {
        throw new IllegalArgumentException(
            "S3 part size must be at least " + MIN_PART_SIZE + " bytes, got " + partSize);
      }
    }

    public Settings(
        URI endpoint, String region, String bucket, String accessKeyId, String secretAccessKey) {
      this(endpoint, region, bucket, accessKeyId, secretAccessKey, DEFAULT_PART_SIZE);
    }
  }

  private final S3Client s3;
  private final String bucket;
  private final int partSize;
  private final String description;

  /** Connects, and creates the bucket when it does not exist. */
  public S3BlobStore(Settings settings) {
    this.s3 = client(settings);
    this.bucket = settings.bucket();
    this.partSize = settings.partSize();
    this.description =
        "S3 bucket '"
            + bucket
            + "' at "
            + (settings.endpoint() == null ? "AWS " + settings.region() : settings.endpoint());
    try {
      ensureBucket(settings.region());
    } catch (RuntimeException e) {
      s3.close();
      throw e;
    }
  }

  private static S3Client client(Settings settings) {
    AwsCredentialsProvider credentials =
        settings.accessKeyId() == null
            ? DefaultCredentialsProvider.builder().build()
            : StaticCredentialsProvider.create(
                AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()));
    S3ClientBuilder builder =
        S3Client.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials)
            .forcePathStyle(true)
            // S3-compatible servers differ in their support of the SDK's default CRC trailers;
            // send and check checksums only where an operation requires them.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            // A body's integrity check is SigV4's: over plain HTTP the SDK always signs the
            // payload. With chunked encoding (the SDK's default) it sends every put as
            // aws-chunked, each 128 KiB chunk signed on its own, through 128 KiB buffers: 340 KiB
            // allocated per put of a 20-byte blob instead of 80, and the server has to decode the
            // chunks and check their signatures. Without it the payload's SHA-256 is signed in
            // x-amz-content-sha256 (read from the part's buffer; the server hashes the body and
            // compares), one hash of the body either way. Over HTTPS the payload is not signed
            // in either case (TLS protects it), so this changes nothing there.
            .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
    if (settings.endpoint() != null) {
      builder.endpointOverride(settings.endpoint());
    }
    return builder.build();
  }

  private void ensureBucket(String region) {
    try {
      s3.headBucket(b -> b.bucket(bucket));
      return;
    } catch (NoSuchBucketException e) {
      // create it below
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        throw new BlobStoreException("cannot reach " + description + ": " + e.getMessage(), e);
      }
    } catch (SdkException e) {
      throw new BlobStoreException("cannot reach " + description + ": " + e.getMessage(), e);
    }
    try {
      if (Region.US_EAST_1.id().equals(region)) {
        s3.createBucket(b -> b.bucket(bucket));
      } else {
        s3.createBucket(
            b -> b.bucket(bucket).createBucketConfiguration(c -> c.locationConstraint(region)));
      }
    } catch (BucketAlreadyOwnedByYouException | BucketAlreadyExistsException e) {
      // another process created it first
    } catch (SdkException e) {
      throw new BlobStoreException("cannot create " + description + ": " + e.getMessage(), e);
    }
  }

  @Override
  public StoredBlob put(String key, InputStream in, long length, String contentType) {
    BlobKeys.validate(key);
    String type = contentType == null ? OCTET_STREAM : contentType;
    HashingInputStream hashing = new HashingInputStream(in);
    // A blob announced shorter than a part gets a buffer of its size (one byte more, to notice a
    // longer stream): most blobs are small, and a part-sized buffer for each was a humongous
    // allocation that kept the garbage collector busy.
    byte[] buffer =
        new byte[length != UNKNOWN_LENGTH && length < partSize ? (int) length + 1 : partSize];
    try {
      int first = readFully(hashing, buffer);
      if (first < buffer.length || buffer.length < partSize) {
        checkLength(key, length, hashing.count());
        s3.putObject(
            b -> b.bucket(bucket).key(key).contentType(type).contentLength((long) first),
            body(buffer, first));
      } else {
        putMultipart(key, type, hashing, buffer, length);
      }
      return new StoredBlob(key, hashing.count(), hashing.sha256());
    } catch (IOException e) {
      throw new BlobStoreException("cannot read the stream to store '" + key + "'", e);
    } catch (SdkException e) {
      throw new BlobStoreException(
          "cannot store '" + key + "' in " + description + ": " + e.getMessage(), e);
    }
  }

  /** Uploads {@code buffer} (already full) and the rest of {@code in} as a multipart upload. */
  private void putMultipart(
      String key, String type, HashingInputStream in, byte[] buffer, long length)
      throws IOException {
    String uploadId =
        s3.createMultipartUpload(b -> b.bucket(bucket).key(key).contentType(type)).uploadId();
    try {
      List<CompletedPart> parts = new ArrayList<>();
      int filled = buffer.length;
      while (filled > 0) {
        int partNumber = parts.size() + 1;
        int size = filled;
        String etag =
            s3.uploadPart(
                    b ->
                        b.bucket(bucket)
                            .key(key)
                            .uploadId(uploadId)
                            .partNumber(partNumber)
                            .contentLength((long) size),
                    body(buffer, size))
                .eTag();
        parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
        filled = readFully(in, buffer);
      }
      checkLength(key, length, in.count());
      s3.completeMultipartUpload(
          b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
    } catch (IOException | RuntimeException e) {
      try {
        s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
      } catch (SdkException abortFailure) {
        e.addSuppressed(abortFailure);
      }
      throw e;
    }
  }

  private static RequestBody body(byte[] buffer, int size) {
    // The SDK may read the body twice (payload signing over plain HTTP, retries): hand it a
    // fresh view of the same buffer each time instead of a copy.
    return RequestBody.fromContentProvider(
        () -> new ByteArrayInputStream(buffer, 0, size), size, OCTET_STREAM);
  }

  private static int readFully(InputStream in, byte[] buffer) throws IOException {
    int filled = 0;
    while (filled < buffer.length) {
      int n = in.read(buffer, filled, buffer.length - filled);
      if (n < 0) {
        break;
      }
      filled += n;
    }
    return filled;
  }

  private static void checkLength(String key, long announced, long actual) {
    if (announced != UNKNOWN_LENGTH && announced != actual) {
      throw new BlobStoreException(
          "stream for '"
              + key
              + "' gave "
              + actual
              + " bytes but "
              + announced
              + " were announced; nothing stored");
    }
  }

  @Override
  public InputStream open(String key) {
    BlobKeys.validate(key);
    try {
      return s3.getObject(b -> b.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      throw new BlobNotFoundException(key, description);
    } catch (SdkException e) {
      throw failure("open", key, e);
    }
  }

  @Override
  public boolean exists(String key) {
    BlobKeys.validate(key);
    try {
      s3.headObject(b -> b.bucket(bucket).key(key));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw failure("look up", key, e);
    } catch (SdkException e) {
      throw failure("look up", key, e);
    }
  }

  @Override
  public long size(String key) {
    BlobKeys.validate(key);
    try {
      return s3.headObject(b -> b.bucket(bucket).key(key)).contentLength();
    } catch (NoSuchKeyException e) {
      throw new BlobNotFoundException(key, description);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new BlobNotFoundException(key, description);
      }
      throw failure("read the size of", key, e);
    } catch (SdkException e) {
      throw failure("read the size of", key, e);
    }
  }

  @Override
  public List<String> list(String prefix) {
    BlobKeys.validatePrefix(prefix);
    try {
      return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
          .map(S3Object::key)
          .sorted()
          .toList();
    } catch (SdkException e) {
      throw failure("list", prefix, e);
    }
  }

  @Override
  public void delete(String key) {
    BlobKeys.validate(key);
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(key));
    } catch (SdkException e) {
      throw failure("delete", key, e);
    }
  }

  /** Server-side copy; S3 limits a single copy to 5 GiB, far above any blob of this service. */
  @Override
  public void copy(String from, String to) {
    BlobKeys.validate(from);
    BlobKeys.validate(to);
    try {
      s3.copyObject(
          b -> b.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket).destinationKey(to));
    } catch (NoSuchKeyException e) {
      throw new BlobNotFoundException(from, description);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new BlobNotFoundException(from, description);
      }
      throw failure("copy", from + "' to '" + to, e);
    } catch (SdkException e) {
      throw failure("copy", from + "' to '" + to, e);
    }
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    s3.close();
  }

  private BlobStoreException failure(String action, String key, SdkException e) {
    return new BlobStoreException(
        "cannot " + action + " '" + key + "' in " + description + ": " + e.getMessage(), e);
  }
}
