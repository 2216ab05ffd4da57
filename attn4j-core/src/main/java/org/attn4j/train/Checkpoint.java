package org.attn4j.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attn4j.io.AtomicFiles;
import org.attn4j.io.Json;
import org.attn4j.io.SafeTensors;
import org.attn4j.nn.Module;
import org.attn4j.optim.Optimizer;
import org.attn4j.tensor.Tensor;

/**
 * A training checkpoint directory: the model's state dict and the optimizer's state as safetensors files,
 * and {@code checkpoint.json} naming them with the epoch, the model name, the run's configuration and the
 * metrics history.
 *
 * <p>Crash safety: each file is written to a temporary name and renamed into place; the weights of epoch N
 * go to new files ({@code model-epochN.safetensors}), and the manifest is replaced last. Until that final
 * rename the previous manifest still names the previous, complete files, so an interrupted run (Ctrl-C, a
 * full disk, a killed JVM) always leaves the last complete checkpoint loadable. Files of older epochs are
 * removed only after the new manifest is in place.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static final String MANIFEST = "checkpoint.json";
    public static final String FORMAT = "attn4j-checkpoint/1";

    /** A checkpoint read back from {@code dir}: the manifest's fields and the two state dicts. */
    public record Loaded(Path dir, String model, int epoch, Map<String, String> config, List<EpochStats> history,
                         Map<String, Tensor> modelState, Map<String, Tensor> optimizerState) {

        /**
         * Refuses a checkpoint of another model, naming both, before anything is loaded or overwritten (a
         * resumed run would otherwise fail at, or worse silently mix, the first mismatched tensor).
         */
        public void requireModel(String expected) {
            if (!model.equals(expected)) {
                throw new IllegalArgumentException("the checkpoint in " + dir + " is of model '" + model + "', not '" + expected + "'");
            }
        }

        /**
         * Puts this checkpoint into a freshly built {@code net} of model {@code modelName} (strictly: every
         * parameter and buffer, nothing else) and, unless null, into {@code optimizer} over its parameters
         * (whose state dict keeps each group's learning rate exactly, see {@link Optimizer#stateDict}).
         */
        public void restore(String modelName, Module net, Optimizer optimizer) {
            requireModel(modelName);
            net.loadStateDict(modelState, true);
            if (optimizer != null) optimizer.loadStateDict(optimizerState);
        }
    }

    /** Writes the checkpoint of {@code epoch} (1-based, completed epochs) into {@code dir}. */
    public static void save(Path dir, String modelName, int epoch, Module model, Optimizer optimizer,
                            Map<String, String> config, List<EpochStats> history) throws IOException {
        Files.createDirectories(dir);
        String weights = "model-epoch" + epoch + ".safetensors";
        String optim = "optimizer-epoch" + epoch + ".safetensors";
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("attn4j.model", modelName);
        meta.put("attn4j.epoch", Integer.toString(epoch));
        SafeTensors.save(dir.resolve(weights), model.stateDict(), meta);
        if (optimizer != null) SafeTensors.save(dir.resolve(optim), optimizer.stateDict(), Map.of("attn4j.epoch", Integer.toString(epoch)));

        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", FORMAT);
        manifest.put("model", modelName);
        manifest.put("epoch", (long) epoch);
        manifest.put("weights", weights);
        manifest.put("optimizer", optimizer == null ? null : optim);
        manifest.put("config", new LinkedHashMap<>(config));
        List<Object> hist = new ArrayList<>();
        for (EpochStats s : history) hist.add(statsToJson(s));
        manifest.put("history", hist);
        AtomicFiles.writeString(dir.resolve(MANIFEST), Json.write(manifest) + "\n");

        // The new manifest is in place: files of other epochs are no longer referenced.
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*-epoch*.safetensors")) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                if (!n.equals(weights) && !n.equals(optim)) Files.deleteIfExists(f);
            }
        }
    }

    /** Reads a checkpoint directory; errors name the directory and what is wrong. */
    @SuppressWarnings("unchecked")
    public static Loaded load(Path dir) throws IOException {
        Path mf = dir.resolve(MANIFEST);
        String text;
        try {
            text = Files.readString(mf, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("checkpoint: no " + MANIFEST + " in " + dir + " (is this a training output directory?)");
        }
        Map<String, Object> m;
        try {
            m = (Map<String, Object>) Json.parse(text);
        } catch (RuntimeException e) {
            throw new IOException("checkpoint: " + mf + " is not valid JSON: " + e.getMessage());
        }
        if (!FORMAT.equals(m.get("format"))) {
            throw new IOException("checkpoint: " + mf + " has format " + m.get("format") + ", expected " + FORMAT);
        }
        if (!(m.get("model") instanceof String model) || !(m.get("epoch") instanceof Number ep) || !(m.get("weights") instanceof String w)) {
            throw new IOException("checkpoint: " + mf + " lacks its model name, epoch or weights file");
        }
        int epoch = ep.intValue();
        Map<String, String> config = new LinkedHashMap<>();
        Object cfg = m.get("config");
        if (cfg instanceof Map<?, ?> c) c.forEach((k, v) -> config.put((String) k, String.valueOf(v)));
        List<EpochStats> history = new ArrayList<>();
        Object h = m.get("history");
        if (h instanceof List<?> list) for (Object o : list) history.add(statsFromJson((Map<String, Object>) o));
        Map<String, Tensor> weights = stateFile(mf, dir.resolve(w));
        Map<String, Tensor> optim = m.get("optimizer") instanceof String o ? stateFile(mf, dir.resolve(o)) : Map.of();
        return new Loaded(dir, model, epoch, config, history, weights, optim);
    }

    /** A state file the manifest names; a corrupt one is named by the safetensors reader's message. */
    private static Map<String, Tensor> stateFile(Path manifest, Path file) throws IOException {
        try {
            return SafeTensors.load(file);
        } catch (NoSuchFileException e) {
            throw new IOException("checkpoint: " + manifest + " names " + file + ", which does not exist");
        }
    }

    static Map<String, Object> statsToJson(EpochStats s) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("epoch", (long) s.epoch());
        o.put("train_loss", finite(s.trainLoss()));
        o.put("train_acc", finite(s.trainAccuracy()));
        o.put("test_loss", finite(s.testLoss()));
        o.put("test_acc", finite(s.testAccuracy()));
        o.put("test_top5", finite(s.testTopK()));
        o.put("seconds", finite(s.seconds()));
        o.put("images_per_second", finite(s.imagesPerSecond()));
        o.put("lr", finite(s.lr()));
        return o;
    }

    /** JSON has no NaN or infinity: such values are written as null (and read back as NaN). */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    static EpochStats statsFromJson(Map<String, Object> o) {
        return new EpochStats(((Number) o.get("epoch")).intValue(), num(o, "train_loss"), num(o, "train_acc"),
                num(o, "test_loss"), num(o, "test_acc"), num(o, "test_top5"), num(o, "seconds"),
                num(o, "images_per_second"), num(o, "lr"));
    }

    private static double num(Map<String, Object> o, String k) {
        Object v = o.get(k);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
