package dev.vct.storage.blob;

/** No blob under the key in the store. */
public class BlobNotFoundException extends BlobStoreException {
  private final String key;

  public BlobNotFoundException(String key, String store) {
    super("no blob '" + key + "' in " + store);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
