/**
 * The reference backend: pure Java, plain loops, double accumulation. It is a real, selectable
 * backend ({@code -Dsepnet.backend=reference}) and the twin every other implementation is tested
 * against.
 */
package org.sepnet.backend.reference;
