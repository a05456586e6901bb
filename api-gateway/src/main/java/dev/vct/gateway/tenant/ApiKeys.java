package dev.vct.gateway.tenant;

import java.security.SecureRandom;
import java.util.Base64;

/** New API keys: "vct_" and 32 random bytes, base64url. Only their hash is stored. */
final class ApiKeys {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "vct_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
