package org.attn4j.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, https://github.com/zalandoresearch/fashion-mnist): 60000
 * training and 10000 test images of 28 x 28 grey pixels in 10 classes, stored as IDX files.
 *
 * <h2>Where the data is looked for</h2>
 * For a split, the files {@code <split>-images-idx3-ubyte} and {@code <split>-labels-idx1-ubyte}
 * ({@code split} is {@code train} or {@code t10k}), each plain or with {@code .gz} (plain preferred when
 * both exist), are looked for in this order:
 * <ol>
 *   <li>the directory given with {@link #withDataDir(Path)} (the CLI's {@code --data DIR});</li>
 *   <li>the directory named by the environment variable {@value #ENV_DIR};</li>
 *   <li>{@code ~/.attn4j/datasets/fashion-mnist} (the download cache, {@link #withCacheDir(Path)});</li>
 *   <li>{@code /usr/share/datasets/fashion-mnist} (Debian package {@code dataset-fashion-mnist}).</li>
 * </ol>
 * A directory given explicitly (1 or 2) must hold the split: if it does not, that is an error rather
 * than a silent fall-through to other data. When 3 and 4 lack the split, the missing files are
 * downloaded from the official source ({@link #OFFICIAL_BASE}) into the cache directory, checked
 * against the published MD5 before they are kept (see {@link Downloader}). If that fails too, the
 * {@link IOException} says how to get the data.
 *
 * <h2>Integrity</h2>
 * Every file is checked when loaded, wherever it was found: the MD5 of its IDX content (after gunzip)
 * must equal the known MD5 of the official file's content. The content MD5 is used rather than the MD5
 * of the {@code .gz} file because Debian's package recompresses the files: its {@code .gz} bytes differ
 * from the published ones (whose MD5s are checked on download) while the content is identical. A
 * truncated, corrupt or foreign file is an {@link IOException} naming the file; nothing is ever
 * trained on it. Computing the MD5 while decompressing costs no extra pass over the file.
 */
public final class FashionMnist {

    /** Environment variable naming a directory that holds the Fashion-MNIST files. */
    public static final String ENV_DIR = "ATTN4J_FASHION_MNIST";

    /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
    public static final Path SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The official download location (zalandoresearch/fashion-mnist README, "Get the Data"). */
    public static final URI OFFICIAL_BASE = URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

    /** Image height and width. */
    public static final int ROWS = 28, COLS = 28;

    /** The class names by label index (zalandoresearch/fashion-mnist README, "Labels"). */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /**
     * Mean and standard deviation of the training pixels scaled to 0..1, the values commonly passed to
     * {@code transforms.Normalize} for Fashion-MNIST; see {@link Dataset#normalized(float, float)}.
     */
    public static final float MEAN = 0.2860f, STD = 0.3530f;

    /** The two splits and their file name prefixes. */
    public enum Split {
        TRAIN("train"),
        TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }

        /** Base name (without {@code .gz}) of the images file, for example {@code train-images-idx3-ubyte}. */
        public String imagesFile() {
            return prefix + "-images-idx3-ubyte";
        }

        /** Base name (without {@code .gz}) of the labels file, for example {@code train-labels-idx1-ubyte}. */
        public String labelsFile() {
            return prefix + "-labels-idx1-ubyte";
        }
    }

    /**
     * Known MD5s of one file.
     *
     * @param gzMd5      MD5 of the published {@code .gz} file (checked on download)
     * @param contentMd5 MD5 of the IDX content, the gunzipped file (checked on every load)
     */
    record Checksums(String gzMd5, String contentMd5) {}

    /**
     * The published checksums by base file name. The {@code .gz} MD5s are the ones in the
     * zalandoresearch/fashion-mnist README table "Get the Data"; the content MD5s are those of the
     * gunzipped official files (as listed, for example, next to the archive MD5s in torchvision-style
     * loaders), and Debian's recompressed files decompress to exactly them.
     */
    static final Map<String, Checksums> PUBLISHED = Map.of(
            "train-images-idx3-ubyte", new Checksums("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
            "train-labels-idx1-ubyte", new Checksums("25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
            "t10k-images-idx3-ubyte", new Checksums("bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
            "t10k-labels-idx1-ubyte", new Checksums("bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"));

    /**
     * The two files of a located split.
     *
     * @param images path of the images file (plain or .gz)
     * @param labels path of the labels file (plain or .gz)
     */
    public record Located(Path images, Path labels) {}

    private final Path dataDir;
    private final Map<String, String> env;
    private final Path cacheDir;
    private final Path systemDir;
    private final URI downloadBase;
    private final Downloader.Opener opener;
    private final Map<String, Checksums> checksums;

    private FashionMnist(Path dataDir, Map<String, String> env, Path cacheDir, Path systemDir, URI downloadBase,
                         Downloader.Opener opener, Map<String, Checksums> checksums) {
        this.dataDir = dataDir;
        this.env = Objects.requireNonNull(env, "env");
        this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
        this.systemDir = Objects.requireNonNull(systemDir, "systemDir");
        this.downloadBase = downloadBase;
        this.opener = Objects.requireNonNull(opener, "opener");
        this.checksums = Map.copyOf(checksums);
    }

    /**
     * The standard configuration: no explicit directory, the process environment, the cache
     * {@code ~/.attn4j/datasets/fashion-mnist}, {@link #SYSTEM_DIR}, and downloads from
     * {@link #OFFICIAL_BASE}.
     */
    public static FashionMnist defaults() {
        return new FashionMnist(null, System.getenv(), defaultCacheDir(), SYSTEM_DIR, OFFICIAL_BASE,
                Downloader.URL_OPENER, PUBLISHED);
    }

    /** {@code ~/.attn4j/datasets/fashion-mnist}. */
    public static Path defaultCacheDir() {
        return Path.of(System.getProperty("user.home"), ".attn4j", "datasets", "fashion-mnist");
    }

    /** Loads a split with the standard configuration and, if not null, the CLI's {@code --data DIR}. */
    public static Dataset load(Split split, Path dataDirOrNull) throws IOException {
        FashionMnist f = defaults();
        return (dataDirOrNull == null ? f : f.withDataDir(dataDirOrNull)).load(split);
    }

    /** The same, with the split looked for first (and only) in {@code dir}; null removes it. */
    public FashionMnist withDataDir(Path dir) {
        return new FashionMnist(dir, env, cacheDir, systemDir, downloadBase, opener, checksums);
    }

    /** The same, reading {@value #ENV_DIR} from {@code env} instead of the process environment. */
    public FashionMnist withEnv(Map<String, String> env) {
        return new FashionMnist(dataDir, Map.copyOf(env), cacheDir, systemDir, downloadBase, opener, checksums);
    }

    /** The same, with another download cache directory (searched third, downloaded into). */
    public FashionMnist withCacheDir(Path dir) {
        return new FashionMnist(dataDir, env, dir, systemDir, downloadBase, opener, checksums);
    }

    /** The same, with another system directory (searched fourth). */
    public FashionMnist withSystemDir(Path dir) {
        return new FashionMnist(dataDir, env, cacheDir, dir, downloadBase, opener, checksums);
    }

    /**
     * The same, downloading {@code base.resolve(name + ".gz")} through {@code opener} when the data is
     * found nowhere; a {@code file:} base with {@link Downloader#URL_OPENER} serves a local mirror.
     */
    public FashionMnist withDownload(URI base, Downloader.Opener opener) {
        return new FashionMnist(dataDir, env, cacheDir, systemDir, Objects.requireNonNull(base, "base"), opener,
                checksums);
    }

    /** The same, never downloading: missing data is an error straight away. */
    public FashionMnist withoutDownload() {
        return new FashionMnist(dataDir, env, cacheDir, systemDir, null, opener, checksums);
    }

    /** The same, with other expected checksums by base file name (tests use small stand-in files). */
    FashionMnist withChecksums(Map<String, Checksums> checksums) {
        return new FashionMnist(dataDir, env, cacheDir, systemDir, downloadBase, opener, checksums);
    }

    /**
     * Finds the files of a split in the order described in the class comment, downloading them into the
     * cache directory as a last resort.
     *
     * @throws IOException if an explicitly given directory lacks the split, or the split is found nowhere
     *                     and cannot be downloaded; the message says how to get the data
     */
    public Located locate(Split split) throws IOException {
        if (dataDir != null) {
            return requireIn(dataDir, split, "the data directory given (--data " + dataDir + ")");
        }
        String fromEnv = env.get(ENV_DIR);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return requireIn(Path.of(fromEnv.trim()), split, "the directory in " + ENV_DIR + " (" + fromEnv.trim() + ")");
        }
        for (Path dir : List.of(cacheDir, systemDir)) {
            Located found = findIn(dir, split);
            if (found != null) return found;
        }
        if (downloadBase == null) {
            throw new IOException(notFound("Fashion-MNIST " + split.prefix + " files not found"));
        }
        try {
            Path images = find(cacheDir, split.imagesFile());
            Path labels = find(cacheDir, split.labelsFile());
            if (labels == null) labels = download(split.labelsFile());
            if (images == null) images = download(split.imagesFile());
            return new Located(images, labels);
        } catch (IOException e) {
            throw new IOException(notFound("Fashion-MNIST " + split.prefix + " files not found, and the download into "
                    + cacheDir + " failed: " + e.getMessage()), e);
        }
    }

    /**
     * Locates and loads a split, checking both files' content MD5s and their shapes.
     *
     * @return the split with {@link Dataset.Pixels#RAW} pixels 0..255; call {@link Dataset#scaled()} or
     *         {@code normalized(MEAN, STD)} for network input
     */
    public Dataset load(Split split) throws IOException {
        Located at = locate(split);
        Idx.Array labels = readVerified(at.labels(), split.labelsFile());
        Idx.Array images = readVerified(at.images(), split.imagesFile());
        if (images.dtype() != Idx.UBYTE || images.ndim() != 3) {
            throw new IOException(at.images() + ": expected a ubyte IDX array [n, rows, cols], got "
                    + Idx.dtypeName(images.dtype()) + " " + Arrays.toString(images.shape()));
        }
        if (labels.dtype() != Idx.UBYTE || labels.ndim() != 1) {
            throw new IOException(at.labels() + ": expected a ubyte IDX array [n], got "
                    + Idx.dtypeName(labels.dtype()) + " " + Arrays.toString(labels.shape()));
        }
        int[] shape = images.shape();
        int n = shape[0];
        if (labels.shape()[0] != n) {
            throw new IOException(at.labels() + ": " + labels.shape()[0] + " labels for " + n + " images in "
                    + at.images());
        }
        int[] y = labels.toInts();
        for (int i = 0; i < n; i++) {
            if (y[i] >= CLASS_NAMES.size()) {
                throw new IOException(at.labels() + ": label " + y[i] + " of image " + i + " is outside [0, "
                        + CLASS_NAMES.size() + ")");
            }
        }
        return new Dataset(images.toFloats(), y, n, shape[1], shape[2], CLASS_NAMES, Dataset.Pixels.RAW);
    }

    /** Reads an IDX file and checks the MD5 of its content against the known one. */
    private Idx.Array readVerified(Path file, String baseName) throws IOException {
        Checksums known = checksums.get(baseName);
        if (known == null) throw new IllegalStateException("FashionMnist: no checksum known for " + baseName);
        MessageDigest md5 = Downloader.md5();
        Idx.Array a = Idx.read(file, md5);
        String actual = HexFormat.of().formatHex(md5.digest());
        if (!actual.equalsIgnoreCase(known.contentMd5())) {
            throw new IOException(file + ": corrupt or not the official Fashion-MNIST " + baseName + ": the MD5 of its"
                    + " IDX content is " + actual + ", expected " + known.contentMd5() + ". Delete it and get the"
                    + " data again (see scripts/get-fashion-mnist.sh, or " + OFFICIAL_BASE + baseName + ".gz).");
        }
        return a;
    }

    private Path download(String baseName) throws IOException {
        Checksums known = checksums.get(baseName);
        if (known == null) throw new IllegalStateException("FashionMnist: no checksum known for " + baseName);
        Path target = cacheDir.resolve(baseName + ".gz");
        Downloader.download(downloadBase.resolve(baseName + ".gz"), target, known.gzMd5(), opener);
        return target;
    }

    private static Located requireIn(Path dir, Split split, String what) throws IOException {
        Located found = findIn(dir, split);
        if (found == null) {
            throw new IOException("Fashion-MNIST: " + what + " does not hold " + missing(dir, split)
                    + " (each may end in .gz). " + instructions());
        }
        return found;
    }

    private static Located findIn(Path dir, Split split) {
        Path images = find(dir, split.imagesFile());
        Path labels = find(dir, split.labelsFile());
        return images != null && labels != null ? new Located(images, labels) : null;
    }

    /** The plain file if present, else the .gz one, else null. */
    private static Path find(Path dir, String baseName) {
        for (String name : new String[] {baseName, baseName + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static String missing(Path dir, Split split) {
        List<String> names = new ArrayList<>();
        if (find(dir, split.imagesFile()) == null) names.add(split.imagesFile());
        if (find(dir, split.labelsFile()) == null) names.add(split.labelsFile());
        return String.join(" and ", names);
    }

    private String notFound(String problem) {
        return problem + ". Searched " + cacheDir + " and " + systemDir + " (no --data DIR given, " + ENV_DIR
                + " not set). " + instructions();
    }

    /** How to get the data, for error messages. */
    static String instructions() {
        StringBuilder s = new StringBuilder("To get Fashion-MNIST, do one of: (1) on Debian/Ubuntu, run"
                + " scripts/get-fashion-mnist.sh or 'sudo apt-get install dataset-fashion-mnist' (installs "
                + SYSTEM_DIR + "); (2) put the four files in a directory and pass --data DIR or set " + ENV_DIR
                + "=DIR; (3) download them into " + defaultCacheDir() + " from");
        for (Split sp : Split.values()) {
            for (String base : List.of(sp.imagesFile(), sp.labelsFile())) {
                s.append(' ').append(OFFICIAL_BASE).append(base).append(".gz (MD5 ").append(PUBLISHED.get(base).gzMd5())
                        .append(')');
            }
        }
        return s.append('.').toString();
    }
}
