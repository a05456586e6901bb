package dev.vct.gateway.webhook;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import java.net.IDN;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which webhook URLs the gateway will call: http(s) URLs with a host (internationalised names in
 * their ASCII form), a port from 1 to 65535, no credentials and no fragment; and, unless private
 * addresses are allowed, only hosts whose every address is global unicast ({@link
 * PublicAddresses}), so a client cannot make the gateway reach into its own network (SSRF). The
 * dispatcher checks the addresses again before each delivery and connects to the address it
 * checked, so a host that later resolves elsewhere (DNS rebinding) is refused too.
 */
public final class WebhookUrlPolicy {
  /** Name resolution, replaceable in tests. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final boolean allowPrivateAddresses;
  private final Resolver resolver;

  public WebhookUrlPolicy(boolean allowPrivateAddresses) {
    this(allowPrivateAddresses, InetAddress::getAllByName);
  }

  public WebhookUrlPolicy(boolean allowPrivateAddresses, Resolver resolver) {
    this.allowPrivateAddresses = allowPrivateAddresses;
    this.resolver = resolver;
  }

  /**
   * Checks a URL when a client submits it.
   *
   * @return the URL as it is stored and called: an internationalised host in its ASCII form
   */
  public URI check(String url) {
    try {
      URI uri = parse(url);
      addresses(uri);
      return uri;
    } catch (RefusedAddressException e) {
      throw new ApiException(ErrorCode.INVALID_WEBHOOK, e.getMessage());
    }
  }

  /** The URL's syntax rules, without resolving its host. */
  public static URI parse(String url) throws RefusedAddressException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new RefusedAddressException("webhook.url is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new RefusedAddressException(
          "webhook.url must be an http or https URL (got scheme '" + scheme + "')");
    }
    if (uri.getRawFragment() != null) {
      throw new RefusedAddressException("webhook.url must not have a #fragment");
    }
    if (uri.getHost() == null) {
      uri = withAsciiHost(uri, scheme);
    }
    if (uri.getRawUserInfo() != null) {
      throw new RefusedAddressException(
          "webhook.url must not carry credentials; verify the signature instead");
    }
    if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
      throw new RefusedAddressException(
          "webhook.url has the port " + uri.getPort() + "; a port is 1 to 65535");
    }
    if (uri.getHost().contains("%")) {
      throw new RefusedAddressException(
          "webhook.url must not name an IPv6 zone (the '%' part); use a public address");
    }
    return uri;
  }

  /**
   * An authority that java.net.URI does not read as host and port: an internationalised host name
   * (turned into its ASCII "xn--" form), a port that is not a number, or no host at all.
   */
  private static URI withAsciiHost(URI uri, String scheme) throws RefusedAddressException {
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isEmpty()) {
      throw new RefusedAddressException("webhook.url must name a host");
    }
    if (authority.contains("@")) {
      throw new RefusedAddressException(
          "webhook.url must not carry credentials; verify the signature instead");
    }
    int colon = authority.lastIndexOf(':');
    String host = colon < 0 ? authority : authority.substring(0, colon);
    String port = colon < 0 ? "" : authority.substring(colon);
    if (!port.isEmpty() && !port.substring(1).chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new RefusedAddressException("webhook.url has a port that is not a number");
    }
    String ascii;
    try {
      ascii = IDN.toASCII(host, IDN.USE_STD3_ASCII_RULES);
    } catch (IllegalArgumentException e) {
      throw new RefusedAddressException(
          "webhook.url's host '" + host + "' is not a valid host name");
    }
    StringBuilder rebuilt = new StringBuilder(scheme).append("://").append(ascii).append(port);
    rebuilt.append(uri.getRawPath() == null ? "" : uri.getRawPath());
    if (uri.getRawQuery() != null) {
      rebuilt.append('?').append(uri.getRawQuery());
    }
    try {
      URI ascified = new URI(rebuilt.toString());
      if (ascified.getHost() == null || ascified.getHost().isEmpty()) {
        throw new RefusedAddressException("webhook.url must name a host");
      }
      return ascified;
    } catch (URISyntaxException e) {
      throw new RefusedAddressException("webhook.url is not a valid URL");
    }
  }

  /**
   * The addresses of the URL's host, all of them allowed; checked again before every delivery,
   * since DNS can change after submission.
   */
  public List<InetAddress> addresses(URI uri) throws RefusedAddressException {
    String host = uri.getHost();
    InetAddress[] resolved;
    try {
      resolved = resolver.resolve(host);
    } catch (UnknownHostException e) {
      throw new RefusedAddressException("webhook host '" + host + "' does not resolve");
    }
    if (resolved.length == 0) {
      throw new RefusedAddressException("webhook host '" + host + "' does not resolve");
    }
    if (!allowPrivateAddresses) {
      if (host.startsWith("[") && resolved[0] instanceof Inet4Address) {
        throw new RefusedAddressException(
            "webhook host "
                + host
                + " is an IPv4-mapped IPv6 address (::ffff:0:0/96); write the IPv4 address"
                + " itself");
      }
      for (InetAddress address : resolved) {
        checkConnectable(host, address);
      }
    }
    return List.of(resolved);
  }

  /** Refuses an address the gateway is about to use (or has connected to) for {@code host}. */
  public void checkConnectable(String host, InetAddress address) throws RefusedAddressException {
    if (allowPrivateAddresses) {
      return;
    }
    Optional<String> why = PublicAddresses.whyNotPublic(address);
    if (why.isPresent()) {
      throw new RefusedAddressException(
          "webhook host '"
              + host
              + "' resolves to the non-public address "
              + address.getHostAddress()
              + ", "
              + why.get()
              + "; only global unicast addresses are called");
    }
  }

  /** A webhook URL or host that must not be called. */
  public static final class RefusedAddressException extends Exception {
    public RefusedAddressException(String message) {
      super(message, null, false, false);
    }
  }
}
