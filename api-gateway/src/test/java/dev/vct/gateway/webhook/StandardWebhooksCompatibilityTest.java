package dev.vct.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vct.storage.webhook.WebhookSecret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our signatures verify with the Standard Webhooks reference library (the {@code standardwebhooks}
 * npm package), not only with our own code. The package is installed into a temporary directory
 * with npm; without npm or a reachable registry the test is skipped and says so.
 */
class StandardWebhooksCompatibilityTest {
  private static final String PACKAGE = "standardwebhooks@1";
  private static final String VERIFY =
      """
      const { Webhook } = require('standardwebhooks');
      const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      const results = input.map((c) => {
        try {
          new Webhook(c.secret).verify(c.payload, {
            'webhook-id': c.id,
            'webhook-timestamp': String(c.timestamp),
            'webhook-signature': c.signature,
          });
          return 'verified';
        } catch (e) {
          return 'refused';
        }
      });
      process.stdout.write(JSON.stringify(results));
      """;

  private static Path dir;
  private static String unavailable;

  @BeforeAll
  static void installReferenceLibrary() throws IOException, InterruptedException {
    dir = Files.createTempDirectory("vct-standardwebhooks-");
    Run npm;
    try {
      npm =
          run(
              List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", ".", PACKAGE),
              "",
              180);
    } catch (IOException e) {
      unavailable = "npm is not installed (" + e.getMessage() + ")";
      return;
    }
    if (npm.exit() != 0 || !Files.isDirectory(dir.resolve("node_modules/standardwebhooks"))) {
      unavailable =
          "npm could not install " + PACKAGE + " (registry unreachable?): " + tail(npm.output());
      return;
    }
    Files.writeString(dir.resolve("verify.js"), VERIFY);
  }

  @AfterAll
  static void removeIt() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private record Case(String secret, String id, long timestamp, String payload, String signature) {}

  @Test
  void ourSignaturesVerifyWithTheReferenceLibraryAndTamperingIsCaught() throws Exception {
    assumeTrue(unavailable == null, () -> "Skipped: " + unavailable);
    String secret = WebhookSecret.generate(UUID.randomUUID()).secret;
    String otherSecret = WebhookSecret.generate(UUID.randomUUID()).secret;
    byte[] key = java.util.Base64.getDecoder().decode(secret.substring("whsec_".length()));
    long now = Instant.now().getEpochSecond();
    List<String> payloads =
        List.of(
            "{\"type\":\"job.completed\",\"timestamp\":\"2026-12-06T20:00:00Z\",\"data\":{}}",
            "{\"type\":\"job.progress\",\"data\":{\"stage\":\"fusion\",\"note\":\"bücher ✓ 🎨\"}}",
            "");
    List<Case> cases = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (String payload : payloads) {
      String id = UUID.randomUUID().toString();
      String signature = WebhookSigner.sign(key, id, now, payload);
      cases.add(new Case(secret, id, now, payload, signature));
      expected.add("verified");
      cases.add(new Case(secret, id, now, payload + " ", signature)); // body changed
      expected.add("refused");
      cases.add(new Case(otherSecret, id, now, payload, signature)); // another tenant's secret
      expected.add("refused");
      cases.add(new Case(secret, id + "x", now, payload, signature)); // another message id
      expected.add("refused");
    }
    ObjectMapper json = new ObjectMapper();
    Run node = run(List.of("node", "verify.js"), json.writeValueAsString(cases), 60);
    assertEquals(0, node.exit(), node.output());
    List<?> results = json.readValue(node.output(), List.class);
    assertEquals(expected, results, "per case: " + Map.of("cases", cases));
  }

  private record Run(int exit, String output) {}

  private static Run run(List<String> command, String stdin, int timeoutSeconds)
      throws IOException, InterruptedException {
    Path output = Files.createTempFile(dir, "output-", ".txt");
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return new Run(-1, "timed out after " + timeoutSeconds + " s");
    }
    return new Run(process.exitValue(), Files.readString(output));
  }

  private static String tail(String output) {
    return output.length() <= 400 ? output : output.substring(output.length() - 400);
  }
}
