package dev.vct.engine.nn;

/**
 * An attention processor that a model may also run inside its TorchScript function: installed in
 * every attention layer of a model, it says for each model call how the script computes attention,
 * so that the whole call stays one native call. Its {@link #attend} stays the reference the script
 * must reproduce.
 */
public interface ScriptableAttentionProcessor extends AttentionProcessor {

  /**
   * The script of a model call, or null when this call must run in Java.
   *
   * @param context the caller's step information
   * @param batch the model's batch size
   * @param scoreElements the most attention scores one layer computes in this call (batch x heads x
   *     queries x keys)
   */
  ScriptedAttention scripted(AttentionContext context, long batch, long scoreElements);
}
