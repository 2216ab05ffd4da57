package org.attn4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.attn4j.tensor.DType;
import org.attn4j.tensor.Tensor;

/**
 * safetensors files as maps of named {@link Tensor}s — what state dicts are saved to and loaded from.
 *
 * <p>Reading widens F16, BF16 and F64 to float32 (attn4j computes in float32); integer tensors become int64
 * and BOOL becomes bool. Writing stores float tensors as F32 (or F16/BF16 on request), int64 as I64 and
 * bool as BOOL, through {@link SafeTensorsWriter}'s atomic write (temporary file, fsync, rename), so an
 * existing file is never left half-written.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** All tensors of a file in file order. */
    public static Map<String, Tensor> load(Path file) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (SafeTensorsEntry e : f.entries()) {
                int[] shape = e.intShape();
                if (e.dtype() == SafeTensorsDType.BOOL) {
                    long[] v = f.readLongs(e.name());
                    boolean[] b = new boolean[v.length];
                    for (int i = 0; i < v.length; i++) b[i] = v[i] != 0;
                    out.put(e.name(), Tensor.ofBooleans(b, shape));
                } else if (e.dtype().isInteger()) {
                    out.put(e.name(), Tensor.ofLongs(f.readLongs(e.name()), shape));
                } else {
                    out.put(e.name(), Tensor.of(f.readFloats(e.name()), shape));
                }
            }
            return out;
        }
    }

    /** The metadata of a file (the header's {@code __metadata__}). */
    public static Map<String, String> metadata(Path file) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            return new LinkedHashMap<>(f.metadata());
        }
    }

    /** Writes tensors (float ones as F32) with metadata, atomically. */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        save(file, tensors, metadata, SafeTensorsDType.F32);
    }

    /** Writes tensors with float ones stored as {@code floatType} (F32, F16 or BF16), atomically. */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, SafeTensorsDType floatType)
            throws IOException {
        Map<String, SafeTensorsWriter.TensorData> data = new LinkedHashMap<>();
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            int[] shape = t.shape();
            if (t.dtype() == DType.FLOAT32) {
                data.put(e.getKey(), SafeTensorsWriter.TensorData.floats(floatType, shape, t.toFloatArray()));
            } else {
                int[] v = t.toIntArray();
                long[] l = new long[v.length];
                for (int i = 0; i < v.length; i++) l[i] = v[i];
                data.put(e.getKey(), SafeTensorsWriter.TensorData.longs(
                        t.dtype() == DType.BOOL ? SafeTensorsDType.BOOL : SafeTensorsDType.I64, shape, l));
            }
        }
        SafeTensorsWriter.write(file, data, metadata == null ? Map.of() : metadata);
    }
}
