/**
 * Running a network: {@link org.sepnet.runtime.Network} compiles a layer graph for one backend and
 * a maximum batch (every op built and every activation allocated once, batch norm folded, ReLUs
 * fused) and runs it on any number of images; {@link org.sepnet.runtime.Network#profile} times
 * each op. This is the one package that joins {@link org.sepnet.layers} to
 * {@link org.sepnet.backend}.
 */
package org.sepnet.runtime;
