/** The {@code sepnet} command line (picocli): {@code info} and {@code demo}. */
package org.sepnet.cli;
