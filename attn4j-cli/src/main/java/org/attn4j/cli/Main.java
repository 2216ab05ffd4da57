package org.attn4j.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The {@code attn4j} command line. Each subcommand is one class; this one only dispatches and turns
 * usage and input errors into one clear line and exit status 2 (1 for failures while running).
 */
public final class Main {
    private Main() {}

    static final String USAGE = """
            attn4j — attention networks for the JVM

            usage: attn4j <command> [options]

            commands:
              train          train a model on Fashion-MNIST, evaluating every epoch
                             (--model cnn|cnn-se|cnn-cbam|cnn-eca|vit|bilstm-attn, --epochs N, --batch-size B,
                              --lr X, --optimizer sgd|adam|adamw, --seed S, --threads T, --out DIR,
                              --resume DIR, --data DIR, --limit N, --test-limit N, --no-augment)
              eval           evaluate a checkpoint on the test set (--checkpoint DIR, --data DIR, --limit N)
              predict        classify Fashion-MNIST test images with a run's checkpoint (--checkpoint DIR, --index I...),
                             or image files with a ViT and timm weights (--model NAME --weights FILE.safetensors IMAGE...)
              inspect        list the tensors of a .safetensors file (attn4j inspect FILE)
              attention-map  draw what a model attends to on test images: CBAM's spatial maps of a cnn-cbam run,
                             or a vit run's attention rollout and last-block class-token attention
                             (--checkpoint DIR, --count N, --first I, --out FILE.png, --data DIR, --threads T;
                              vit: --head-fusion mean|max|min, --discard-ratio X)
              help           this text

            Run 'attn4j <command> --help' for a command's options.
            """;

    public static void main(String[] argv) {
        Locale.setDefault(Locale.ROOT);
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs a command line; returns the exit status (0 ok, 1 failed while running, 2 bad usage or input). */
    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help") || argv[0].equals("-h")) {
            out.print(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        try {
            return switch (argv[0]) {
                case "train" -> TrainCommand.run(argv, out, err);
                case "eval" -> EvalCommand.run(argv, out, err);
                // ImageNet classification of image files with a ViT checkpoint, or Fashion-MNIST test images with a run's checkpoint.
                case "predict" -> java.util.Arrays.asList(argv).contains("--weights") || java.util.Arrays.asList(argv).contains("--model")
                        ? VitPredictCommand.run(argv, out, err) : PredictCommand.run(argv, out, err);
                case "inspect" -> InspectCommand.run(argv, out, err);
                case "attention-map" -> AttentionMapCommand.run(argv, out, err);
                default -> {
                    err.println("attn4j: unknown command '" + argv[0] + "' (commands: train, eval, predict, inspect, attention-map, help)");
                    yield 2;
                }
            };
        } catch (Args.UsageException e) {
            err.println("attn4j " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("attn4j " + argv[0] + ": " + e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            err.println("attn4j " + argv[0] + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("attn4j " + argv[0] + ": failed: " + e);
            return 1;
        }
    }
}
