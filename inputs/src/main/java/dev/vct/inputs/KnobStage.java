package dev.vct.inputs;

/** The stages of a translation that read knobs (scoring reads none). */
public enum KnobStage {
  CONCEPT_INVERSION,
  CONTENT_INVERSION,
  FUSION
}
