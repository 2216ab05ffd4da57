package org.attn4j.optim;

/**
 * Learning-rate schedules, evaluated per step (call {@link #apply(Optimizer, long)} before each
 * optimizer step with the number of steps taken so far).
 */
public interface LRScheduler {
    /** The learning rate at step {@code step} (0-based). */
    double lr(long step);

    default void apply(Optimizer optimizer, long step) {
        optimizer.setLr(lr(step));
    }

    /** A fixed rate. */
    static LRScheduler constant(double lr) {
        return step -> lr;
    }

    /** {@code StepLR}: multiply by {@code gamma} every {@code stepSize} steps. */
    static LRScheduler step(double baseLr, long stepSize, double gamma) {
        if (stepSize <= 0) throw new IllegalArgumentException("StepLR: step_size must be positive, got " + stepSize);
        return step -> baseLr * Math.pow(gamma, step / stepSize);
    }

    /**
     * Linear warm-up from {@code warmupStartLr} to {@code baseLr} over {@code warmupSteps}, then cosine
     * annealing to {@code minLr} at {@code totalSteps} (timm's CosineLRScheduler with warm-up, per step).
     */
    static LRScheduler cosineWithWarmup(double baseLr, double minLr, long warmupSteps, double warmupStartLr, long totalSteps) {
        if (totalSteps <= 0) throw new IllegalArgumentException("cosine schedule: total steps must be positive, got " + totalSteps);
        if (warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("cosine schedule: warm-up steps " + warmupSteps + " must be in [0, " + totalSteps + "]");
        }
        return step -> {
            if (step < warmupSteps) return warmupStartLr + (baseLr - warmupStartLr) * step / (double) warmupSteps;
            double t = Math.min(1.0, (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps));
            return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * t));
        };
    }
}
