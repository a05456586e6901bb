package dev.vct.engine.tensor;

import java.nio.file.Path;

/** A safetensors file that cannot be read: the message names the file and the problem. */
public class SafeTensorsException extends RuntimeException {

  public SafeTensorsException(Path file, String problem) {
    super(file + ": " + problem);
  }

  public SafeTensorsException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
