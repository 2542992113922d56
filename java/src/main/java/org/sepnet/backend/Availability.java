package org.sepnet.backend;

/**
 * Whether a backend can run here: if so, {@code detail} describes what it runs on; if not,
 * {@code detail} says why.
 */
public record Availability(boolean available, String detail) {
    /** Available, running on {@code description}. */
    public static Availability available(String description) {
        return new Availability(true, description);
    }

    /** Unavailable for {@code reason}. */
    public static Availability unavailable(String reason) {
        return new Availability(false, reason);
    }
}
