package dev.vct.storage.blob;

/** A blob store operation failed (an I/O or S3 error, or a stream shorter than announced). */
public class BlobStoreException extends RuntimeException {
  public BlobStoreException(String message) {
    super(message);
  }

  public BlobStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
