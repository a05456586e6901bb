package dev.vct.engine.parity;

import java.util.List;

/**
 * Recomputes the outputs of one kind of oracle fixture (one manifest {@code component}) with the
 * engine and compares them with the stored ones.
 */
public interface ParityCheck {

  /** The manifest {@code component} this check handles, e.g. {@code ddim_scheduler}. */
  String component();

  /** Runs the fixture's recipe and returns one comparison per compared output. */
  List<Comparison> run(Fixture fixture) throws Exception;
}
