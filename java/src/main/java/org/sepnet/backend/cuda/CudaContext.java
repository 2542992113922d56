package org.sepnet.backend.cuda;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.sepnet.backend.Availability;
import org.sepnet.backend.BuildInfo;

/**
 * One device's primary context (shared with anything else in the process that uses the runtime
 * API, such as cuDNN) and the kernel module loaded into it. Created by {@link #probe()}, which
 * returns the reason instead of throwing when the GPU cannot be used.
 */
final class CudaContext {
    /** Oldest compute capability the fatbin has machine code for (sm_75). */
    static final int MIN_COMPUTE_CAPABILITY = 75;
    static final String FATBIN = "/org/sepnet/backend/cuda/sepnet_kernels.fatbin";
    private static final Pattern MISSING_LIBRARY = Pattern.compile("(lib[\\w.+-]+\\.so[\\w.]*): cannot open shared object file");

    final int ordinal;
    final CUdevice device;
    final CUcontext context;
    final CUmodule module;
    final String description;
    /** The stream of the shared backend's ops; like every executor's stream, it orders with the legacy default stream. */
    final CUstream stream;

    private CudaContext(int ordinal, CUdevice device, CUcontext context, CUmodule module, String description) {
        this.ordinal = ordinal;
        this.device = device;
        this.context = context;
        this.module = module;
        this.description = description;
        this.stream = new CUstream();
        JCudaDriver.cuStreamCreate(stream, 0);
    }

    /**
     * Launches {@code function} on stream {@code on} with a 3-D grid, a 2-D block and dynamic shared
     * memory. {@code args} are the kernel's parameters in order, each a pointer to its value (see
     * {@link Args}).
     */
    void launch(CUstream on, CUfunction function, int gridX, int gridY, int gridZ, int blockX, int blockY, int sharedBytes,
                Pointer... args) {
        makeCurrent();
        JCudaDriver.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, 1, sharedBytes, on, Pointer.to(args), null);
    }

    /** Streaming multiprocessors of the device. */
    int multiprocessors() {
        int[] v = new int[1];
        JCudaDriver.cuDeviceGetAttribute(v, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
        return v[0];
    }

    /** Result of probing: a context, or the reason there is none. */
    record Probe(CudaContext context, Availability availability) {}

    /** Makes this context current on the calling thread (driver API contexts are per thread). */
    void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    /** A kernel entry point of the module. */
    CUfunction function(String name) {
        CUfunction f = new CUfunction();
        JCudaDriver.cuModuleGetFunction(f, module, name);
        return f;
    }

    static Probe probe() {
        if (!BuildInfo.built("cuda.fatbin")) {
            return fail("the CUDA kernels are not in this jar: " + BuildInfo.skipReason("cuda"));
        }
        byte[] fatbin;
        try (InputStream in = CudaContext.class.getResourceAsStream(FATBIN)) {
            if (in == null) {
                return fail("the CUDA kernels are not in this jar (resource " + FATBIN + " is missing)");
            }
            fatbin = in.readAllBytes();
        } catch (IOException e) {
            return fail("the CUDA kernels could not be read from the jar: " + e.getMessage());
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
        } catch (LinkageError e) {
            return fail(driverLoadFailure(rootMessage(e)));
        } catch (RuntimeException e) {
            return fail("cuInit failed: " + e.getMessage());
        }
        try {
            int[] version = new int[1];
            JCudaDriver.cuDriverGetVersion(version);
            int needed = neededDriverVersion();
            if (version[0] < needed) {
                return fail("the NVIDIA driver supports CUDA " + cudaVersion(version[0]) + "; the kernels were built with nvcc "
                        + BuildInfo.get("cuda.nvcc", "?") + " and need a driver for CUDA " + cudaVersion(needed) + " or newer");
            }
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] == 0) {
                return fail("the NVIDIA driver reports no CUDA device");
            }
            int ordinal = Integer.getInteger("sepnet.cuda.device", 0);
            if (ordinal < 0 || ordinal >= count[0]) {
                return fail("-Dsepnet.cuda.device=" + ordinal + " but there are " + count[0] + " devices (0.." + (count[0] - 1) + ")");
            }
            CUdevice device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, ordinal);
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, device);
            String deviceName = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
            int[] major = new int[1];
            int[] minor = new int[1];
            JCudaDriver.cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
            JCudaDriver.cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
            int cc = major[0] * 10 + minor[0];
            if (cc < MIN_COMPUTE_CAPABILITY) {
                return fail(deviceName + " has compute capability " + major[0] + "." + minor[0]
                        + "; the kernels need 7.5 (Turing) or newer");
            }
            long[] memory = new long[1];
            JCudaDriver.cuDeviceTotalMem(memory, device);
            CUcontext context = new CUcontext();
            JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
            JCudaDriver.cuCtxSetCurrent(context);
            CUmodule module = new CUmodule();
            try {
                JCudaDriver.cuModuleLoadData(module, fatbin);
            } catch (RuntimeException e) {
                JCudaDriver.cuDevicePrimaryCtxRelease(device);
                return fail("loading the kernel module on " + deviceName + " (sm_" + cc + ") failed: " + e.getMessage());
            }
            String description = String.format("%s (device %d, sm_%d, %.1f GiB, driver CUDA %s)", deviceName, ordinal, cc,
                    memory[0] / (double) (1L << 30), cudaVersion(version[0]));
            CudaContext ctx = new CudaContext(ordinal, device, context, module, description);
            return new Probe(ctx, Availability.available(description));
        } catch (RuntimeException e) {
            return fail("CUDA device setup failed: " + e.getMessage());
        }
    }

    /** CUDA version (major·1000 + minor·10) the driver must support, from the nvcc that built the fatbin. */
    static int neededDriverVersion() {
        String[] v = BuildInfo.get("cuda.nvcc", "13.0").split("\\.");
        try {
            return Integer.parseInt(v[0]) * 1000 + (v.length > 1 ? Integer.parseInt(v[1]) * 10 : 0);
        } catch (NumberFormatException e) {
            return 13000;
        }
    }

    static String cudaVersion(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    /** A one-line reason from JCuda's (long, multi-trace) library-loading error. */
    static String driverLoadFailure(String message) {
        Matcher m = MISSING_LIBRARY.matcher(message);
        if (m.find()) {
            return "no NVIDIA driver: " + m.group(1) + " was not found";
        }
        String oneLine = message.length() > 300 ? message.substring(0, 300) + "…" : message;
        return "the NVIDIA driver could not be loaded: " + oneLine;
    }

    private static Probe fail(String reason) {
        return new Probe(null, Availability.unavailable(reason));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.toString() : root.getMessage();
        return m.replaceAll("\\s+", " ").strip();
    }
}
