/**
 * Op plumbing shared by the host-memory backends (native CPU and reference): op wrappers that
 * check tensor placement and shapes once, then hand plain buffers to a kernel.
 */
package org.sepnet.backend.host;
