package dev.vct.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookUrlPolicyTest {
  private final WebhookUrlPolicy strict = new WebhookUrlPolicy(false);
  private final WebhookUrlPolicy lenient = new WebhookUrlPolicy(true);

  /** One address at each end of every IPv4 block that is not global unicast. */
  private static final List<String> NON_PUBLIC_IPV4 =
      List.of(
          "0.0.0.0", "0.255.255.255", // this network
          "10.0.0.1", "10.255.255.254", // private
          "100.64.0.1", "100.127.255.254", // carrier-grade NAT
          "127.0.0.1", "127.255.255.254", // loopback
          "169.254.169.254", "169.254.0.1", // link-local, cloud metadata
          "172.16.0.1", "172.31.255.254", // private
          "192.0.0.1", "192.0.0.255", // IETF protocol assignments
          "192.0.2.2", "192.0.2.255", // TEST-NET-1
          "192.88.99.1", "192.88.99.255", // 6to4 relay anycast
          "192.168.0.1", "192.168.255.254", // private
          "198.18.0.1", "198.19.255.254", // benchmarking
          "198.51.100.1", "198.51.100.255", // TEST-NET-2
          "203.0.113.1", "203.0.113.255", // TEST-NET-3
          "224.0.0.1", "239.255.255.255", // multicast
          "240.0.0.1", "255.255.255.255"); // reserved, broadcast

  /** Public neighbours of those blocks. */
  private static final List<String> PUBLIC_IPV4 =
      List.of(
          "1.1.1.1",
          "8.8.8.8",
          "9.255.255.255",
          "11.0.0.1",
          "100.63.255.255",
          "100.128.0.1",
          "169.253.255.255",
          "172.15.255.255",
          "172.32.0.1",
          "192.0.1.255",
          "192.0.3.1",
          "192.88.98.255",
          "192.169.0.1",
          "198.17.255.255",
          "198.20.0.1",
          "198.51.101.1",
          "203.0.112.255",
          "223.255.255.254");

  /** The IPv6 forms that carry an IPv4 address, as URL hosts. */
  private static List<String> ipv6Forms(String ipv4) throws UnknownHostException {
    byte[] b = InetAddress.getByName(ipv4).getAddress();
    String high = Integer.toHexString(((b[0] & 0xff) << 8) | (b[1] & 0xff));
    String low = Integer.toHexString(((b[2] & 0xff) << 8) | (b[3] & 0xff));
    return List.of(
        "[64:ff9b::" + ipv4 + "]", // NAT64
        "[64:ff9b::" + high + ":" + low + "]", // NAT64, hex
        "[2002:" + high + ":" + low + "::1]"); // 6to4
  }

  static Stream<Arguments> nonPublicIpv4InEveryForm() throws UnknownHostException {
    List<Arguments> cases = new ArrayList<>();
    for (String ipv4 : NON_PUBLIC_IPV4) {
      cases.add(Arguments.of(ipv4));
      cases.add(Arguments.of("[::ffff:" + ipv4 + "]")); // IPv4-mapped
      cases.add(Arguments.of("[::ffff:0:" + ipv4 + "]")); // IPv4-translated
      cases.add(Arguments.of("[::" + ipv4 + "]")); // IPv4-compatible
      for (String form : ipv6Forms(ipv4)) {
        cases.add(Arguments.of(form));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nonPublicIpv4InEveryForm")
  void refusesEveryNonPublicIpv4BlockInEveryIpv6Form(String host) {
    String url = "http://" + host + "/hook";
    ApiException e = assertThrows(ApiException.class, () -> strict.check(url));
    assertEquals(ErrorCode.INVALID_WEBHOOK, e.code());
    assertTrue(
        e.getMessage().contains("non-public address") || e.getMessage().contains("IPv4-mapped"),
        e.getMessage());
    assertDoesNotThrow(() -> lenient.check(url));
  }

  static Stream<Arguments> publicIpv4InIpv6Forms() throws UnknownHostException {
    List<Arguments> cases = new ArrayList<>();
    for (String ipv4 : PUBLIC_IPV4) {
      cases.add(Arguments.of(ipv4));
      for (String form : ipv6Forms(ipv4)) {
        cases.add(Arguments.of(form));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("publicIpv4InIpv6Forms")
  void acceptsPublicIpv4DirectlyAndThroughNat64And6to4(String host) {
    URI uri = assertDoesNotThrow(() -> strict.check("https://" + host + "/hook"));
    assertEquals(host, uri.getHost());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[::]", // unspecified
        "[::1]", // loopback
        "[::2]", // IPv4-compatible
        "[64:ff9b:1::8.8.8.8]", // local-use NAT64
        "[100::1]", // discard-only
        "[2001::1]", // Teredo
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]", // Teredo with a public server
        "[2001:2::1]", // benchmarking
        "[2001:10::1]", // ORCHID
        "[2001:20::1]", // ORCHIDv2
        "[2001:db8::1]", // documentation
        "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]",
        "[3fff::1]", // documentation
        "[fc00::1]", // unique local
        "[fd12:3456::1]",
        "[fe80::1]", // link-local
        "[febf::1]",
        "[fec0::1]", // site-local
        "[ff02::1]", // multicast
        "[ff0e::1]",
        "[4000::1]", // outside 2000::/3
        "[5f00::1]" // SRv6 SIDs
      })
  void refusesIpv6OutsideGlobalUnicast(String host) {
    ApiException e =
        assertThrows(ApiException.class, () -> strict.check("http://" + host + "/hook"));
    assertEquals(ErrorCode.INVALID_WEBHOOK, e.code());
    assertTrue(e.getMessage().contains("non-public address"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[2606:4700:4700::1111]",
        "[2001:4860:4860::8888]",
        "[2a00:1450:4001::1]",
        "[2001:1::1]", // port control anycast: globally reachable
        "[2001:200::1]" // just past 2001::/23's special blocks
      })
  void acceptsGlobalUnicastIpv6(String host) {
    assertDoesNotThrow(() -> strict.check("https://" + host + ":8443/hook"));
  }

  @Test
  void refusesIpv4MappedLiteralsEvenForPublicAddresses() {
    ApiException e =
        assertThrows(ApiException.class, () -> strict.check("http://[::ffff:8.8.8.8]/hook"));
    assertEquals(ErrorCode.INVALID_WEBHOOK, e.code());
    assertTrue(e.getMessage().contains("IPv4-mapped"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://[fe80::1%25eth0]/hook", "http://[2606:4700::1111%251]/hook"})
  void refusesZoneIds(String url) {
    assertEquals(
        ErrorCode.INVALID_WEBHOOK,
        assertThrows(ApiException.class, () -> strict.check(url)).code());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00::1]/hook"
      })
  void allowsPrivateAddressesOnlyWhenConfigured(String url) {
    assertEquals(
        ErrorCode.INVALID_WEBHOOK,
        assertThrows(ApiException.class, () -> strict.check(url)).code());
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
        "http://user@bücher.example/hook",
        "https://8.8.8.8/hook#fragment",
        "https://8.8.8.8:99999/hook",
        "https://8.8.8.8:0/hook",
        "https://8.8.8.8:http/hook",
        "http://%31%32%37.0.0.1/hook",
        "http://exa mple.com/hook",
        "not a url"
      })
  void refusesOtherSchemesCredentialsBadPortsAndMalformedUrlsEvenWhenPrivateAddressesAreAllowed(
      String url) {
    ApiException e = assertThrows(ApiException.class, () -> lenient.check(url));
    assertEquals(ErrorCode.INVALID_WEBHOOK, e.code());
    assertTrue(e.getMessage().startsWith("webhook"), e.getMessage());
  }

  @Test
  void portOutOfRangeIsNamedInTheMessage() {
    ApiException e =
        assertThrows(ApiException.class, () -> lenient.check("https://8.8.8.8:99999/hook"));
    assertTrue(e.getMessage().contains("99999") && e.getMessage().contains("1 to 65535"));
    assertDoesNotThrow(() -> strict.check("https://8.8.8.8:65535/hook"));
    assertDoesNotThrow(() -> strict.check("https://8.8.8.8:1/hook"));
  }

  @Test
  void acceptsInternationalisedHostsInTheirAsciiForm() throws Exception {
    List<String> looked = new ArrayList<>();
    WebhookUrlPolicy policy =
        new WebhookUrlPolicy(
            false,
            host -> {
              looked.add(host);
              return new InetAddress[] {InetAddress.getByName("93.184.215.14")};
            });
    URI uri = policy.check("https://bücher.example:8443/hooks/ü?x=1");
    assertEquals("xn--bcher-kva.example", uri.getHost());
    assertEquals(8443, uri.getPort());
    assertEquals("/hooks/ü", uri.getPath());
    assertEquals("x=1", uri.getQuery());
    assertEquals(List.of("xn--bcher-kva.example"), looked);
    assertEquals("xn--bcher-kva.example", WebhookUrlPolicy.parse(uri.toString()).getHost());
  }

  @Test
  void refusesAHostWhenAnyOfItsAddressesIsNotPublic() {
    Map<String, List<String>> dns =
        Map.of(
            "split.example", List.of("8.8.8.8", "127.0.0.1"),
            "v6.example", List.of("2606:4700::1111", "64:ff9b::a9fe:a9fe"),
            "fine.example", List.of("8.8.8.8", "2606:4700::1111"));
    WebhookUrlPolicy policy = new WebhookUrlPolicy(false, fake(dns));
    ApiException split =
        assertThrows(ApiException.class, () -> policy.check("https://split.example/h"));
    assertTrue(split.getMessage().contains("127.0.0.1"), split.getMessage());
    ApiException v6 = assertThrows(ApiException.class, () -> policy.check("https://v6.example/h"));
    assertTrue(v6.getMessage().contains("169.254.169.254"), v6.getMessage());
    assertDoesNotThrow(() -> policy.check("https://fine.example/h"));
    ApiException unknown =
        assertThrows(ApiException.class, () -> policy.check("https://nowhere.example/h"));
    assertTrue(unknown.getMessage().contains("does not resolve"), unknown.getMessage());
  }

  @Test
  void aHostThatRebindsToAPrivateAddressAfterSubmissionIsRefusedOnTheNextCheck() throws Exception {
    AtomicReference<String> answer = new AtomicReference<>("8.8.8.8");
    WebhookUrlPolicy policy =
        new WebhookUrlPolicy(
            false, host -> new InetAddress[] {InetAddress.getByName(answer.get())});
    URI uri = policy.check("https://rebind.example/hook");
    answer.set("169.254.169.254");
    WebhookUrlPolicy.RefusedAddressException e =
        assertThrows(WebhookUrlPolicy.RefusedAddressException.class, () -> policy.addresses(uri));
    assertTrue(e.getMessage().contains("link-local"), e.getMessage());
  }

  private static WebhookUrlPolicy.Resolver fake(Map<String, List<String>> dns) {
    return host -> {
      List<String> answers = dns.get(host);
      if (answers == null) {
        throw new UnknownHostException(host);
      }
      InetAddress[] addresses = new InetAddress[answers.size()];
      for (int i = 0; i < addresses.length; i++) {
        addresses[i] = InetAddress.getByName(answers.get(i));
      }
      return addresses;
    };
  }
}
