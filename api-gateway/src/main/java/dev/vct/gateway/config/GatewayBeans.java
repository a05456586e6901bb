package dev.vct.gateway.config;

import dev.vct.gateway.image.ImageInspector;
import dev.vct.gateway.webhook.WebhookUrlPolicy;
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
    return new ImageInspector(images.maxBytes(), images.maxPixels(), images.maxSide());
  }

  @Produces
  @Singleton
  WebhookUrlPolicy webhookUrlPolicy(GatewayConfig config) {
    return new WebhookUrlPolicy(config.webhooks().allowPrivateAddresses());
  }
}
