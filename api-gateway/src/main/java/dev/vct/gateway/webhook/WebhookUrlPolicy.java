package dev.vct.gateway.webhook;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Which webhook URLs the gateway will call. Only http(s) URLs with a host and no credentials; and,
 * unless private addresses are allowed, none whose host resolves to a loopback, private, link-local
 * (cloud metadata), carrier-grade NAT, multicast or unspecified address, so a client cannot make
 * the gateway reach into its own network (SSRF).
 */
public final class WebhookUrlPolicy {
  private final boolean allowPrivateAddresses;

  public WebhookUrlPolicy(boolean allowPrivateAddresses) {
    this.allowPrivateAddresses = allowPrivateAddresses;
  }

  /** Checks a URL when a client submits it. */
  public URI check(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw refused("webhook.url is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw refused("webhook.url must be an http or https URL (got scheme '" + scheme + "')");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw refused("webhook.url must name a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw refused("webhook.url must not carry credentials; verify the signature instead");
    }
    if (uri.getRawFragment() != null) {
      throw refused("webhook.url must not have a #fragment");
    }
    try {
      addresses(uri);
    } catch (RefusedAddressException e) {
      throw refused(e.getMessage());
    }
    return uri;
  }

  /**
   * The addresses of the URL's host, all of them allowed; checked again before every delivery,
   * since DNS can change after submission.
   */
  public List<InetAddress> addresses(URI uri) throws RefusedAddressException {
    String host = uri.getHost();
    InetAddress[] resolved;
    try {
      resolved = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new RefusedAddressException("webhook host '" + host + "' does not resolve");
    }
    if (!allowPrivateAddresses) {
      for (InetAddress address : resolved) {
        if (isPrivate(address)) {
          throw new RefusedAddressException(
              "webhook host '"
                  + host
                  + "' resolves to the non-public address "
                  + address.getHostAddress()
                  + "; only public addresses are called");
        }
      }
    }
    return List.of(resolved);
  }

  static boolean isPrivate(InetAddress address) {
    if (address.isLoopbackAddress()
        || address.isAnyLocalAddress()
        || address.isLinkLocalAddress()
        || address.isSiteLocalAddress()
        || address.isMulticastAddress()) {
      return true;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return first == 0 // "this network"
          || (first == 100 && second >= 64 && second <= 127) // carrier-grade NAT
          || (first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
          || (first == 198 && (second == 18 || second == 19)) // benchmarking
          || first >= 240; // reserved and broadcast
    }
    if (address instanceof Inet6Address) {
      if ((b[0] & 0xfe) == 0xfc) {
        return true; // unique local fc00::/7
      }
      boolean mappedV4 = true;
      for (int i = 0; i < 10; i++) {
        mappedV4 &= b[i] == 0;
      }
      if (mappedV4 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        try {
          return isPrivate(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (UnknownHostException e) {
          throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
      }
    }
    return false;
  }

  private static ApiException refused(String message) {
    return new ApiException(ErrorCode.INVALID_WEBHOOK, message);
  }

  /** A webhook host that must not be called. */
  public static final class RefusedAddressException extends Exception {
    public RefusedAddressException(String message) {
      super(message, null, false, false);
    }
  }
}
