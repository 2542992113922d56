/**
 * Models in and out: {@link org.sepnet.io.ModelIO} loads and saves any supported format; the
 * compact, checksummed {@code .sepnet} file ({@link org.sepnet.io.ModelFile}); Caffe import
 * ({@link org.sepnet.io.CaffeImporter}); ONNX export and import ({@link org.sepnet.io.OnnxExporter},
 * {@link org.sepnet.io.OnnxImporter}). Damaged or unsupported input is an {@link java.io.IOException}
 * naming the file and the problem, never another exception.
 */
package org.sepnet.io;
