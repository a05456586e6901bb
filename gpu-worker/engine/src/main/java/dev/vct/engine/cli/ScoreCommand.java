package dev.vct.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vct.engine.scoring.Scorer;
import dev.vct.engine.scoring.Scores;
import dev.vct.engine.scoring.ScoringModels;
import dev.vct.engine.scoring.ScoringModels.Setting;
import dev.vct.engine.scoring.WeightFile;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./vct score --source A --result B}: LPIPS(source, result) and BRISQUE(result) as JSON,
 * with the identities of the model files that produced them.
 */
final class ScoreCommand implements Command {

  private final Map<String, String> environment;

  ScoreCommand() {
    this(System.getenv());
  }

  /** With the environment the model-file variables are read from (tests pass their own). */
  ScoreCommand(Map<String, String> environment) {
    this.environment = environment;
  }

  @Override
  public String name() {
    return "score";
  }

  @Override
  public String summary() {
    return "LPIPS (vs the source) and BRISQUE of a translation result, as JSON";
  }

  @Override
  public String usage() {
    return """
        usage: ./vct score --source A.png --result B.png
                           [--lpips-weights F] [--brisque-model F --brisque-range F]

        Prints {"lpips": .., "brisque": .., "weights": {..}} on stdout. LPIPS (AlexNet, lower =
        closer to the source) needs both pictures at the same size, at least 31x31; BRISQUE
        (OpenCV, lower = better) is computed on the result. PNG and JPEG are accepted.

          --source FILE          the picture the translation started from, at the result's size
          --result FILE          the translated picture
          --lpips-weights FILE   LPIPS AlexNet safetensors      (default: $VCT_LPIPS_WEIGHTS)
          --brisque-model FILE   brisque_model_live.yml         (default: $VCT_BRISQUE_MODEL)
          --brisque-range FILE   brisque_range_live.yml         (default: $VCT_BRISQUE_RANGE)

        README.md (section "Scoring") says where to get or how to convert each model file.
        """;
  }

  @Override
  public int run(List<String> argv, PrintStream out) throws Exception {
    Set<String> valued = new HashSet<>(Set.of("source", "result"));
    for (Setting setting : Setting.values()) {
      valued.add(setting.flag().substring(2));
    }
    Args args = Args.parse(argv, valued, Set.of());
    if (args.help()) {
      out.print(usage());
      return 0;
    }
    args.positionals(0, "no positional arguments");
    Path source = args.path("source");
    Path result = args.path("result");
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    for (Setting setting : Setting.values()) {
      String name = setting.flag().substring(2);
      if (args.has(name)) {
        flags.put(setting, args.require(name));
      }
    }
    ScoringModels models = ScoringModels.resolve(flags, environment);
    try (Scorer scorer = Scorer.open(models)) {
      Scores scores = scorer.score(source, result);
      out.println(toJson(source, result, models, scores));
    }
    return 0;
  }

  private static String toJson(Path source, Path result, ScoringModels models, Scores scores)
      throws Exception {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("source", source.toString());
    root.put("result", result.toString());
    root.put("lpips", scores.lpips());
    root.put("brisque", scores.brisque());
    ObjectNode weights = root.putObject("weights");
    weights.set("lpips", weightFile(json, scores.lpipsWeights(), models.lpipsWeights()));
    weights.set("brisque_model", weightFile(json, scores.brisqueModel(), models.brisqueModel()));
    weights.set("brisque_range", weightFile(json, scores.brisqueRange(), models.brisqueRange()));
    return json.writeValueAsString(root);
  }

  private static ObjectNode weightFile(ObjectMapper json, WeightFile file, Path path) {
    ObjectNode node = json.createObjectNode();
    node.put("file", file.fileName());
    node.put("path", path.toString());
    node.put("sha256", file.sha256());
    return node;
  }
}
