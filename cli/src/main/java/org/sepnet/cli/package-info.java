/**
 * The {@code sepnet} command line (picocli): {@code info} and {@code demo}; {@code summary},
 * {@code profile} and {@code run} on a model; and the model-file commands {@code import},
 * {@code export}, {@code inspect}, {@code binarize}, {@code quantize} and {@code qerror}.
 * {@link org.sepnet.cli.Main} lists them.
 */
package org.sepnet.cli;
