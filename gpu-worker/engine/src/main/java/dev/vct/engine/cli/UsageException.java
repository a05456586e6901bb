package dev.vct.engine.cli;

/** Wrong command-line arguments: printed with the command's usage, exit status 2. */
public class UsageException extends RuntimeException {

  public UsageException(String message) {
    super(message);
  }
}
