package dev.vct.engine.vct;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * prompt-to-prompt's refinement aligner ({@code seq_aligner.get_refinement_mapper}): a global
 * alignment (gap 0, match 1, mismatch −1) of the source prompt's token ids with the target's, which
 * maps every target position to the source position whose attention it inherits ({@code mapper})
 * and marks target tokens without a source counterpart with α = 0 ({@code alphas}).
 */
final class PromptAligner {

  private static final int GAP = 0;
  private static final int MATCH = 1;
  private static final int MISMATCH = -1;

  /**
   * @param mapper target position → source position (−1 where unaligned, as the reference keeps it:
   *     torch then reads the last position, weighted by α = 0)
   * @param alphas 1 where the target position takes the source's attention, 0 where it keeps its
   *     own
   */
  record Refinement(long[] mapper, float[] alphas) {}

  private PromptAligner() {}

  /**
   * @param source ids of the source prompt with start and end tokens, unpadded
   * @param target ids of the target prompt with start and end tokens, unpadded
   * @param maxLength the context length (77)
   */
  static Refinement refinement(int[] source, int[] target, int maxLength) {
    if (target.length > maxLength || source.length > maxLength) {
      throw new IllegalArgumentException("prompts longer than " + maxLength + " tokens");
    }
    int[][] trace = globalAlign(source, target);
    List<long[]> pairs = new ArrayList<>(); // (target index, source index)
    int i = source.length;
    int j = target.length;
    while (i > 0 || j > 0) {
      int move = trace[i][j];
      if (move == 3) {
        i--;
        j--;
        pairs.add(new long[] {j, i});
      } else if (move == 1) {
        j--;
        pairs.add(new long[] {j, -1});
      } else if (move == 2) {
        i--;
      } else {
        break;
      }
    }
    Collections.reverse(pairs);
    long[] mapper = new long[maxLength];
    float[] alphas = new float[maxLength];
    java.util.Arrays.fill(alphas, 1f);
    for (int k = 0; k < pairs.size(); k++) {
      mapper[k] = pairs.get(k)[1];
      alphas[k] = pairs.get(k)[1] != -1 ? 1f : 0f;
    }
    for (int k = pairs.size(); k < maxLength; k++) {
      mapper[k] = target.length + (k - pairs.size());
    }
    return new Refinement(mapper, alphas);
  }

  /** Needleman-Wunsch; ties prefer left (1), then up (2), then diagonal (3), as the reference. */
  private static int[][] globalAlign(int[] x, int[] y) {
    int[][] score = new int[x.length + 1][y.length + 1];
    int[][] trace = new int[x.length + 1][y.length + 1];
    for (int j = 1; j <= y.length; j++) {
      score[0][j] = j * GAP;
      trace[0][j] = 1;
    }
    for (int i = 1; i <= x.length; i++) {
      score[i][0] = i * GAP;
      trace[i][0] = 2;
    }
    trace[0][0] = 4;
    for (int i = 1; i <= x.length; i++) {
      for (int j = 1; j <= y.length; j++) {
        int left = score[i][j - 1] + GAP;
        int up = score[i - 1][j] + GAP;
        int diag = score[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? MATCH : MISMATCH);
        int best = Math.max(left, Math.max(up, diag));
        score[i][j] = best;
        trace[i][j] = best == left ? 1 : best == up ? 2 : 3;
      }
    }
    return trace;
  }
}
