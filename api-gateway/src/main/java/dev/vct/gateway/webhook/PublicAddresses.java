package dev.vct.gateway.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * Which addresses a webhook may reach: global unicast only. Every IPv4 special-purpose block that
 * is not globally reachable is refused; IPv6 must be in 2000::/3 outside its special blocks, and
 * the IPv6 forms that carry an IPv4 address (NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the
 * IPv4 address they lead to. Blocks follow the IANA special-purpose address registries.
 */
final class PublicAddresses {
  private record Block(byte[] prefix, int bits, String name) {
    boolean contains(byte[] address) {
      if (address.length != prefix.length) {
        return false;
      }
      for (int bit = 0; bit < bits; bit += 8) {
        int mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
        if ((address[bit / 8] & mask) != (prefix[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  private static final List<Block> IPV4_REFUSED =
      List.of(
          v4("0.0.0.0", 8, "'this network' (0.0.0.0/8)"),
          v4("10.0.0.0", 8, "private (10.0.0.0/8)"),
          v4("100.64.0.0", 10, "carrier-grade NAT (100.64.0.0/10)"),
          v4("127.0.0.0", 8, "loopback (127.0.0.0/8)"),
          v4("169.254.0.0", 16, "link-local, cloud metadata (169.254.0.0/16)"),
          v4("172.16.0.0", 12, "private (172.16.0.0/12)"),
          v4("192.0.0.0", 24, "IETF protocol assignments (192.0.0.0/24)"),
          v4("192.0.2.0", 24, "documentation (192.0.2.0/24)"),
          v4("192.88.99.0", 24, "6to4 relay anycast (192.88.99.0/24)"),
          v4("192.168.0.0", 16, "private (192.168.0.0/16)"),
          v4("198.18.0.0", 15, "benchmarking (198.18.0.0/15)"),
          v4("198.51.100.0", 24, "documentation (198.51.100.0/24)"),
          v4("203.0.113.0", 24, "documentation (203.0.113.0/24)"),
          v4("224.0.0.0", 4, "multicast (224.0.0.0/4)"),
          v4("240.0.0.0", 4, "reserved or broadcast (240.0.0.0/4)"));

  private static final Block IPV4_COMPATIBLE = v6("::", 96, "IPv4-compatible (::/96)");
  private static final Block IPV4_MAPPED = v6("::ffff:0:0", 96, "IPv4-mapped (::ffff:0:0/96)");
  private static final Block IPV4_TRANSLATED =
      v6("::ffff:0:0:0", 96, "IPv4-translated (::ffff:0:0:0/96)");
  private static final Block NAT64 = v6("64:ff9b::", 96, "NAT64");
  private static final Block SIX_TO_FOUR = v6("2002::", 16, "6to4");
  private static final Block GLOBAL_UNICAST = v6("2000::", 3, "global unicast (2000::/3)");

  /** IPv6 blocks refused outright, checked in order (more specific first). */
  private static final List<Block> IPV6_REFUSED =
      List.of(
          v6("::", 128, "unspecified (::)"),
          v6("::1", 128, "loopback (::1)"),
          IPV4_COMPATIBLE,
          IPV4_MAPPED,
          IPV4_TRANSLATED,
          v6("64:ff9b:1::", 48, "local-use NAT64 (64:ff9b:1::/48)"),
          v6("100::", 64, "discard-only (100::/64)"),
          v6("2001::", 32, "Teredo (2001::/32)"),
          v6("2001:2::", 48, "benchmarking (2001:2::/48)"),
          v6("2001:10::", 28, "ORCHID (2001:10::/28)"),
          v6("2001:20::", 28, "ORCHIDv2 (2001:20::/28)"),
          v6("2001:db8::", 32, "documentation (2001:db8::/32)"),
          v6("3fff::", 20, "documentation (3fff::/20)"),
          v6("fc00::", 7, "unique local (fc00::/7)"),
          v6("fe80::", 10, "link-local (fe80::/10)"),
          v6("fec0::", 10, "site-local (fec0::/10)"),
          v6("ff00::", 8, "multicast (ff00::/8)"));

  private PublicAddresses() {}

  /** Why the address is not a global unicast destination, or empty when it is one. */
  static Optional<String> whyNotPublic(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (address instanceof Inet4Address) {
      return ipv4(bytes);
    }
    Inet6Address v6 = (Inet6Address) address;
    if (v6.getScopeId() != 0 || v6.getScopedInterface() != null) {
      return Optional.of("an address with a zone id");
    }
    if (NAT64.contains(bytes)) {
      return embedded(NAT64, slice(bytes, 12));
    }
    if (SIX_TO_FOUR.contains(bytes)) {
      return embedded(SIX_TO_FOUR, slice(bytes, 2));
    }
    for (Block block : IPV6_REFUSED) {
      if (block.contains(bytes)) {
        return Optional.of(block.name());
      }
    }
    if (!GLOBAL_UNICAST.contains(bytes)) {
      return Optional.of("outside IPv6 global unicast (2000::/3)");
    }
    return Optional.empty();
  }

  private static Optional<String> ipv4(byte[] bytes) {
    for (Block block : IPV4_REFUSED) {
      if (block.contains(bytes)) {
        return Optional.of(block.name());
      }
    }
    return Optional.empty();
  }

  private static Optional<String> embedded(Block form, byte[] ipv4) {
    return ipv4(ipv4).map(why -> form.name() + " of the IPv4 " + dotted(ipv4) + ", " + why);
  }

  private static byte[] slice(byte[] bytes, int from) {
    return new byte[] {bytes[from], bytes[from + 1], bytes[from + 2], bytes[from + 3]};
  }

  private static String dotted(byte[] ipv4) {
    return (ipv4[0] & 0xff)
        + "."
        + (ipv4[1] & 0xff)
        + "."
        + (ipv4[2] & 0xff)
        + "."
        + (ipv4[3] & 0xff);
  }

  private static Block v4(String address, int bits, String name) {
    return new Block(literal(address), bits, name);
  }

  private static Block v6(String address, int bits, String name) {
    byte[] bytes = literal(address);
    if (bytes.length == 4) {
      // InetAddress turns ::ffff:a.b.c.d into an Inet4Address; keep the 16-byte form.
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      bytes = mapped;
    }
    return new Block(bytes, bits, name);
  }

  private static byte[] literal(String address) {
    try {
      return InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address literal: " + address, e);
    }
  }
}
