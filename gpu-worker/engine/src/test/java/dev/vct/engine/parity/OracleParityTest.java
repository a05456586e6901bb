package dev.vct.engine.parity;

import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every oracle fixture through {@link ParityRunner}, one dynamic test per fixture. */
class OracleParityTest {

  private static NDManager manager;

  @BeforeAll
  static void startEngine() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stopEngine() {
    manager.close();
  }

  @TestFactory
  Stream<DynamicTest> everyFixtureMatchesTheOracle() {
    String property = System.getProperty("vct.fixtures.dir", "");
    Path root = Path.of(property.isEmpty() ? "vct.fixtures.dir-not-set" : property);
    Assumptions.assumeTrue(
        Files.isDirectory(root), "oracle fixtures not found at " + root.toAbsolutePath());
    return ParityRunner.fixtureDirs(root).stream()
        .map(
            dir ->
                DynamicTest.dynamicTest(
                    dir.getFileName().toString(),
                    () -> {
                      ParityResult result = ParityRunner.check(dir, manager);
                      System.out.println(result.line());
                      switch (result.status()) {
                        case PASS -> {}
                        case SKIP -> Assumptions.abort(result.line());
                        case FAIL -> fail(result.line());
                      }
                    }));
  }
}
