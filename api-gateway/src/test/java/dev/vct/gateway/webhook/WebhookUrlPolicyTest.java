package dev.vct.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookUrlPolicyTest {
  private final WebhookUrlPolicy strict = new WebhookUrlPolicy(false);
  private final WebhookUrlPolicy lenient = new WebhookUrlPolicy(true);

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://224.0.0.1/hook"
      })
  void refusesPrivateLoopbackAndLinkLocalAddressesByDefault(String url) {
    ApiException e = assertThrows(ApiException.class, () -> strict.check(url));
    assertEquals(ErrorCode.INVALID_WEBHOOK, e.code());
    assertTrue(e.getMessage().contains("non-public address"), e.getMessage());
    assertDoesNotThrow(() -> lenient.check(url));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "http:///nohost",
        "http://user:secret@8.8.8.8/hook",
        "https://8.8.8.8/hook#fragment",
        "not a url"
      })
  void refusesOtherSchemesCredentialsAndMalformedUrlsEvenWhenPrivateAddressesAreAllowed(
      String url) {
    assertEquals(
        ErrorCode.INVALID_WEBHOOK,
        assertThrows(ApiException.class, () -> lenient.check(url)).code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://8.8.8.8/hook", "http://1.1.1.1:8080/path?x=1"})
  void acceptsPublicHttpAndHttpsAddresses(String url) {
    assertDoesNotThrow(() -> strict.check(url));
  }
}
