package org.sepnet.train;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.sepnet.io.CorruptModelException;
import org.sepnet.io.ModelFile;
import org.sepnet.models.Model;
import org.sepnet.runtime.Parameter;
import org.sepnet.runtime.Sgd;
import org.sepnet.runtime.TrainingGraph;
import org.sepnet.tensor.AtomicFile;

/**
 * Where a training run stands, in one file written atomically: the run's options and progress
 * (JSON), the model as a {@code .sepnet} file, and in double every parameter, its SGD velocity and
 * batch norm's running statistics, so a resumed run computes exactly what an uninterrupted one
 * would. Layout: magic {@code "SEPNETCK"}, u32 version 1, u32 length + UTF-8 JSON, u32 length +
 * model bytes, u32 array count, then per array u32 length + UTF-8 name, u32 n, n × f64; last, the
 * CRC-32 of everything before it. Lengths are checked against the bytes left before anything is allocated.
 */
public final class Checkpoint {
    private static final byte[] MAGIC = {'S', 'E', 'P', 'N', 'E', 'T', 'C', 'K'};
    private static final int VERSION = 1;
    private static final Gson GSON = new com.google.gson.GsonBuilder().serializeSpecialFloatingPointValues().create();

    /**
     * Progress: {@code epoch} epochs and {@code step} steps of the next one done.
     *
     * @param data the {@code --data} the run reads (a resumed run must read the same)
     * @param limit images of the training split used
     * @param lossSum Σ loss × images over the steps of the unfinished epoch
     * @param images images of those steps
     * @param correct how many of them the steps classified right
     */
    public record State(String kind, int epoch, int step, TrainOptions options, String data, int limit, List<Trainer.Epoch> history,
                        double lossSum, long images, long correct) {}

    private final Model model;
    private final State state;
    private final Map<String, double[]> arrays;

    private Checkpoint(Model model, State state, Map<String, double[]> arrays) {
        this.model = model;
        this.state = state;
        this.arrays = arrays;
    }

    /** The model at the checkpoint (its values in float; {@link #restore} puts back the double ones). */
    public Model model() {
        return model;
    }

    public State state() {
        return state;
    }

    /** Writes {@code graph}'s state, atomically. */
    static void write(Path file, Model model, TrainingGraph graph, Sgd sgd, State state) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        u32(out, VERSION);
        bytes(out, GSON.toJson(state).getBytes(StandardCharsets.UTF_8));
        bytes(out, ModelFile.encode(model));
        Map<String, double[]> arrays = new LinkedHashMap<>();
        List<Parameter> params = graph.parameters();
        for (int k = 0; k < params.size(); k++) {
            Parameter p = params.get(k);
            if (p.alwaysFrozen()) {
                continue;
            }
            arrays.put("value " + p.name(), p.value());
            if (sgd.velocity(k) != null) {
                arrays.put("velocity " + p.name(), sgd.velocity(k));
            }
        }
        for (var e : graph.runningStatistics().entrySet()) {
            arrays.put("running mean " + e.getKey(), e.getValue()[0]);
            arrays.put("running variance " + e.getKey(), e.getValue()[1]);
        }
        u32(out, arrays.size());
        for (var e : arrays.entrySet()) {
            bytes(out, e.getKey().getBytes(StandardCharsets.UTF_8));
            double[] v = e.getValue();
            ByteBuffer b = ByteBuffer.allocate(4 + 8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(v.length);
            b.asDoubleBuffer().put(v);
            out.writeBytes(b.array());
        }
        CRC32 crc = new CRC32();
        byte[] body = out.toByteArray();
        crc.update(body);
        u32(out, (int) crc.getValue());
        AtomicFile.write(file, out.toByteArray());
    }

    /**
     * Reads a checkpoint.
     *
     * @throws IOException naming the file and what is wrong: not a checkpoint, damaged, truncated
     */
    public static Checkpoint read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException(file + " is " + size + " bytes; checkpoints are at most 2 GiB");
        }
        byte[] d = Files.readAllBytes(file);
        if (d.length < MAGIC.length + 8 || !java.util.Arrays.equals(d, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException(file + ": not a sepnet training checkpoint (wrong magic bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        CRC32 crc = new CRC32();
        crc.update(d, 0, d.length - 4);
        if ((int) crc.getValue() != b.getInt(d.length - 4)) {
            throw new IOException(file + ": checksum mismatch: the checkpoint is damaged or truncated");
        }
        b.limit(d.length - 4).position(MAGIC.length);
        int version = b.getInt();
        if (version != VERSION) {
            throw new IOException(file + ": checkpoint version " + version + "; this library reads version " + VERSION);
        }
        try {
            State state = GSON.fromJson(new String(chunk(b, file), StandardCharsets.UTF_8), State.class);
            if (state == null || state.options() == null || state.history() == null) {
                throw new IOException(file + ": the checkpoint's progress record is incomplete");
            }
            Model model = ModelFile.decode(chunk(b, file), file + " (model)");
            int count = count(b, file, 8);
            Map<String, double[]> arrays = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = new String(chunk(b, file), StandardCharsets.UTF_8);
                int n = count(b, file, 8);
                double[] v = new double[n];
                b.asDoubleBuffer().get(v);
                b.position(b.position() + 8 * n);
                arrays.put(name, v);
            }
            if (b.hasRemaining()) {
                throw new IOException(file + ": " + b.remaining() + " unexpected bytes after the arrays");
            }
            return new Checkpoint(model, state, arrays);
        } catch (JsonParseException | IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + ": the checkpoint's progress record is not valid: " + e.getMessage(), e);
        } catch (CorruptModelException e) {
            throw e;
        }
    }

    /**
     * Puts the checkpoint's parameters, velocities and running statistics into {@code graph} (built
     * from {@link #model()}) and {@code sgd}.
     *
     * @throws IllegalStateException when an array is missing or has another length
     */
    void restore(TrainingGraph graph, Sgd sgd) {
        List<Parameter> params = graph.parameters();
        for (int k = 0; k < params.size(); k++) {
            Parameter p = params.get(k);
            if (p.alwaysFrozen()) {
                continue;
            }
            copy("value " + p.name(), p.value());
            double[] v = arrays.get("velocity " + p.name());
            if (v != null) {
                sgd.setVelocity(k, v);
            }
        }
        for (var e : graph.runningStatistics().entrySet()) {
            copy("running mean " + e.getKey(), e.getValue()[0]);
            copy("running variance " + e.getKey(), e.getValue()[1]);
        }
    }

    private void copy(String name, double[] into) {
        double[] v = arrays.get(name);
        if (v == null || v.length != into.length) {
            throw new IllegalStateException("the checkpoint does not match its model: " + name + " is "
                    + (v == null ? "missing" : v.length + " values, expected " + into.length));
        }
        System.arraycopy(v, 0, into, 0, v.length);
    }

    private static int count(ByteBuffer b, Path file, int unit) throws IOException {
        if (b.remaining() < 4) {
            throw new IOException(file + ": truncated at byte " + b.position());
        }
        int n = b.getInt();
        if (n < 0 || (long) n * unit > b.remaining()) {
            throw new IOException(file + ": a length of " + n + " at byte " + (b.position() - 4) + " exceeds the " + b.remaining()
                    + " bytes left");
        }
        return n;
    }

    private static byte[] chunk(ByteBuffer b, Path file) throws IOException {
        byte[] v = new byte[count(b, file, 1)];
        b.get(v);
        return v;
    }

    private static void u32(ByteArrayOutputStream out, int v) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private static void bytes(ByteArrayOutputStream out, byte[] v) {
        u32(out, v.length);
        out.writeBytes(v);
    }
}
