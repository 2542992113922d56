/**
 * Backends: the {@link org.sepnet.backend.Backend} contract (one factory per op kind) and the
 * ranked registry {@link org.sepnet.backend.Backends} — CUDA, native CPU, reference — which picks
 * the best available backend, says which and why, and honours {@code -Dsepnet.backend=NAME}.
 */
package org.sepnet.backend;
