package dev.vct.storage.blob;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Makes the configured {@link BlobStore} injectable in the services. */
@ApplicationScoped
public class BlobStoreProducer {

  @Produces
  @Singleton
  BlobStore blobStore(BlobStoreConfig config) {
    return BlobStoreConfig.open(config);
  }

  void close(@Disposes BlobStore store) {
    store.close();
  }
}
