package dev.vct.gateway.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Every gateway knob; each is one environment variable (VCT_GATEWAY_...). */
@ConfigMapping(prefix = "vct.gateway")
public interface GatewayConfig {
  /** The model every new job runs with (the workers' configured checkpoint). */
  @WithDefault("sd15")
  String modelId();

  /**
   * An admin key created at start-up (env VCT_BOOTSTRAP_API_KEY) so a fresh install can create its
   * first tenants.
   */
  Optional<String> bootstrapApiKey();

  /**
   * Largest request body. Checked from Content-Length before reading, and while reading JSON bodies
   * sent without one; keep quarkus.http.limits.max-body-size above it as a backstop.
   */
  @WithDefault("32M")
  MemorySize maxRequestBytes();

  /**
   * Longest request URI (path and query), refused with a JSON 414; keep
   * quarkus.http.limits.max-initial-line-length above it, or the HTTP layer refuses first with a
   * bare 414.
   */
  @WithDefault("4096")
  int maxUriLength();

  Images images();

  Tenants tenants();

  Webhooks webhooks();

  Events events();

  interface Images {
    /** Largest accepted image file, per image. */
    @WithDefault("10485760")
    long maxBytes();

    /** Largest accepted width times height, read from the header before decoding. */
    @WithDefault("16777216")
    long maxPixels();

    /** Largest accepted width or height. */
    @WithDefault("8192")
    int maxSide();

    /**
     * Largest memory one image's decode may take, read from the header before decoding: width x
     * height x channels (a PNG tRNS chunk adds alpha) x bytes a sample (16-bit counts 2), plus the
     * 8-bit RGB copy. 128 MiB admits 16 Mi pixels of 8-bit RGBA.
     */
    @WithDefault("134217728")
    long maxDecodedBytes();

    /**
     * Memory all decodes in flight may take together; a decode that would exceed it waits for
     * others to finish. At least max-decoded-bytes.
     */
    @WithDefault("268435456")
    long decodeBudgetBytes();

    /** How long an upload waits for room in the decode budget before a 503 server_busy. */
    @WithDefault("20s")
    Duration decodeWait();
  }

  /** Limits given to tenants created without explicit ones. */
  interface Tenants {
    @WithDefault("4")
    int defaultMaxConcurrentJobs();

    @WithDefault("600")
    int defaultRequestsPerMinute();
  }

  interface Webhooks {
    /** Deliver to loopback, private and link-local addresses (off: SSRF protection). */
    @WithDefault("false")
    boolean allowPrivateAddresses();

    /** Attempts per delivery before it is marked failed. */
    @WithDefault("8")
    int maxAttempts();

    /** Delay before the first retry; doubled after each failed attempt. */
    @WithDefault("5s")
    Duration initialBackoff();

    @WithDefault("1h")
    Duration maxBackoff();

    @WithDefault("10s")
    Duration timeout();

    /** How often pending deliveries are looked for. */
    @WithDefault("1s")
    Duration pollInterval();
  }

  interface Events {
    /** How often an open event stream looks for new events. */
    @WithDefault("500ms")
    Duration pollInterval();

    /** A comment line sent this often keeps idle streams open through proxies. */
    @WithDefault("15s")
    Duration keepAlive();

    /** Event streams one tenant may hold open at once; more get 429 too_many_streams. */
    @WithDefault("20")
    int maxStreamsPerTenant();
  }
}
