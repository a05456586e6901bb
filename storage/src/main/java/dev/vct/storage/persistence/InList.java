package dev.vct.storage.persistence;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.StringJoiner;

/**
 * An HQL {@code in} list whose values are bound one parameter each ({@code id in (?1, ?2, ?3, ?4)})
 * instead of one collection parameter ({@code id in ?1}).
 *
 * <p>Why: Hibernate caches a query's translation to SQL only when no parameter is bound to a
 * collection; a collection-valued parameter makes it translate the query again on every execution
 * (a tenth of the orchestrator's CPU in {@code ./vct bench jobs}, docs/bench-jobs.md). With one
 * parameter per value the translation is cached per query text, and the value count is padded to
 * the next power of two (the last value repeated, which changes no result) so that a query has a
 * handful of texts, not one per count. The SQL is the same {@code in} list as before.
 */
public final class InList {
  private InList() {}

  /**
   * The values, without duplicates, padded with the last one to a power of two; at least one value
   * is required (an empty {@code in} list selects nothing: callers return early).
   */
  public static List<Object> values(Collection<?> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("an in list needs at least one value");
    }
    List<Object> distinct = new ArrayList<>(values.stream().distinct().toList());
    int size = Integer.highestOneBit(distinct.size());
    if (size < distinct.size()) {
      size <<= 1;
    }
    Object last = distinct.get(distinct.size() - 1);
    while (distinct.size() < size) {
      distinct.add(last);
    }
    return distinct;
  }

  /**
   * {@code (?first, ?first+1, ...)} for {@code count} positional parameters, to bind {@link
   * #values} from {@code first} on.
   */
  public static String parameters(int first, int count) {
    StringJoiner list = new StringJoiner(", ", "(", ")");
    for (int i = 0; i < count; i++) {
      list.add("?" + (first + i));
    }
    return list.toString();
  }
}
