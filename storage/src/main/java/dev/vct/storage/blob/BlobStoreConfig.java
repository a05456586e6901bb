package dev.vct.storage.blob;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/** Which blob store a service uses: {@code vct.blob.*} (environment {@code VCT_BLOB_*}). */
@ConfigMapping(prefix = "vct.blob")
public interface BlobStoreConfig {

  /** {@code filesystem} (one machine) or {@code s3} (production). */
  @WithDefault("filesystem")
  Kind store();

  Filesystem filesystem();

  S3 s3();

  enum Kind {
    FILESYSTEM,
    S3
  }

  interface Filesystem {
    /** Folder of the filesystem store; created when missing. */
    @WithDefault("data/blobs")
    Path root();
  }

  interface S3 {
    /** URL of an S3-compatible server; absent for AWS itself. */
    Optional<URI> endpoint();

    @WithDefault("us-east-1")
    String region();

    /** Created at start when missing. */
    @WithDefault("vct")
    String bucket();

    /** Absent (with the secret) to use the AWS default credentials chain. */
    Optional<String> accessKeyId();

    Optional<String> secretAccessKey();

    /**
     * Bytes per part of multipart uploads (at least 5 MiB); also the memory one put holds. Over
     * plain HTTP a part is one signed request that the server may buffer to check its hash: s3proxy
     * accepts up to 128 MiB by default.
     */
    @WithDefault("8388608")
    int partSize();
  }

  /** Opens the configured store; usable without CDI. */
  static BlobStore open(BlobStoreConfig config) {
    return switch (config.store()) {
      case FILESYSTEM -> new FilesystemBlobStore(config.filesystem().root());
      case S3 ->
          new S3BlobStore(
              new S3BlobStore.Settings(
                  config.s3().endpoint().orElse(null),
                  config.s3().region(),
                  config.s3().bucket(),
                  config.s3().accessKeyId().orElse(null),
                  config.s3().secretAccessKey().orElse(null),
                  config.s3().partSize()));
    };
  }
}
