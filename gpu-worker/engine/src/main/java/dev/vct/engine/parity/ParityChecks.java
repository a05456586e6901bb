package dev.vct.engine.parity;

import dev.vct.engine.scheduler.DdimSchedulerParity;
import dev.vct.engine.scoring.BrisqueParity;
import dev.vct.engine.scoring.LpipsParity;
import dev.vct.engine.text.ClipTextEncoderParity;
import dev.vct.engine.tokenizer.ClipTokenizerParity;
import dev.vct.engine.unet.UNetAttentionMapsParity;
import dev.vct.engine.unet.UNetParity;
import dev.vct.engine.vae.VaeParity;
import dev.vct.engine.vct.VctConceptInversionParity;
import dev.vct.engine.vct.VctContentInversionParity;
import dev.vct.engine.vct.VctDdimInversionParity;
import dev.vct.engine.vct.VctFusionParity;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Every parity check of the engine, one line per fixture component (owners add theirs). */
public final class ParityChecks {

  private static final List<ParityCheck> ALL =
      List.of(
          new DdimSchedulerParity(),
          new ClipTokenizerParity(),
          new ClipTextEncoderParity(),
          new UNetParity(),
          new UNetAttentionMapsParity(),
          new VaeParity(),
          new LpipsParity(),
          new BrisqueParity(),
          new VctDdimInversionParity(),
          new VctContentInversionParity(),
          new VctConceptInversionParity(),
          new VctFusionParity());

  private static final Map<String, ParityCheck> BY_COMPONENT =
      ALL.stream().collect(Collectors.toMap(ParityCheck::component, Function.identity()));

  private ParityChecks() {}

  public static List<ParityCheck> all() {
    return ALL;
  }

  /** The check for a manifest {@code component}, if the engine has one. */
  public static Optional<ParityCheck> forComponent(String component) {
    return Optional.ofNullable(BY_COMPONENT.get(component));
  }
}
