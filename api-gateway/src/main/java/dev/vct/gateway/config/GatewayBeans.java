package dev.vct.gateway.config;

import dev.vct.gateway.image.DecodeBudget;
import dev.vct.gateway.image.ImageInspector;
import dev.vct.gateway.webhook.WebhookUrlPolicy;
import dev.vct.inputs.image.ImageLimits;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The plain-Java components, configured. */
@ApplicationScoped
public class GatewayBeans {
  @Produces
  @Singleton
  ImageInspector imageInspector(GatewayConfig config) {
    GatewayConfig.Images images = config.images();
    ImageLimits limits =
        new ImageLimits(images.maxPixels(), images.maxSide(), images.maxDecodedBytes());
    if (!limits.within(ImageLimits.WORKER)) {
      throw new IllegalStateException(
          "vct.gateway.images limits "
              + limits
              + " admit images the worker refuses (its limits are "
              + ImageLimits.WORKER
              + "); lower them");
    }
    return new ImageInspector(
        images.maxBytes(),
        limits,
        new DecodeBudget(images.decodeBudgetBytes(), images.decodeWait()));
  }

  @Produces
  @Singleton
  WebhookUrlPolicy webhookUrlPolicy(GatewayConfig config) {
    return new WebhookUrlPolicy(config.webhooks().allowPrivateAddresses());
  }
}
