package dev.vct.engine.scoring;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The three files scoring needs. Each comes from a command-line flag or, when the flag is absent,
 * from an environment variable (the worker service binds the same variables through its config
 * properties {@code vct.lpips.weights}, {@code vct.brisque.model}, {@code vct.brisque.range}).
 */
public record ScoringModels(Path lpipsWeights, Path brisqueModel, Path brisqueRange) {

  /** One model file setting: its flag, its environment variable and where a user gets the file. */
  public enum Setting {
    LPIPS_WEIGHTS(
        "--lpips-weights",
        "VCT_LPIPS_WEIGHTS",
        "LPIPS AlexNet weights (safetensors; README section 'Scoring' shows how to convert them)"),
    BRISQUE_MODEL(
        "--brisque-model",
        "VCT_BRISQUE_MODEL",
        "BRISQUE SVR model brisque_model_live.yml (opencv_contrib modules/quality/samples/)"),
    BRISQUE_RANGE(
        "--brisque-range",
        "VCT_BRISQUE_RANGE",
        "BRISQUE feature ranges brisque_range_live.yml (opencv_contrib modules/quality/samples/)");

    private final String flag;
    private final String environmentVariable;
    private final String description;

    Setting(String flag, String environmentVariable, String description) {
      this.flag = flag;
      this.environmentVariable = environmentVariable;
      this.description = description;
    }

    public String flag() {
      return flag;
    }

    public String environmentVariable() {
      return environmentVariable;
    }

    public String description() {
      return description;
    }
  }

  public ScoringModels {
    if (lpipsWeights == null || brisqueModel == null || brisqueRange == null) {
      throw new IllegalArgumentException("all three scoring model files are required");
    }
  }

  /**
   * Resolves every setting from {@code flags} first, then {@code environment}, and checks each file
   * is a readable regular file. Fails with one message listing every problem, each naming the flag
   * and the environment variable that set (or would set) it.
   */
  public static ScoringModels resolve(Map<Setting, String> flags, Map<String, String> environment) {
    Map<Setting, Path> paths = new EnumMap<>(Setting.class);
    List<String> problems = new ArrayList<>();
    for (Setting setting : Setting.values()) {
      String fromFlag = flags.get(setting);
      String fromEnvironment = environment.get(setting.environmentVariable());
      String value = fromFlag != null ? fromFlag : fromEnvironment;
      if (value == null || value.isBlank()) {
        problems.add(
            setting.description()
                + " is not set: pass "
                + setting.flag()
                + " FILE or set "
                + setting.environmentVariable());
        continue;
      }
      Path path = Path.of(value);
      String origin = fromFlag != null ? setting.flag() : setting.environmentVariable();
      if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
        problems.add(
            setting.description()
                + ": "
                + path
                + " (from "
                + origin
                + ") is not a readable file; fix "
                + setting.flag()
                + " or "
                + setting.environmentVariable());
        continue;
      }
      paths.put(setting, path);
    }
    if (!problems.isEmpty()) {
      throw new ModelFileException(String.join("\n", problems));
    }
    return new ScoringModels(
        paths.get(Setting.LPIPS_WEIGHTS),
        paths.get(Setting.BRISQUE_MODEL),
        paths.get(Setting.BRISQUE_RANGE));
  }
}
