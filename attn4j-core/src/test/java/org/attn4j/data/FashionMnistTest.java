package org.attn4j.data;

import static org.attn4j.data.IdxBytes.gzip;
import static org.attn4j.data.IdxBytes.md5;
import static org.attn4j.data.IdxBytes.ubyte;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.attn4j.data.FashionMnist.Checksums;
import org.attn4j.data.FashionMnist.Located;
import org.attn4j.data.FashionMnist.Split;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uses small stand-in IDX files (with their checksums injected) in temporary directories, an injected
 * environment map, and file: URIs or injected openers for downloads: nothing here reaches a host.
 */
class FashionMnistTest {
    @TempDir
    Path tmp;

    /** A small stand-in split: n random 28 x 28 images and labels cycling through the classes. */
    private record Fake(int n, byte[] pixels, int[] labels, byte[] imagesIdx, byte[] labelsIdx, byte[] imagesGz,
                        byte[] labelsGz) {
        static Fake of(int n, long seed) {
            byte[] pixels = new byte[n * 28 * 28];
            new Random(seed).nextBytes(pixels);
            int[] labels = new int[n];
            byte[] labelBytes = new byte[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (int) ((i * 3 + seed) % 10);
                labelBytes[i] = (byte) labels[i];
            }
            byte[] images = ubyte(new int[] {n, 28, 28}, pixels);
            byte[] lab = ubyte(new int[] {n}, labelBytes);
            return new Fake(n, pixels, labels, images, lab, gzip(images), gzip(lab));
        }
    }

    private final Fake train = Fake.of(30, 1);
    private final Fake test = Fake.of(20, 2);

    private Fake fake(Split split) {
        return split == Split.TRAIN ? train : test;
    }

    /** The checksums of the stand-in files, in place of the published ones. */
    private Map<String, Checksums> checksums() {
        Map<String, Checksums> m = new HashMap<>();
        for (Split s : Split.values()) {
            Fake f = fake(s);
            m.put(s.imagesFile(), new Checksums(md5(f.imagesGz()), md5(f.imagesIdx())));
            m.put(s.labelsFile(), new Checksums(md5(f.labelsGz()), md5(f.labelsIdx())));
        }
        return m;
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(tmp.resolve(name));
    }

    /** Writes a split's two files into dir, gzipped or plain. */
    private Path withSplit(Path dir, Split split, boolean gz) throws IOException {
        Fake f = fake(split);
        Files.write(dir.resolve(split.imagesFile() + (gz ? ".gz" : "")), gz ? f.imagesGz() : f.imagesIdx());
        Files.write(dir.resolve(split.labelsFile() + (gz ? ".gz" : "")), gz ? f.labelsGz() : f.labelsIdx());
        return dir;
    }

    /** No explicit directory, an empty environment, the given cache and system directories, no download. */
    private FashionMnist config(Path cache, Path system) {
        return FashionMnist.defaults().withEnv(Map.of()).withCacheDir(cache).withSystemDir(system).withoutDownload()
                .withChecksums(checksums());
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message lacks '" + part + "': " + e.getMessage());
        }
    }

    @Test
    void locatesInOrderExplicitThenEnvThenCacheThenSystem() throws IOException {
        Path explicit = withSplit(dir("explicit"), Split.TEST, true);
        Path env = withSplit(dir("env"), Split.TEST, true);
        Path cache = withSplit(dir("cache"), Split.TEST, true);
        Path system = withSplit(dir("system"), Split.TEST, true);
        FashionMnist base = config(cache, system);
        Map<String, String> environment = Map.of(FashionMnist.ENV_DIR, env.toString(), "HOME", "/nowhere");

        assertEquals(explicit, base.withEnv(environment).withDataDir(explicit).locate(Split.TEST).images().getParent());
        assertEquals(env, base.withEnv(environment).locate(Split.TEST).images().getParent());
        assertEquals(cache, base.locate(Split.TEST).images().getParent());
        // A blank variable counts as unset.
        assertEquals(cache, base.withEnv(Map.of(FashionMnist.ENV_DIR, " ")).locate(Split.TEST).labels().getParent());
        assertEquals(system, base.withCacheDir(dir("empty")).locate(Split.TEST).images().getParent());
    }

    @Test
    void splitsAreLocatedIndependently() throws IOException {
        Path cache = withSplit(dir("cache"), Split.TRAIN, false);
        Path system = withSplit(dir("system"), Split.TEST, false);
        FashionMnist f = config(cache, system);
        assertEquals(cache.resolve("train-images-idx3-ubyte"), f.locate(Split.TRAIN).images());
        assertEquals(system.resolve("t10k-labels-idx1-ubyte"), f.locate(Split.TEST).labels());
    }

    @Test
    void anExplicitDirectoryMustHoldTheSplit() throws IOException {
        Path cache = withSplit(dir("cache"), Split.TEST, true);
        Path given = dir("given");
        Files.write(given.resolve("t10k-images-idx3-ubyte.gz"), test.imagesGz());
        FashionMnist f = config(cache, dir("system"));

        IOException e = assertThrows(IOException.class, () -> f.withDataDir(given).locate(Split.TEST));
        assertMessage(e, "--data " + given, "t10k-labels-idx1-ubyte", "apt-get install dataset-fashion-mnist");
        assertTrue(!e.getMessage().contains("t10k-images-idx3-ubyte and"), e.getMessage());

        IOException fromEnv = assertThrows(IOException.class,
                () -> f.withEnv(Map.of(FashionMnist.ENV_DIR, given.toString())).locate(Split.TEST));
        assertMessage(fromEnv, FashionMnist.ENV_DIR, given.toString(), "t10k-labels-idx1-ubyte");
    }

    @Test
    void acceptsPlainAndGzipNamesPreferringPlain() throws IOException {
        Path both = withSplit(withSplit(dir("both"), Split.TEST, true), Split.TEST, false);
        Located l = config(both, dir("system")).locate(Split.TEST);
        assertEquals(both.resolve("t10k-images-idx3-ubyte"), l.images());
        assertEquals(both.resolve("t10k-labels-idx1-ubyte"), l.labels());

        Path mixed = dir("mixed");
        Files.write(mixed.resolve("t10k-images-idx3-ubyte.gz"), test.imagesGz());
        Files.write(mixed.resolve("t10k-labels-idx1-ubyte"), test.labelsIdx());
        Located m = config(mixed, dir("system")).locate(Split.TEST);
        assertEquals(mixed.resolve("t10k-images-idx3-ubyte.gz"), m.images());
        assertEquals(mixed.resolve("t10k-labels-idx1-ubyte"), m.labels());
    }

    @Test
    void loadsPlainAndGzipFilesToTheSameRawDataset() throws IOException {
        for (boolean gz : new boolean[] {false, true}) {
            Path d = withSplit(dir("d" + gz), Split.TRAIN, gz);
            Dataset ds = config(dir("empty" + gz), dir("system" + gz)).withDataDir(d).load(Split.TRAIN);
            assertEquals(30, ds.n());
            assertEquals(28, ds.rows());
            assertEquals(28, ds.cols());
            assertEquals(Dataset.Pixels.RAW, ds.pixels());
            assertArrayEquals(train.labels(), ds.labels());
            assertEquals(FashionMnist.CLASS_NAMES, ds.classNames());
            float[] expected = new float[train.pixels().length];
            for (int i = 0; i < expected.length; i++) expected[i] = train.pixels()[i] & 0xFF;
            assertArrayEquals(expected, ds.images());
        }
    }

    @Test
    void corruptContentIsDetectedByMd5NamingTheFile() throws IOException {
        // One pixel changed: the IDX structure is intact, only the checksum can tell.
        byte[] changed = test.imagesIdx().clone();
        changed[100] ^= 1;
        Path plain = withSplit(dir("plain"), Split.TEST, false);
        Files.write(plain.resolve("t10k-images-idx3-ubyte"), changed);
        IOException e = assertThrows(IOException.class, () -> config(plain, dir("s1")).load(Split.TEST));
        assertMessage(e, plain.resolve("t10k-images-idx3-ubyte").toString(), "MD5", md5(changed),
                md5(test.imagesIdx()));

        // The same change inside a well-formed gzip file.
        Path gz = withSplit(dir("gz"), Split.TEST, true);
        Files.write(gz.resolve("t10k-images-idx3-ubyte.gz"), gzip(changed));
        IOException g = assertThrows(IOException.class, () -> config(gz, dir("s2")).load(Split.TEST));
        assertMessage(g, gz.resolve("t10k-images-idx3-ubyte.gz").toString(), "MD5", md5(changed));
    }

    @Test
    void publishedChecksumsRejectStandInFiles() throws IOException {
        // Without injected checksums the stand-ins are not Fashion-MNIST, and loading refuses them.
        Path d = withSplit(dir("d"), Split.TEST, true);
        IOException e = assertThrows(IOException.class, () -> FashionMnist.defaults().withEnv(Map.of())
                .withoutDownload().withDataDir(d).load(Split.TEST));
        assertMessage(e, d.resolve("t10k-labels-idx1-ubyte.gz").toString(), "15d484375f8d13e6eb1aabb0c3f46965");
    }

    @Test
    void truncatedFileIsNeverLoaded() throws IOException {
        Path d = withSplit(dir("d"), Split.TEST, true);
        byte[] gz = test.imagesGz();
        Path images = d.resolve("t10k-images-idx3-ubyte.gz");
        Files.write(images, Arrays.copyOf(gz, gz.length - 100));
        IOException e = assertThrows(IOException.class, () -> config(d, dir("s")).load(Split.TEST));
        assertMessage(e, images.toString(), "truncated");
    }

    @Test
    void labelsOutsideTheTenClassesAreRejected() throws IOException {
        Path d = withSplit(dir("d"), Split.TEST, false);
        byte[] labels = test.labelsIdx().clone();
        labels[8 + 5] = 12; // label of image 5
        Files.write(d.resolve("t10k-labels-idx1-ubyte"), labels);
        Map<String, Checksums> sums = new HashMap<>(checksums());
        sums.put("t10k-labels-idx1-ubyte", new Checksums(md5(gzip(labels)), md5(labels)));
        IOException e = assertThrows(IOException.class,
                () -> config(d, dir("s")).withChecksums(sums).load(Split.TEST));
        assertMessage(e, "t10k-labels-idx1-ubyte", "label 12 of image 5");
    }

    @Test
    void imagesAndLabelsMustAgreeOnN() throws IOException {
        Path d = withSplit(dir("d"), Split.TEST, false);
        byte[] labels = ubyte(new int[] {19}, Arrays.copyOf(test.labelsIdx(), 19));
        Files.write(d.resolve("t10k-labels-idx1-ubyte"), labels);
        Map<String, Checksums> sums = new HashMap<>(checksums());
        sums.put("t10k-labels-idx1-ubyte", new Checksums(md5(gzip(labels)), md5(labels)));
        IOException e = assertThrows(IOException.class,
                () -> config(d, dir("s")).withChecksums(sums).load(Split.TEST));
        assertMessage(e, "19 labels for 20 images");
    }

    @Test
    void downloadsIntoTheCacheWhenFoundNowhere() throws IOException {
        Path mirror = withSplit(dir("mirror"), Split.TEST, true);
        Path cache = tmp.resolve("home/.attn4j/datasets/fashion-mnist"); // does not exist yet
        List<URI> opened = new ArrayList<>();
        Downloader.Opener recording = uri -> {
            opened.add(uri);
            return Downloader.URL_OPENER.open(uri);
        };
        FashionMnist f = config(cache, dir("system")).withDownload(mirror.toUri(), recording);

        Dataset ds = f.load(Split.TEST);
        assertEquals(20, ds.n());
        assertArrayEquals(test.labels(), ds.labels());
        assertEquals(List.of(mirror.toUri().resolve("t10k-labels-idx1-ubyte.gz"),
                mirror.toUri().resolve("t10k-images-idx3-ubyte.gz")), opened);
        assertEquals(List.of(cache.resolve("t10k-images-idx3-ubyte.gz"), cache.resolve("t10k-labels-idx1-ubyte.gz")),
                list(cache));
        assertArrayEquals(test.imagesGz(), Files.readAllBytes(cache.resolve("t10k-images-idx3-ubyte.gz")));

        // Found in the cache from now on: no second download.
        f.load(Split.TEST);
        assertEquals(2, opened.size());
    }

    @Test
    void downloadsOnlyTheMissingFile() throws IOException {
        Path mirror = withSplit(dir("mirror"), Split.TEST, true);
        Path cache = dir("cache");
        Files.write(cache.resolve("t10k-labels-idx1-ubyte"), test.labelsIdx());
        List<URI> opened = new ArrayList<>();
        Downloader.Opener recording = uri -> {
            opened.add(uri);
            return Downloader.URL_OPENER.open(uri);
        };
        Located l = config(cache, dir("system")).withDownload(mirror.toUri(), recording).locate(Split.TEST);
        assertEquals(List.of(mirror.toUri().resolve("t10k-images-idx3-ubyte.gz")), opened);
        assertEquals(cache.resolve("t10k-labels-idx1-ubyte"), l.labels());
        assertEquals(cache.resolve("t10k-images-idx3-ubyte.gz"), l.images());
    }

    @Test
    void downloadWithWrongMd5LeavesNoFileAndSaysHowToGetTheData() throws IOException {
        Path mirror = withSplit(dir("mirror"), Split.TEST, true);
        Files.write(mirror.resolve("t10k-labels-idx1-ubyte.gz"), gzip(new byte[] {1, 2, 3})); // not what was published
        Path cache = dir("cache");
        FashionMnist f = config(cache, dir("system")).withDownload(mirror.toUri(), Downloader.URL_OPENER);
        IOException e = assertThrows(IOException.class, () -> f.load(Split.TEST));
        assertMessage(e, "t10k-labels-idx1-ubyte.gz", md5(test.labelsGz()), "apt-get install dataset-fashion-mnist",
                "--data DIR", FashionMnist.ENV_DIR, "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
                        + "t10k-labels-idx1-ubyte.gz");
        assertEquals(List.of(), list(cache));
    }

    @Test
    void defaultDownloadUsesTheOfficialUrls() throws IOException {
        List<URI> opened = new ArrayList<>();
        Downloader.Opener offline = uri -> {
            opened.add(uri);
            throw new IOException("offline (test opener)");
        };
        Path cache = dir("cache");
        FashionMnist f = FashionMnist.defaults().withEnv(Map.of()).withCacheDir(cache).withSystemDir(dir("system"))
                .withDownload(FashionMnist.OFFICIAL_BASE, offline);
        IOException e = assertThrows(IOException.class, () -> f.load(Split.TRAIN));
        assertEquals(List.of(URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz")),
                opened);
        assertMessage(e, "offline (test opener)", cache.toString(), "apt-get install dataset-fashion-mnist",
                "--data DIR", "8d4fb7e6c68d591d4c3dfef9ec88bf0d");
        assertEquals(List.of(), list(cache));
    }

    @Test
    void withoutDownloadMissingDataIsAnErrorThatSaysHowToGetIt() throws IOException {
        Path cache = dir("cache");
        Path system = dir("system");
        FashionMnist f = config(cache, system).withDownload(FashionMnist.OFFICIAL_BASE, uri -> {
            throw new AssertionError("must not download");
        }).withoutDownload();
        IOException e = assertThrows(IOException.class, () -> f.locate(Split.TEST));
        assertMessage(e, cache.toString(), system.toString(), "apt-get install dataset-fashion-mnist", "--data DIR",
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz");
    }

    /** The real dataset, when Debian's dataset-fashion-mnist package is installed. */
    @Test
    void realFashionMnistFromTheDebianPackage() throws IOException {
        Path system = FashionMnist.SYSTEM_DIR;
        Assumptions.assumeTrue(Files.isDirectory(system), system + " absent (apt-get install dataset-fashion-mnist)");
        FashionMnist f = FashionMnist.defaults().withoutDownload().withDataDir(system);

        Dataset train = f.load(Split.TRAIN); // content MD5s verified against the published files' inside
        assertEquals(60000, train.n());
        assertEquals(28, train.rows());
        assertEquals(28, train.cols());
        assertEquals(60000 * 28 * 28, train.images().length);
        int[] trainCounts = new int[10];
        Arrays.fill(trainCounts, 6000);
        assertArrayEquals(trainCounts, train.labelCounts());

        // The normalisation constants are the training set's pixel statistics (scaled to 0..1).
        double sum = 0, sumSq = 0;
        for (float v : train.images()) {
            double x = v / 255.0;
            sum += x;
            sumSq += x * x;
        }
        double mean = sum / train.images().length;
        double std = Math.sqrt(sumSq / train.images().length - mean * mean);
        assertEquals(FashionMnist.MEAN, mean, 5e-4);
        assertEquals(FashionMnist.STD, std, 5e-4);

        Dataset test = f.load(Split.TEST);
        assertEquals(10000, test.n());
        assertEquals(28, test.rows());
        assertEquals(28, test.cols());
        int[] testCounts = new int[10];
        Arrays.fill(testCounts, 1000);
        assertArrayEquals(testCounts, test.labelCounts());
    }
}
