package dev.vct.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vct.engine.vct.ContentInversionParams;
import java.util.List;
import org.junit.jupiter.api.Test;

class VctOptionsTest {

  private static VctOptions options(String... argv) {
    return new VctOptions(Args.parse(List.of(argv), VctOptions.VALUED, VctOptions.SWITCHES));
  }

  /** Issue 15: one guidance for the content path and fusion's content branch. */
  @Test
  void guidanceGuidesContentInversionsFitAndLatentUpdateAndFusion() {
    VctOptions options = options("--guidance", "3");
    ContentInversionParams content = options.content();
    assertEquals(3.0, content.guidance());
    assertEquals(3.0, content.updateGuidance());
    assertEquals(3.0, options.fusion().guidance());
    assertEquals(
        ContentInversionParams.OFFICIAL_UPDATE_GUIDANCE, options().content().updateGuidance());
  }
}
