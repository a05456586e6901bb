package dev.vct.storage.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class InListTest {

  @Test
  void padsDistinctValuesToAPowerOfTwoWithTheLastOne() {
    assertEquals(List.of("a"), InList.values(List.of("a")));
    assertEquals(List.of("a", "b"), InList.values(List.of("a", "b", "a")));
    assertEquals(List.of("a", "b", "c", "c"), InList.values(List.of("a", "b", "c")));
    assertEquals(List.of(1, 2, 3, 4, 5, 5, 5, 5), InList.values(List.of(1, 2, 3, 4, 5)));
    assertEquals(8, InList.values(List.of(1, 2, 3, 4, 5, 6, 7, 8)).size());
  }

  @Test
  void numbersOneParameterPerValueFromTheFirst() {
    assertEquals("(?1)", InList.parameters(1, 1));
    assertEquals("(?3, ?4, ?5, ?6)", InList.parameters(3, 4));
  }

  @Test
  void refusesAnEmptyList() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> InList.values(List.of()));
    assertEquals("an in list needs at least one value", e.getMessage());
  }
}
